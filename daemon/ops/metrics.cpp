#include "daemon/ops/metrics.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>

#include "daemon/version.hpp"

namespace newsd::daemon::metrics {
namespace {

void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    std::array<char, 32> buffer;
    auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), ec == std::errc{} ? end : buffer.data());
  }
}

void append_number(std::string& out, std::uint64_t value) { out += std::to_string(value); }

// Label values escape \, " and newline; HELP text escapes \ and newline.
void append_escaped(std::string& out, std::string_view text, bool quotes) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
}

void append_labels(std::string& out, const std::vector<std::string>& names,
                   const LabelValues& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    append_escaped(out, values[i], true);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter: return "counter";
    case Type::gauge: return "gauge";
    case Type::histogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
}

void Histogram::observe(double value) {
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {}

std::shared_ptr<void> FamilyBase::find_or_add(const LabelValues& values,
                                              const std::function<std::shared_ptr<void>()>& make) {
  assert(values.size() == label_names_.size());
  std::lock_guard lock(mutex_);
  auto& slot = series_[values];
  if (!slot) slot = make();
  return slot;
}

void FamilyBase::remove_where(std::string_view label, std::string_view value) {
  auto at = std::find(label_names_.begin(), label_names_.end(), label);
  if (at == label_names_.end()) return;
  auto index = static_cast<std::size_t>(at - label_names_.begin());
  std::lock_guard lock(mutex_);
  std::erase_if(series_, [&](const auto& entry) { return entry.first[index] == value; });
}

void FamilyBase::render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  append_escaped(out, help_, false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
  std::lock_guard lock(mutex_);
  for (const auto& [labels, metric] : series_) {
    switch (type_) {
      case Type::counter:
        out += name_;
        append_labels(out, label_names_, labels);
        out += ' ';
        append_number(out, static_cast<const Counter*>(metric.get())->value());
        out += '\n';
        break;
      case Type::gauge:
        out += name_;
        append_labels(out, label_names_, labels);
        out += ' ';
        append_number(out, static_cast<const Gauge*>(metric.get())->value());
        out += '\n';
        break;
      case Type::histogram: {
        const auto& histogram = *static_cast<const Histogram*>(metric.get());
        auto snapshot = histogram.snapshot();
        for (std::size_t i = 0; i <= histogram.bounds().size(); ++i) {
          std::string le;
          if (i < histogram.bounds().size())
            append_number(le, histogram.bounds()[i]);
          else
            le = "+Inf";
          out += name_;
          out += "_bucket";
          append_labels(out, label_names_, labels, "le", le);
          out += ' ';
          append_number(out, snapshot.cumulative[i]);
          out += '\n';
        }
        out += name_;
        out += "_sum";
        append_labels(out, label_names_, labels);
        out += ' ';
        append_number(out, snapshot.sum);
        out += '\n';
        out += name_;
        out += "_count";
        append_labels(out, label_names_, labels);
        out += ' ';
        append_number(out, snapshot.cumulative.back());
        out += '\n';
        break;
      }
    }
  }
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> label_names) {
  auto family = std::make_unique<Family<Counter>>(std::move(name), std::move(help), Type::counter,
                                                  std::move(label_names),
                                                  [] { return std::make_shared<Counter>(); });
  auto& ref = *family;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(family));
  return ref;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> label_names) {
  auto family = std::make_unique<Family<Gauge>>(std::move(name), std::move(help), Type::gauge,
                                                std::move(label_names),
                                                [] { return std::make_shared<Gauge>(); });
  auto& ref = *family;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(family));
  return ref;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> label_names,
                                       std::vector<double> bounds) {
  auto family = std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), Type::histogram, std::move(label_names),
      [bounds = std::move(bounds)] { return std::make_shared<Histogram>(bounds); });
  auto& ref = *family;
  std::lock_guard lock(mutex_);
  families_.push_back(std::move(family));
  return ref;
}

void Registry::on_collect(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  hooks_.push_back(std::move(hook));
}

void Registry::remove_where(std::string_view label, std::string_view value) {
  std::lock_guard lock(mutex_);
  for (auto& family : families_) family->remove_where(label, value);
}

std::string Registry::render() {
  std::lock_guard lock(mutex_);
  for (auto& hook : hooks_) hook();
  std::string out;
  out.reserve(16 * 1024);
  for (const auto& family : families_) family->render(out);
  return out;
}

DaemonMetrics::DaemonMetrics()
    : polls(registry.counter("newsd_source_polls_total", "Polls started, per source.",
                             {"source"})),
      http_responses(registry.counter("newsd_source_http_responses_total",
                                      "HTTP responses to polls, per source and status code.",
                                      {"source", "code"})),
      fetch_errors(registry.counter("newsd_source_fetch_errors_total",
                                    "Polls that got no usable response (DNS, connect, timeout, "
                                    "HTTP error status...), per source and error.",
                                    {"source", "error"})),
      bytes_fetched(registry.counter("newsd_source_fetched_bytes_total",
                                     "Bytes of feed bodies fetched (after decompression).",
                                     {"source"})),
      parse_failures(registry.counter("newsd_source_parse_failures_total",
                                      "Fetched documents that did not parse, per source and "
                                      "reason.",
                                      {"source", "reason"})),
      error_streak(registry.gauge("newsd_source_error_streak",
                                  "Consecutive failed polls of the source (0 = healthy).",
                                  {"source"})),
      articles_extracted(registry.counter("newsd_articles_extracted_total",
                                          "Articles extracted from fetched documents.",
                                          {"source"})),
      articles_deduplicated(registry.counter(
          "newsd_articles_deduplicated_total",
          "Extracted articles dropped because they were published or in flight already.",
          {"source"})),
      near_duplicates(registry.counter(
          "newsd_articles_near_duplicates_total",
          "New articles found to be the same story as a published one (another URL or source).",
          {"source"})),
      item_collisions(registry.counter(
          "newsd_item_identity_collisions_total",
          "Items of one document with the identity of an earlier item of it, merged into that one.",
          {"source"})),
      page_revisits(registry.counter(
          "newsd_page_revisits_total",
          "Published pages looked at again, by outcome: not_modified, unchanged, updated, missing (a first 404/410), "
          "retracted, failed.",
          {"source", "outcome"})),
      articles_produced(registry.counter("newsd_articles_produced_total",
                                         "Article records handed to Kafka.", {"source"})),
      articles_published(registry.counter("newsd_articles_published_total",
                                          "Article records acknowledged by Kafka.", {"source"})),
      delivery_latency(registry.histogram(
          "newsd_kafka_delivery_latency_seconds",
          "Time from handing a record to the producer to its delivery report.", {},
          {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300})),
      delivery_errors(registry.counter("newsd_kafka_delivery_errors_total",
                                       "Delivery reports with an error, per librdkafka error.",
                                       {"error"})),
      kafka_errors(registry.counter("newsd_kafka_client_errors_total",
                                    "Client-wide Kafka errors (brokers down, transport, "
                                    "resolve).")),
      kafka_outstanding(registry.gauge("newsd_kafka_outstanding_records",
                                       "Records handed to the producer awaiting their delivery "
                                       "report.")),
      outbox_records(registry.gauge("newsd_outbox_records",
                                    "Records persisted in the outbox, not yet acknowledged by "
                                    "Kafka.")),
      revisits_scheduled(registry.gauge("newsd_page_revisits_scheduled",
                                        "Published pages with a revisit still to come (state_dir/revisits).")),
      outbox_capacity(registry.gauge("newsd_outbox_capacity",
                                     "Outbox size at which polling pauses (backpressure).")),
      outbox_oldest_age(registry.gauge("newsd_outbox_oldest_record_age_seconds",
                                       "How long the oldest record in the outbox has waited for Kafka.")),
      outbox_refused(registry.counter("newsd_outbox_records_refused_total",
                                      "Records Kafka can never take (too large...), dead-lettered "
                                      "and removed from the outbox.")),
      published_ids(registry.gauge("newsd_published_ids",
                                   "Article ids in the published set (deduplication state).")),
      fetches_in_flight(registry.gauge("newsd_fetches_in_flight",
                                       "HTTP transfers in progress.")),
      pollers(registry.gauge("newsd_pollers",
                             "Source pollers: running, or retired by a reload and not yet freed.", {"state"})),
      poller_crashes(registry.counter("newsd_poller_crashes_total",
                                      "Source polling loops ended by an unexpected error (and restarted).")),
      sources(registry.gauge("newsd_sources", "Configured sources, per state.", {"state"})),
      log_messages(registry.counter("newsd_log_messages_total",
                                    "Log lines written, per level and component.",
                                    {"level", "component"})),
      log_suppressed(registry.counter("newsd_log_suppressed_total",
                                      "Repeated identical warnings and errors not written.")),
      reloads(registry.counter("newsd_config_reloads_total",
                               "Configuration reloads (SIGHUP), per result.", {"result"})),
      http_refused(registry.counter("newsd_http_connections_refused_total",
                                    "HTTP connections closed unanswered: the connection cap was reached.")),
      start_time(registry.gauge("newsd_start_time_seconds",
                                "Start time of the process, seconds since the Unix epoch.")),
      build_info(registry.gauge("newsd_build_info", "Always 1; labelled with the version.",
                                {"version"})),
      cluster_owned_shards(registry.gauge("newsd_cluster_owned_shards",
                                          "Shards this instance holds and has restored ([cluster]).")),
      cluster_restoring_shards(registry.gauge("newsd_cluster_restoring_shards",
                                              "Shards assigned to this instance whose state is still being read.")),
      cluster_restore_seconds(registry.gauge("newsd_cluster_restore_seconds",
                                             "How long the last shard took from assignment to restored state.")),
      cluster_rebalances(registry.counter("newsd_cluster_rebalances_total",
                                          "Assignments and revocations of shards this instance took part in.")),
      cluster_transactions(registry.counter("newsd_cluster_transactions_total",
                                            "Kafka transactions by outcome (committed, aborted).", {"outcome"})),
      cluster_fenced(registry.counter("newsd_cluster_fenced_total",
                                      "Transactions aborted because the group had moved on (a paused or "
                                      "partitioned member fenced).")),
      cluster_index_lag(registry.gauge("newsd_cluster_index_lag_seconds",
                                       "Age of the newest story-index record of other members' shards when it "
                                       "was applied here (near duplicates across shards are judged with this lag).")) {
  build_info.with({std::string(newsd::kVersion)}).set(1);
  reloads.with({"ok"});
  reloads.with({"rejected"});
  kafka_errors.with();
  log_suppressed.with();
  http_refused.with();
}

SourceSeries DaemonMetrics::source(const std::string& id) {
  return SourceSeries{polls.share({id}),
                      bytes_fetched.share({id}),
                      articles_extracted.share({id}),
                      articles_deduplicated.share({id}),
                      near_duplicates.share({id}),
                      item_collisions.share({id}),
                      articles_produced.share({id}),
                      articles_published.share({id}),
                      error_streak.share({id})};
}

}  // namespace newsd::daemon::metrics
