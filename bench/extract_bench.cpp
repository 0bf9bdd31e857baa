// extract_bench: quality and speed of article extraction on two public corpora.
//
//   extract_bench score [aeb|fundus]   quality: scrapinghub-aeb shingle F1 (the
//                                      benchmark's metric), fundus title / date /
//                                      authors / body F1
//   extract_bench speed [--no-peer]    pages/s and p50/p99 per page: newsd's
//                                      extraction, native vs gumbo vs libxml2 parse, and
//                                      readability-lxml (bench/readability_peer.py)
//                                      on the same pages, with the ratio
//   extract_bench dump aeb|fundus      one line per page: id, F1, title (for tuning)
//   --parser gumbo|libxml2|native      the HTML parser for score/dump and the full run
//
// Corpora (not in the repository; give the folders):
//   --aeb DIR     scrapinghub's article-extraction-benchmark (ground-truth.json, html/*.html.gz),
//                 github.com/scrapinghub/article-extraction-benchmark, MIT
//   --fundus DIR  fundus's publisher test pages (manifest.json, test_data/), github.com/flairNLP/fundus, MIT
// Other options: --peer PATH (readability_peer.py), --python PATH (default /usr/bin/python3).
// libxml2 is loaded with dlopen so that the benchmark needs no extra link.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gumbo.h>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/html/html_document.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/articles/page_date.hpp"
#include "parsers/articles/structured_metadata.hpp"
#include "parsers/text/text_codec.hpp"
#include "daemon/config/bounded_read.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

struct Page {
  std::string id;
  std::string path;
  std::string url;
  std::string bytes;
  json::value expected;  // aeb: articleBody string; fundus: the version object
  newsd::parsers::TimePoint fetched_at = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
};

std::string read_gzip(const std::string& path) {
  std::string command = "gzip -dc '" + path + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  std::string out;
  if (!pipe) return out;
  char buffer[1 << 16];
  std::size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) out.append(buffer, n);
  return out;
}

std::string read_text(const std::string& path) {
  return newsd::daemon::read_regular_file(path, std::size_t{1} << 30).bytes.value_or("");
}

std::vector<Page> load_aeb(const fs::path& dir) {
  auto truth = json::parse(read_text((dir / "ground-truth.json").string())).as_object();
  std::vector<Page> pages;
  for (const auto& [key, value] : truth) {
    Page page;
    page.id = std::string(key);
    page.path = (dir / "html" / (page.id + ".html.gz")).string();
    page.url = std::string(value.as_object().at("url").as_string());
    page.expected = value.as_object().at("articleBody");
    page.bytes = read_gzip(page.path);
    pages.push_back(std::move(page));
  }
  return pages;
}

std::vector<Page> load_fundus(const fs::path& dir) {
  auto manifest = json::parse(read_text((dir / "manifest.json").string())).as_object();
  std::map<std::string, json::value> expected_files;
  std::vector<Page> pages;
  for (const auto& c : manifest.at("cases").as_array()) {
    const auto& entry = c.as_object();
    std::string expected = std::string(entry.at("expected").as_string());
    auto hash = expected.find('#');
    std::string file = expected.substr(0, hash);
    if (!expected_files.count(file)) expected_files[file] = json::parse(read_text((dir / file).string()));
    Page page;
    page.id = std::string(entry.at("html").as_string());
    page.path = (dir / page.id).string();
    page.url = std::string(entry.at("url").as_string());
    page.expected = expected_files[file].as_object().at(expected.substr(hash + 1));
    page.bytes = read_gzip(page.path);
    // "2024-05-03 18:19:08.721370": the crawl time resolves relative dates as the fetch time would.
    std::string crawled = std::string(entry.at("crawl_date").as_string()).substr(0, 19);
    if (crawled.size() == 19) crawled[10] = 'T';
    if (auto at = newsd::parsers::parse_feed_date(crawled + "Z")) page.fetched_at = at->utc;
    pages.push_back(std::move(page));
  }
  return pages;
}

// \w of Python's re for one code point, closely enough for the metric:
// letters, digits, marks and '_' count; punctuation, symbols and spaces do not.
bool is_word_code_point(char32_t cp) {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == '_';
  if (cp <= 0xBF) return cp == 0xAA || cp == 0xB5 || cp == 0xBA || cp == 0xB2 || cp == 0xB3 || cp == 0xB9 ||
                         (cp >= 0xBC && cp <= 0xBE);
  if (cp == 0xD7 || cp == 0xF7) return false;
  if (cp >= 0x2000 && cp <= 0x2BFF) return (cp >= 0x2070 && cp <= 0x209F) || (cp >= 0x2150 && cp <= 0x218F);
  if (cp >= 0x3000 && cp <= 0x303F) return cp == 0x3005 || cp == 0x3006 || cp == 0x3007;
  if (cp >= 0xFE30 && cp <= 0xFE4F) return false;
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;
  if (cp == 0x060C || cp == 0x061B || cp == 0x061F || (cp >= 0x066A && cp <= 0x066D) || cp == 0x06D4) return false;
  if (cp >= 0x2E00 && cp <= 0x2E7F) return false;
  if (cp >= 0x1F000) return false;
  if (cp == 0xFFFD || cp == 0xFEFF) return false;
  return true;
}

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = c < 0x80 ? c : c < 0xE0 ? (c & 0x1F) : c < 0xF0 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    if (is_word_code_point(cp)) {
      current.append(text.substr(i, len));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
    i += len;
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

std::map<std::string, int> shingles(std::string_view text) {
  auto tokens = tokenize(text);
  std::map<std::string, int> out;
  if (tokens.empty()) return out;
  std::size_t n = tokens.size() < 4 ? 1 : tokens.size() - 3;
  for (std::size_t i = 0; i < n; ++i) {
    std::string key;
    for (std::size_t k = i; k < std::min(i + 4, tokens.size()); ++k) key += tokens[k] + '\x1f';
    ++out[key];
  }
  return out;
}

// True positive / false positive / false negative shingle shares of one page.
struct Overlap {
  double tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp > 0 ? tp / (tp + fp) : 0; }
  double recall() const { return tp + fn > 0 ? tp / (tp + fn) : 0; }
  double f1() const {
    double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

Overlap overlap(std::string_view truth, std::string_view prediction) {
  auto t = shingles(truth), p = shingles(prediction);
  Overlap o;
  for (const auto& [k, n] : p) {
    auto it = t.find(k);
    int common = it == t.end() ? 0 : std::min(n, it->second);
    o.tp += common;
    o.fp += n - common;
  }
  for (const auto& [k, n] : t) {
    auto it = p.find(k);
    o.fn += n - (it == p.end() ? 0 : std::min(n, it->second));
  }
  double sum = o.tp + o.fp + o.fn;
  if (sum > 0) {
    o.tp /= sum;
    o.fp /= sum;
    o.fn /= sum;
  }
  return o;
}

// The parser every measurement uses unless it names one (--parser).
newsd::parsers::HtmlParser g_parser = newsd::parsers::HtmlOptions{}.parser;

newsd::parsers::Article extract(const Page& page) {
  newsd::parsers::PageInput input;
  input.bytes = page.bytes;
  input.url = page.url;
  input.fetched_at = page.fetched_at;
  newsd::parsers::ExtractOptions options;
  options.html.parser = g_parser;
  auto result = newsd::parsers::extract_article(input, options);
  return result.article ? *result.article : newsd::parsers::Article{};
}

std::string str(const json::value& v) { return v.is_string() ? std::string(v.get_string()) : std::string{}; }

std::string fundus_body(const json::object& expected) {
  std::string body;
  const auto* body_value = expected.if_contains("body");
  if (body_value == nullptr || !body_value->is_object() || !body_value->as_object().contains("sections")) return body;
  for (const auto& section : body_value->as_object().at("sections").as_array())
    for (const auto& paragraph : section.as_object().at("paragraphs").as_array()) {
      if (!body.empty()) body += "\n\n";
      body += str(paragraph);
    }
  return body;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

int score_aeb(const std::vector<Page>& pages, bool dump) {
  double precision = 0, recall = 0;
  Overlap pooled;
  for (const auto& page : pages) {
    auto article = extract(page);
    auto o = overlap(str(page.expected), article.body);
    precision += o.precision();
    recall += o.recall();
    pooled.tp += o.tp;
    pooled.fp += o.fp;
    pooled.fn += o.fn;
    if (dump) std::printf("%s\tP=%.3f\tR=%.3f\t%s\n", page.id.substr(0, 12).c_str(), o.precision(), o.recall(), article.extraction.method.c_str());
  }
  double n = static_cast<double>(pages.size());
  double p = precision / n, r = recall / n;
  std::printf("scrapinghub-aeb: %zu pages  precision %.4f  recall %.4f  F1 %.4f  (pooled tp/fp/fn F1 %.4f)\n",
              pages.size(), p, r, 2 * p * r / (p + r), pooled.f1());
  return 0;
}

// The date printed by the headline alone (the extractor's last resort before
// the URL), as if the page had no date metadata: its day against fundus's.
std::optional<newsd::parsers::StatedTime> printed_date(const Page& page) {
  newsd::parsers::HtmlOptions options;
  options.parser = g_parser;
  auto parsed = newsd::parsers::parse_html(page.bytes, "", options);
  if (!parsed.document) return std::nullopt;
  auto meta = newsd::parsers::read_structured_metadata(parsed.document->dom);
  for (pugi::xml_node node : meta.heading_elements)
    if (std::string_view(node.name()) == "h1") return newsd::parsers::date_near_headline(node, {page.fetched_at, {}});
  return std::nullopt;
}

int score_fundus(const std::vector<Page>& pages, bool dump) {
  int titles = 0, dates = 0, days = 0, dated = 0, authors = 0, authored = 0;
  int printed_right = 0, printed_wrong = 0;
  double f1 = 0;
  int with_body = 0;
  for (const auto& page : pages) {
    auto article = extract(page);
    const auto& expected = page.expected.as_object();
    std::string title = expected.contains("title") ? newsd::parsers::normalize_whitespace(str(expected.at("title"))) : "";
    bool title_ok = title == article.title;
    titles += title_ok;
    std::string date = expected.contains("publishing_date") ? str(expected.at("publishing_date")) : "";
    bool date_ok = false;
    std::string ours_date;
    if (!date.empty()) {
      ++dated;
      std::string ours = article.published_at ? newsd::parsers::format_rfc3339(*article.published_at) : "";
      ours_date = ours + " vs " + date;
      // "2024-05-03 18:19:08+02:00" (fractional seconds and zone optional):
      // exact is the same instant; same day is the same day in the offset each
      // side states, the day a reader of the page sees.
      std::string iso = date;
      if (iso.size() > 10 && iso[10] == ' ') iso[10] = 'T';
      if (auto dot = iso.find('.', 19); dot != std::string::npos) {
        auto end = iso.find_first_of("+-Z", dot);
        iso.erase(dot, end == std::string::npos ? std::string::npos : end - dot);
      }
      auto stated = newsd::parsers::parse_feed_date(iso);
      std::string theirs = stated ? newsd::parsers::format_rfc3339(*stated) : date;
      date_ok = article.published_at && stated && article.published_at->utc == stated->utc;
      dates += date_ok;
      days += !ours.empty() && ours.substr(0, 10) == theirs.substr(0, 10);
      if (auto printed = printed_date(page)) {
        bool right = newsd::parsers::format_rfc3339(*printed).substr(0, 10) == theirs.substr(0, 10);
        printed_right += right;
        printed_wrong += !right;
      }
    }
    std::vector<std::string> want;
    if (const auto* list = expected.if_contains("authors"); list != nullptr && list->is_array())
      for (const auto& a : list->get_array()) want.push_back(lower(str(a)));
    if (!want.empty()) {
      ++authored;
      std::vector<std::string> got;
      for (const auto& a : article.authors) got.push_back(lower(a));
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      authors += want == got;
      if (dump && want != got) {
        std::string line;
        for (const auto& a : got) line += a + "; ";
        line += " <-> ";
        for (const auto& a : want) line += a + "; ";
        std::printf("%s\tauthors\t%s\n", page.id.c_str(), line.c_str());
      }
    }
    std::string body = fundus_body(expected);
    if (!body.empty()) {
      ++with_body;
      f1 += overlap(body, article.body).f1();
    }
    if (dump)
      std::printf("%s\ttitle=%d\tdate=%d\tF1=%.3f\t%s\t|\t%s\t%s\n", page.id.c_str(), title_ok, date_ok,
                  body.empty() ? 0.0 : overlap(body, article.body).f1(), article.title.c_str(), title.c_str(),
                  ours_date.c_str());
  }
  auto pct = [](int a, int b) { return b == 0 ? 0.0 : 100.0 * a / b; };
  std::printf("fundus: %zu pages  title exact %.1f%% (%d)  date exact %.1f%% / same day %.1f%% (of %d dated)  "
              "authors exact %.1f%% (of %d)  body F1 %.4f (of %d)\n",
              pages.size(), pct(titles, static_cast<int>(pages.size())), titles, pct(dates, dated), pct(days, dated),
              dated, pct(authors, authored), authored, with_body ? f1 / with_body : 0.0, with_body);
  std::printf("fundus, date metadata ignored: the date printed by the headline is the right day %.1f%%, wrong %.1f%%, "
              "none %.1f%% (of %d dated)\n",
              pct(printed_right, dated), pct(printed_wrong, dated), pct(dated - printed_right - printed_wrong, dated), dated);
  return 0;
}

struct Timing {
  std::vector<double> ms;
  double total_s = 0;
  void report(const char* name, std::size_t bytes) const {
    auto sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    auto at = [&](double q) { return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted.size())))]; };
    std::printf("  %-28s %8.1f pages/s  %7.1f MB/s  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms\n", name,
                static_cast<double>(ms.size()) / total_s, static_cast<double>(bytes) / total_s / 1e6, at(0.5), at(0.99),
                sorted.back());
  }
};

// Each page is timed `rounds` times and its fastest run kept: the machine is
// shared, and the minimum is the figure least disturbed by other work.
template <typename F>
Timing time_pages(const std::vector<Page>& pages, int rounds, F&& work) {
  Timing timing;
  for (const auto& page : pages) {
    double best = 1e300;
    for (int round = 0; round < rounds; ++round) {
      auto start = Clock::now();
      work(page);
      best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    timing.ms.push_back(best);
    timing.total_s += best / 1000.0;
  }
  return timing;
}

// libxml2's HTML parser, loaded at run time.
class LibXml2 {
 public:
  LibXml2() : handle_(dlopen("libxml2.so.2", RTLD_NOW)) {
    if (handle_ == nullptr) return;
    read_ = reinterpret_cast<ReadMemory>(dlsym(handle_, "htmlReadMemory"));
    free_ = reinterpret_cast<FreeDoc>(dlsym(handle_, "xmlFreeDoc"));
  }
  ~LibXml2() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  LibXml2(const LibXml2&) = delete;
  LibXml2& operator=(const LibXml2&) = delete;
  bool ok() const { return read_ != nullptr && free_ != nullptr; }
  void parse(const std::string& bytes) const {
    // HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_COMPACT
    void* doc = read_(bytes.data(), static_cast<int>(bytes.size()), nullptr, "UTF-8", 1 | 32 | 64 | 2048 | 65536);
    if (doc != nullptr) free_(doc);
  }

 private:
  using ReadMemory = void* (*)(const char*, int, const char*, const char*, int);
  using FreeDoc = void (*)(void*);
  void* handle_;
  ReadMemory read_ = nullptr;
  FreeDoc free_ = nullptr;
};

struct PeerResult {
  double pages_per_s = 0, p50 = 0, p99 = 0;
  bool ok = false;
};

PeerResult run_peer(const std::string& python, const std::string& peer, const std::vector<Page>& pages) {
  fs::path list = fs::temp_directory_path() / ("extract_bench_pages_" + std::to_string(getpid()) + ".txt");
  {
    std::ofstream out(list);
    for (const auto& page : pages) out << page.path << "\n";
  }
  std::string command = python + " '" + peer + "' '" + list.string() + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  std::string output;
  char buffer[4096];
  std::size_t n;
  while (pipe && (n = fread(buffer, 1, sizeof buffer, pipe.get())) > 0) output.append(buffer, n);
  pipe.reset();
  fs::remove(list);
  PeerResult result;
  boost::system::error_code ec;
  auto value = json::parse(output, ec);
  if (ec || !value.is_object()) return result;
  const auto& o = value.as_object();
  result.pages_per_s = o.at("pages_per_s").to_number<double>();
  result.p50 = o.at("p50_ms").to_number<double>();
  result.p99 = o.at("p99_ms").to_number<double>();
  result.ok = true;
  return result;
}

int speed(const std::vector<Page>& pages, const std::string& label, bool with_peer, const std::string& python,
          const std::string& peer) {
  std::size_t bytes = 0;
  for (const auto& p : pages) bytes += p.bytes.size();
  std::printf("%s: %zu pages, %.1f MB\n", label.c_str(), pages.size(), static_cast<double>(bytes) / 1e6);
  const int rounds = 3;
  for (const auto& page : pages) (void)extract(page);  // warm caches
  auto full = time_pages(pages, rounds, [](const Page& page) { (void)extract(page); });
  full.report("newsd extract (full)", bytes);
  for (auto parser : {newsd::parsers::HtmlParser::native, newsd::parsers::HtmlParser::gumbo,
                      newsd::parsers::HtmlParser::libxml2}) {
    if (!newsd::parsers::html_parser_available(parser)) continue;
    newsd::parsers::HtmlOptions html;
    html.parser = parser;
    time_pages(pages, rounds, [&](const Page& page) { (void)newsd::parsers::parse_html(page.bytes, "", html); })
        .report(parser == newsd::parsers::HtmlParser::native  ? "  decode+native parse"
                : parser == newsd::parsers::HtmlParser::gumbo ? "  decode+gumbo+pugixml"
                                                              : "  decode+libxml2+pugixml",
                bytes);
  }
  {
    // The native tokenizer and tree builder alone, on pages already decoded to UTF-8.
    std::vector<Page> utf8(pages.size());
    for (std::size_t i = 0; i < pages.size(); ++i) {
      auto charset = newsd::parsers::detect_html_charset(pages[i].bytes, "");
      utf8[i].bytes = newsd::parsers::to_utf8(pages[i].bytes, charset.charset);
    }
    newsd::parsers::HtmlOptions html;
    html.parser = newsd::parsers::HtmlParser::native;
    time_pages(utf8, rounds, [&](const Page& page) { (void)newsd::parsers::parse_html_utf8(page.bytes, html); })
        .report("  native parse only (UTF-8)", bytes);
  }
  {
    // Extraction alone, on documents parsed beforehand.
    std::vector<std::unique_ptr<newsd::parsers::HtmlDocument>> documents;
    newsd::parsers::HtmlOptions html;
    html.parser = g_parser;
    for (const auto& page : pages) documents.push_back(newsd::parsers::parse_html(page.bytes, "", html).document);
    std::size_t index = 0;
    std::vector<Page> indices(pages.size());
    for (std::size_t i = 0; i < pages.size(); ++i) indices[i].id = std::to_string(i);
    time_pages(indices, rounds, [&](const Page& page) {
      index = std::stoul(page.id);
      if (!documents[index]) return;
      newsd::parsers::PageInput input;
      input.url = pages[index].url;
      (void)newsd::parsers::extract_article_from_dom(*documents[index], input, {});
    }).report("  extraction on a parsed DOM", bytes);
  }
  auto gumbo = time_pages(pages, rounds, [](const Page& page) {
    GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, page.bytes.data(), page.bytes.size());
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  });
  gumbo.report("  gumbo parse only", bytes);
  LibXml2 libxml2;
  if (libxml2.ok()) {
    auto xml = time_pages(pages, rounds, [&](const Page& page) { libxml2.parse(page.bytes); });
    xml.report("  libxml2 htmlReadMemory only", bytes);
    std::vector<Page> stripped(pages.size());
    std::size_t stripped_bytes = 0;
    for (std::size_t i = 0; i < pages.size(); ++i) {
      stripped[i].bytes = newsd::parsers::drop_raw_text_content(pages[i].bytes);
      stripped_bytes += stripped[i].bytes.size();
    }
    std::printf("  after dropping script/style/svg/comment content: %.1f MB\n", static_cast<double>(stripped_bytes) / 1e6);
    time_pages(stripped, rounds, [](const Page& page) {
      GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, page.bytes.data(), page.bytes.size());
      gumbo_destroy_output(&kGumboDefaultOptions, output);
    }).report("  gumbo parse only (dropped)", stripped_bytes);
    time_pages(stripped, rounds, [&](const Page& page) { libxml2.parse(page.bytes); })
        .report("  libxml2 only (dropped)", stripped_bytes);
  } else {
    std::printf("  libxml2: libxml2.so.2 not loadable\n");
  }
  if (with_peer) {
    auto result = run_peer(python, peer, pages);
    if (result.ok) {
      double ours = static_cast<double>(full.ms.size()) / full.total_s;
      std::printf("  %-28s %8.1f pages/s  p50 %6.2f ms  p99 %6.2f ms\n", "readability-lxml (peer)", result.pages_per_s,
                  result.p50, result.p99);
      std::printf("  ratio newsd / readability-lxml: %.1fx pages/s\n", ours / result.pages_per_s);
    } else {
      std::printf("  readability-lxml peer failed to run (%s %s)\n", python.c_str(), peer.c_str());
    }
  }
  return 0;
}

constexpr const char* kUsage =
    "usage: extract_bench [score|speed|dump] [aeb|fundus] [--aeb DIR] [--fundus DIR]\n"
    "                     [--parser gumbo|libxml2|native] [--no-peer] [--peer PATH] [--python PATH]\n"
    "\n"
    "The corpora are not part of newsd; give the folder of each one to run:\n"
    "  --aeb DIR     scrapinghub article-extraction-benchmark: DIR/ground-truth.json and DIR/html/*.html.gz\n"
    "                (github.com/scrapinghub/article-extraction-benchmark, MIT)\n"
    "  --fundus DIR  fundus publisher test pages: DIR/manifest.json and the pages it names\n"
    "                (github.com/flairNLP/fundus, MIT)\n";

// A corpus folder must hold its index file; anything else is a usage mistake
// that deserves a sentence, not an exception from deep inside the loader.
bool corpus_ready(const char* name, const std::string& dir, const char* index_file) {
  if (dir.empty()) {
    std::fprintf(stderr, "extract_bench: no %s corpus given (--%s DIR)\n\n%s", name, name, kUsage);
    return false;
  }
  if (!fs::is_regular_file(fs::path(dir) / index_file)) {
    std::fprintf(stderr, "extract_bench: %s is not the %s corpus: %s is missing\n\n%s", dir.c_str(), name,
                 (fs::path(dir) / index_file).c_str(), kUsage);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string aeb_dir, fundus_dir;
  std::string python = "/usr/bin/python3";
  std::string peer = (fs::path(NEWSD_SOURCE_DIR) / "bench/readability_peer.py").string();
  bool with_peer = true;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--aeb" && i + 1 < args.size()) aeb_dir = args[++i];
    else if (args[i] == "--fundus" && i + 1 < args.size()) fundus_dir = args[++i];
    else if (args[i] == "--peer" && i + 1 < args.size()) peer = args[++i];
    else if (args[i] == "--python" && i + 1 < args.size()) python = args[++i];
    else if (args[i] == "--no-peer") with_peer = false;
    else if (args[i] == "--parser" && i + 1 < args.size()) {
      ++i;
      g_parser = args[i] == "gumbo"    ? newsd::parsers::HtmlParser::gumbo
                 : args[i] == "native" ? newsd::parsers::HtmlParser::native
                                       : newsd::parsers::HtmlParser::libxml2;
    }
    else if (args[i] == "-h" || args[i] == "--help") {
      std::printf("%s", kUsage);
      return 0;
    } else positional.push_back(args[i]);
  }
  std::string mode = positional.empty() ? "all" : positional[0];
  // Without a corpus name, every corpus whose folder was given.
  std::string corpus = positional.size() > 1 ? positional[1] : "given";
  bool aeb = corpus == "aeb" || (corpus == "given" && !aeb_dir.empty());
  bool fundus = corpus == "fundus" || (corpus == "given" && !fundus_dir.empty());
  if (!aeb && !fundus) {
    std::fprintf(stderr, "extract_bench: no corpus given\n\n%s", kUsage);
    return 2;
  }
  if (aeb && !corpus_ready("aeb", aeb_dir, "ground-truth.json")) return 2;
  if (fundus && !corpus_ready("fundus", fundus_dir, "manifest.json")) return 2;
  std::vector<Page> aeb_pages, fundus_pages;
  if (aeb) aeb_pages = load_aeb(aeb_dir);
  if (fundus) fundus_pages = load_fundus(fundus_dir);
  if (mode == "score" || mode == "all" || mode == "dump") {
    bool dump = mode == "dump";
    if (aeb) score_aeb(aeb_pages, dump);
    if (fundus) score_fundus(fundus_pages, dump);
  }
  if (mode == "speed" || mode == "all") {
    if (aeb) speed(aeb_pages, "scrapinghub-aeb", with_peer, python, peer);
    if (fundus) speed(fundus_pages, "fundus", with_peer, python, peer);
  }
  return 0;
}
