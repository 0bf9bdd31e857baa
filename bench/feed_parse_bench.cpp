// Feed parsing throughput: parse_feed() on every gofeed corpus input and on a
// generated WordPress-style Arabic feed of more than 5 MB, then Python
// feedparser (bench/feedparser_peer.py) on the same files in the same run,
// and the ratio. Then the cost of detect_language() per item (title and
// plain-text body, as article_from_feed_item() feeds it) on the same items.
//
//   feed_parse_bench [--seconds S] [--corpus DIR] [--no-peer]
//
// The peer runs under $NEWSD_PYTHON, else /usr/bin/python3 (Debian's
// python3-feedparser).
//
// S (default 2) is the minimum time spent on each measurement; DIR is a folder
// of feeds read recursively (default: the gofeed cases under tests/data/gofeed;
// gofeed's whole testdata folder, github.com/mmcdole/gofeed, MIT, is larger).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "parsers/feeds/feed.hpp"
#include "parsers/articles/feed_article.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/articles/language_detector.hpp"
#include "daemon/config/bounded_read.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read_file(const fs::path& path) {
  return newsd::daemon::read_regular_file(path, std::size_t{1} << 30).bytes.value_or("");
}

// Every feed under root: XML inputs, and JSON Feed inputs in a json/ folder
// (gofeed's other .json files are expectations).
std::vector<fs::path> corpus_files(const fs::path& root) {
  std::vector<fs::path> files;
  if (!fs::is_directory(root)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& path = entry.path();
    const bool json_input = path.parent_path().filename() == "json" && path.extension() == ".json" &&
                            !path.stem().string().ends_with("_expected");
    if (path.extension() == ".xml" || json_input) files.push_back(path);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A WordPress RSS 2.0 feed like wafaamagazine.com/feed, with as many items as
// it takes to pass min_bytes.
std::string generate_big_feed(std::size_t min_bytes) {
  std::string feed =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" "
      "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
      "xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n"
      "<title>مجلة وفاء wafaamagazine</title><link>https://wafaamagazine.com</link>\n"
      "<atom:link href=\"https://wafaamagazine.com/feed\" rel=\"self\" type=\"application/rss+xml\" />\n"
      "<description>مجلة وفاء wafaamagazine</description><language>ar</language>\n"
      "<lastBuildDate>Wed, 19 May 2021 21:15:02 +0000</lastBuildDate>\n";
  const std::string paragraph =
      "<p>أكد كل من وزير الخارجية الأميركي أنتوني بلينكن ونظيره الروسي سيرغي لافروف على وجود خلافات بين "
      "بلديهما لكنهما تحدثا عن ضرورة العمل معا في بعض القضايا، وذلك لدى بدء محادثاتهما في أيسلندا مساء "
      "الأربعاء &#8220;الخلافات القوية&#8221;&nbsp;&hellip;</p>\n";
  for (int n = 0; feed.size() < min_bytes; ++n) {
    const std::string id = std::to_string(300000 + n);
    feed += "<item>\n<title>بلينكن ولافروف يؤكدان على ضرورة الحوار رغم &#8220;الخلافات القوية&#8221; " + id +
            "</title>\n<link>https://wafaamagazine.com/archives/" + id + "</link>\n" +
            "<comments>https://wafaamagazine.com/archives/" + id + "#respond</comments>\n" +
            "<dc:creator><![CDATA[مجلة وفاء wafaamagazine]]></dc:creator>\n" +
            "<pubDate>Wed, 19 May 2021 " + std::to_string(10 + n % 14) + ":12:41 +0000</pubDate>\n" +
            "<category><![CDATA[آخر الأخبار]]></category><category><![CDATA[عربي ودولي]]></category>\n" +
            "<guid isPermaLink=\"false\">https://wafaamagazine.com/?p=" + id + "</guid>\n" +
            "<description><![CDATA[أكد كل من وزير الخارجية الأميركي أنتوني بلينكن&#8230;]]></description>\n" +
            "<content:encoded><![CDATA[<p><img src=\"https://wafaamagazine.com/wp-content/uploads/2021/05/img-" + id +
            ".jpg\" /></p>\n" + paragraph + paragraph + paragraph + paragraph + "]]></content:encoded>\n" +
            "<media:thumbnail url=\"/wp-content/uploads/2021/05/thumb-" + id + ".jpg\"/>\n</item>\n";
  }
  feed += "</channel>\n</rss>\n";
  return feed;
}

struct Rate {
  double feeds_per_s = 0;
  double mb_per_s = 0;
  std::size_t items = 0;  // items seen in the last round (a sanity check)
};

Rate measure(const std::vector<std::string>& payloads, double seconds, const newsd::parsers::FeedSource& source) {
  Rate rate;
  std::size_t feeds = 0, bytes = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    std::size_t items = 0;
    for (const std::string& payload : payloads) {
      const newsd::parsers::FeedResult result = newsd::parsers::parse_feed(payload, source);
      if (result.feed) items += result.feed->items.size();
      bytes += payload.size();
    }
    rate.items = items;
    feeds += payloads.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  rate.feeds_per_s = static_cast<double>(feeds) / elapsed;
  rate.mb_per_s = static_cast<double>(bytes) / elapsed / 1e6;
  return rate;
}

// The text each item's language is detected from, as article_from_feed_item() builds it.
std::vector<std::string> item_texts(const std::vector<std::string>& payloads) {
  std::vector<std::string> texts;
  for (const std::string& payload : payloads) {
    const newsd::parsers::FeedResult result = newsd::parsers::parse_feed(payload, {});
    if (!result.feed) continue;
    for (const newsd::parsers::FeedItem& item : result.feed->items)
      texts.push_back(newsd::parsers::normalize_whitespace(item.title) + "\n\n" +
                      newsd::parsers::html_fragment_to_text(!item.content.empty() ? item.content : item.summary));
  }
  return texts;
}

struct DetectionRate {
  double items_per_s = 0;
  double mean_bytes = 0;  // of the text handed to the detector
  std::size_t detected = 0;  // items given a language in the last round (a sanity check)
};

DetectionRate measure_detection(const std::vector<std::string>& texts, double seconds) {
  DetectionRate rate;
  std::size_t items = 0, bytes = 0;
  for (const std::string& text : texts) bytes += text.size();
  rate.mean_bytes = texts.empty() ? 0 : static_cast<double>(bytes) / static_cast<double>(texts.size());
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    std::size_t detected = 0;
    for (const std::string& text : texts) detected += !newsd::parsers::detect_language(text).empty();
    rate.detected = detected;
    items += texts.size();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds && !texts.empty());
  rate.items_per_s = static_cast<double>(items) / elapsed;
  return rate;
}

// article_from_feed_item() on every item of the (parsed) feeds: the record
// building that language detection is part of, in items per second.
double measure_articles(const std::vector<std::string>& payloads, double seconds) {
  std::vector<newsd::parsers::Feed> feeds;
  for (const std::string& payload : payloads) {
    newsd::parsers::FeedResult result = newsd::parsers::parse_feed(payload, {});
    if (result.feed) feeds.push_back(std::move(*result.feed));
  }
  std::size_t items = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  do {
    for (const newsd::parsers::Feed& feed : feeds)
      for (const newsd::parsers::FeedItem& item : feed.items)
        items += !newsd::parsers::article_from_feed_item(feed, item, "bench", "https://example.org/feed", {}).id.empty();
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds && items > 0);
  return static_cast<double>(items) / elapsed;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  bool run_peer = true;
  fs::path corpus_dir = fs::path(NEWSD_SOURCE_DIR) / "tests/data/gofeed";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else if (arg == "--corpus" && i + 1 < argc) corpus_dir = argv[++i];
    else if (arg == "--no-peer") run_peer = false;
    else {
      std::cerr << "usage: feed_parse_bench [--seconds S] [--corpus DIR] [--no-peer]\n";
      return 2;
    }
  }

  const std::vector<fs::path> files = corpus_files(corpus_dir);
  if (files.empty()) {
    std::cerr << "feed_parse_bench: no feeds under " << corpus_dir << " (--corpus DIR: a folder of .xml / json/*.json feeds)\n";
    return 1;
  }
  std::vector<std::string> corpus;
  std::size_t corpus_bytes = 0;
  for (const fs::path& file : files) {
    corpus.push_back(read_file(file));
    corpus_bytes += corpus.back().size();
  }
  const std::vector<std::string> big{generate_big_feed(5u << 20 | 1u << 18)};

  const Rate corpus_rate = measure(corpus, seconds, {});
  const Rate big_rate = measure(big, seconds, {.url = "https://wafaamagazine.com/feed"});
  std::printf("newsd corpus: %zu files, %.2f MB: %.0f feeds/s, %.1f MB/s\n", corpus.size(), corpus_bytes / 1e6,
              corpus_rate.feeds_per_s, corpus_rate.mb_per_s);
  std::printf("newsd big feed: %.2f MB, %zu items: %.1f MB/s (%.1f feeds/s)\n", big[0].size() / 1e6, big_rate.items,
              big_rate.mb_per_s, big_rate.feeds_per_s);
  const std::vector<std::string> corpus_texts = item_texts(corpus);
  const std::vector<std::string> big_texts = item_texts(big);
  const DetectionRate corpus_detection = measure_detection(corpus_texts, seconds);
  const DetectionRate big_detection = measure_detection(big_texts, seconds);
  std::printf("language detection, corpus items: %zu items of %.0f bytes: %.0f items/s (%zu given a language)\n",
              corpus_texts.size(), corpus_detection.mean_bytes, corpus_detection.items_per_s, corpus_detection.detected);
  const double big_articles = measure_articles(big, seconds);
  std::printf("language detection, big feed items: %zu items of %.0f bytes: %.0f items/s; parsing %.0f items/s, "
              "articles from parsed items (detection included) %.0f items/s\n",
              big_texts.size(), big_detection.mean_bytes, big_detection.items_per_s,
              big_rate.feeds_per_s * static_cast<double>(big_rate.items), big_articles);
  if (!run_peer) return 0;

  // The peer reads the same bytes from files: the corpus in place, the big feed from a temporary copy.
  const fs::path dir = fs::temp_directory_path() / ("newsd_feed_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream list(dir / "corpus.txt");
    for (const fs::path& file : files) list << file.string() << "\n";
    std::ofstream(dir / "big.xml", std::ios::binary) << big[0];
  }
  const fs::path peer = fs::path(NEWSD_SOURCE_DIR) / "bench/feedparser_peer.py";
  // Debian's python3-feedparser lives with the system interpreter, which a
  // pyenv shim earlier in PATH would hide.
  const char* python_env = std::getenv("NEWSD_PYTHON");
  const std::string python = python_env ? python_env : fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  const std::string command = shell_quote(python) + " " + shell_quote(peer.string()) + " --seconds " + std::to_string(seconds) +
                              " --corpus " + shell_quote((dir / "corpus.txt").string()) + " --big " +
                              shell_quote((dir / "big.xml").string());
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
    pclose(pipe);
  }
  fs::remove_all(dir);
  boost::system::error_code error;
  const boost::json::value peer_result = boost::json::parse(output, error);
  if (error || !peer_result.is_object()) {
    std::cerr << "feedparser peer failed: " << output << "\n";
    return 1;
  }
  const auto& p = peer_result.as_object();
  const double peer_feeds = p.at("corpus_feeds_per_s").to_number<double>();
  const double peer_corpus_mb = p.at("corpus_mb_per_s").to_number<double>();
  const double peer_big_mb = p.at("big_mb_per_s").to_number<double>();
  std::printf("feedparser %s corpus: %.0f feeds/s, %.2f MB/s\n", p.at("version").as_string().c_str(), peer_feeds,
              peer_corpus_mb);
  std::printf("feedparser big feed: %.2f MB/s\n", peer_big_mb);
  std::printf("ratio newsd/feedparser: corpus %.0fx feeds/s, big feed %.0fx MB/s\n",
              corpus_rate.feeds_per_s / peer_feeds, big_rate.mb_per_s / peer_big_mb);
  return 0;
}
