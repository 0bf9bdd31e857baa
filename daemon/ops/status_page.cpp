#include "daemon/ops/status_page.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "parsers/text/stated_time.hpp"

namespace newsd::daemon {
namespace {

using Clock = std::chrono::system_clock;

std::string rfc3339(Clock::time_point time) {
  return parsers::format_rfc3339(std::chrono::floor<std::chrono::seconds>(time));
}

std::string clock_time(Clock::time_point time) {
  std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &utc);
  return text;
}

// "12s", "5m", "2h", "3d": how long, for people.
std::string span(std::chrono::seconds s) {
  auto n = s.count() < 0 ? -s.count() : s.count();
  if (n < 120) return std::to_string(n) + "s";
  if (n < 7200) return std::to_string(n / 60) + "m";
  if (n < 172800) return std::to_string(n / 3600) + "h";
  return std::to_string(n / 86400) + "d";
}

std::string relative(Clock::time_point time, Clock::time_point now) {
  if (time == Clock::time_point{}) return "never";
  auto delta = std::chrono::duration_cast<std::chrono::seconds>(now - time);
  return delta.count() >= 0 ? span(delta) + " ago" : "in " + span(-delta);
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Only web links become links: a feed cannot smuggle javascript: into the page.
bool linkable(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:20px;margin:0}
header .meta{color:#b8c0cc}
main{padding:16px 24px;max-width:1200px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;padding:12px 16px;margin-bottom:16px}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{font-weight:600;color:#4a5464;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok{background:#dcf5e3;color:#116329}.failing{background:#ffe1e0;color:#a40e26}
.pending{background:#fff3c4;color:#7a5a00}.off{background:#e8eaed;color:#4a5464}
.error{color:#a40e26;font-size:12px;max-width:360px;overflow-wrap:anywhere}
.ready{color:#7ee2a8}.unready{color:#ff9b9b}
.title{unicode-bidi:plaintext}
a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#4a5464}
)";

void render_chart(std::string& out, const std::vector<std::uint32_t>& counts) {
  constexpr int kWidth = 1100, kHeight = 180, kLeft = 40, kBottom = 24, kTop = 10;
  std::uint32_t peak = 1;
  std::uint64_t total = 0;
  for (auto c : counts) {
    peak = std::max(peak, c);
    total += c;
  }
  const int plot_width = kWidth - kLeft - 10;
  const int plot_height = kHeight - kBottom - kTop;
  const double bar = static_cast<double>(plot_width) / static_cast<double>(counts.size());
  char buffer[256];
  out += "<svg role=\"img\" aria-label=\"articles published per minute\" width=\"100%\" "
         "viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight) +
         "\" xmlns=\"http://www.w3.org/2000/svg\">";
  out += "<title>Articles published per minute, last " + std::to_string(counts.size()) +
         " minutes: " + std::to_string(total) + " in total</title>";
  // Horizontal grid lines at 0, half and the peak.
  for (int step = 0; step <= 2; ++step) {
    double y = kTop + plot_height - plot_height * step / 2.0;
    std::snprintf(buffer, sizeof buffer,
                  "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e1e4e8\"/>"
                  "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>",
                  kLeft, kWidth - 10, y, y, kLeft - 6, y + 4, peak * step / 2.0);
    out += buffer;
  }
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    double h = static_cast<double>(plot_height) * counts[i] / peak;
    std::snprintf(buffer, sizeof buffer,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3b82f6\">"
                  "<title>%u</title></rect>",
                  kLeft + bar * static_cast<double>(i) + 1, kTop + plot_height - h,
                  std::max(bar - 2, 1.0), h, counts[i]);
    out += buffer;
  }
  auto minutes = static_cast<int>(counts.size());
  for (int mark = minutes; mark >= 0; mark -= 10) {
    double x = mark == 0 ? kLeft + plot_width : kLeft + bar * (minutes - mark) + bar / 2;
    std::snprintf(buffer, sizeof buffer, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>",
                  x, kHeight - 6, mark == 0 ? "end" : "middle",
                  mark == 0 ? "now" : ("-" + std::to_string(mark) + "m").c_str());
    out += buffer;
  }
  out += "</svg>";
}

}  // namespace


std::string source_state(const SourceStats* stats) {
  if (!stats) return "not polled";
  if (stats->error_streak > 0) return "failing";
  if (stats->polls == 0 || stats->last_poll == Clock::time_point{}) return "pending";
  return "ok";
}

namespace {

// Version, uptime, readiness and the headline counts.
void render_summary(std::string& out, const StatusSnapshot& s) {
  out += "<span class=\"meta\">version " + escape(s.version) + " &middot; up " +
         span(std::chrono::duration_cast<std::chrono::seconds>(s.now - s.started)) + " &middot; " +
         rfc3339(s.now) + "</span>";
  if (s.unready.empty()) {
    out += "<span class=\"ready\">&#9679; ready</span>";
  } else {
    out += "<span class=\"unready\">&#9679; not ready: ";
    for (std::size_t i = 0; i < s.unready.size(); ++i)
      out += (i ? "; " : "") + escape(s.unready[i]);
    out += "</span>";
  }
  out += "<span class=\"meta\">" + std::to_string(s.published_total) + " published &middot; " +
         std::to_string(s.in_flight) + " in flight &middot; " +
         std::to_string(s.kafka_outstanding) + " awaiting Kafka</span>";
  if (!s.cluster.empty()) out += "<span class=\"meta\">" + escape(s.cluster) + "</span>";
  out += "</header><main>";
}

// One source's table row: its URL, state and last poll, or why it is not polled.
void render_source_row(std::string& out, const SourceView& source, Clock::time_point now) {
  auto state = source_state(source.stats);
  auto css = state == "not polled" ? "off" : state;
  const auto* st = source.stats;
  out += "<tr><td><strong>" + escape(source.config.id) + "</strong><br><small>";
  if (linkable(source.config.url))
    out += "<a href=\"" + escape(source.config.url) + "\">" + escape(source.config.url) + "</a>";
  else
    out += escape(source.config.url);
  out += "</small></td><td><span class=\"badge " + css + "\">" + escape(state);
  if (st && st->error_streak > 1) out += " &times;" + std::to_string(st->error_streak);
  out += "</span></td>";
  if (st) {
    out += "<td>" + relative(st->last_poll, now) + "</td><td>" +
           (st->last_status ? std::to_string(st->last_status) : "&ndash;") + "</td><td>" +
           relative(st->next_poll, now) + "</td><td class=\"num\">" +
           std::to_string(st->polls) + "</td><td class=\"num\">" + std::to_string(st->published) +
           "</td><td class=\"num\">" + std::to_string(st->failures) +
           "</td><td class=\"error\">" + escape(st->last_error) + "</td>";
  } else if (!source.owned) {
    out += "<td colspan=\"7\">shard " + std::to_string(source.shard) + ": polled by another member of the cluster</td>";
  } else {
    out += "<td colspan=\"7\">" + std::string(to_string(source.config.kind)) +
           " sources are not polled by this version</td>";
  }
  out += "</tr>";
}

void render_sources_table(std::string& out, const StatusSnapshot& s) {
  out += "<section><h2>Sources (" + std::to_string(s.sources.size()) +
         ")</h2><table><thead><tr><th>source</th><th>state</th><th>last poll</th>"
         "<th>HTTP</th><th>next poll</th><th class=\"num\">polls</th>"
         "<th class=\"num\">published</th><th class=\"num\">failures</th><th>last error</th>"
         "</tr></thead><tbody>";
  for (const auto& source : s.sources) render_source_row(out, source, s.now);
  out += "</tbody></table></section>";
}

void render_recent_articles(std::string& out, const StatusSnapshot& s) {
  out += "<section><h2>Last articles published</h2>";
  if (!s.history || s.history->recent().empty()) {
    out += "<p>None yet.</p>";
  } else {
    out += "<table><thead><tr><th>time (UTC)</th><th>source</th><th>title</th></tr></thead><tbody>";
    for (const auto& entry : s.history->recent()) {
      std::string title = entry.title.empty() ? entry.id : entry.title;
      out += "<tr><td>" + clock_time(entry.time) + "</td><td>" + escape(entry.source) +
             "</td><td class=\"title\" dir=\"auto\">";
      if (linkable(entry.url))
        out += "<a href=\"" + escape(entry.url) + "\">" + escape(title) + "</a>";
      else
        out += escape(title);
      out += "</td></tr>";
    }
    out += "</tbody></table>";
  }
  out += "</section>";
}

}  // namespace

std::string render_status_page(const StatusSnapshot& s) {
  std::string out;
  out.reserve(32 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta http-equiv=\"refresh\" content=\"15\"><title>newsd status</title><style>";
  out += kStyle;
  out += "</style></head><body><header><h1>newsd</h1>";
  render_summary(out, s);
  out += "<section><h2>Articles published per minute</h2>";
  render_chart(out, s.history ? s.history->per_minute(s.now)
                              : std::vector<std::uint32_t>(PublicationHistory::kMinutes, 0));
  out += "</section>";
  render_sources_table(out, s);
  render_recent_articles(out, s);
  out += "<p><small>Also: <a href=\"/sources\">/sources</a> (JSON) &middot; "
         "<a href=\"/metrics\">/metrics</a> &middot; <a href=\"/readyz\">/readyz</a> &middot; "
         "<a href=\"/healthz\">/healthz</a></small></p></main></body></html>\n";
  return out;
}

std::string render_sources_json(const StatusSnapshot& s) {
  boost::json::array sources;
  for (const auto& source : s.sources) {
    boost::json::object o;
    o["id"] = source.config.id;
    o["kind"] = std::string(to_string(source.config.kind));
    o["url"] = source.config.url;
    o["interval_ms"] = source.config.interval.count();
    o["topic"] = source.config.topic;
    o["state"] = source.owned ? source_state(source.stats) : "elsewhere";
    if (source.shard >= 0) {
      o["shard"] = source.shard;
      o["owned"] = source.owned;
    }
    if (const auto* st = source.stats) {
      auto time_or_null = [](Clock::time_point t) -> boost::json::value {
        if (t == Clock::time_point{}) return nullptr;
        return boost::json::value(rfc3339(t));
      };
      o["last_poll"] = time_or_null(st->last_poll);
      o["next_poll"] = time_or_null(st->next_poll);
      o["last_status"] = st->last_status;
      o["last_error"] = st->last_error.empty() ? boost::json::value(nullptr)
                                               : boost::json::value(st->last_error);
      o["error_streak"] = st->error_streak;
      o["counts"] = boost::json::object{{"polls", st->polls},
                                        {"not_modified", st->not_modified},
                                        {"failures", st->failures},
                                        {"items_seen", st->items_seen},
                                        {"produced", st->produced},
                                        {"handed_off", st->handed_off},
                                        {"published", st->published},
                                        {"delivery_failures", st->delivery_failures}};
    }
    sources.push_back(std::move(o));
  }
  boost::json::object root{{"sources", std::move(sources)},
                           {"ready", s.unready.empty()},
                           {"published_total", s.published_total},
                           {"in_flight", s.in_flight},
                           {"kafka_outstanding", s.kafka_outstanding}};
  return boost::json::serialize(root) + "\n";
}

}  // namespace newsd::daemon
