// libFuzzer target for parse_feed() and feed_record(): any bytes, with each
// kind of FeedSource, must give a feed or a typed error, never a crash, a hang
// or unbounded memory, and the record must be valid UTF-8 JSON.
//
// Build and run (clang needed: apt-get install -y clang libclang-rt-14-dev):
//   CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DNEWSD_FUZZ=ON
//   cmake --build build-fuzz --target feed_parser_fuzz
//   mkdir -p build-fuzz/corpus && cp tests/data/gofeed/translator/*/*.xml tests/data/feedparser/*/*/*.xml \
//     tests/data/feeds/* build-fuzz/corpus/
//   build-fuzz/fuzz/feed_parser_fuzz -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
//     -max_total_time=300 build-fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "parsers/feeds/feed.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/text/text_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd::parsers;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first byte picks what the fetcher claims about the bytes, so the
  // charset paths (HTTP charset, detection, UTF-16) are all reached.
  static constexpr std::string_view kContentTypes[] = {
      "", "text/xml; charset=windows-1256", "application/rss+xml; charset=utf-16", "text/html; charset=iso-8859-1",
      "application/atom+xml", "application/feed+json; charset=utf-8", "text/xml; charset=bogus", "text/plain"};
  FeedSource source;
  source.url = "https://example.org/feed/";
  if (!bytes.empty()) source.content_type = kContentTypes[static_cast<unsigned char>(bytes[0]) % 8];
  const FeedResult result = parse_feed(bytes, source);
  if (result.feed) {
    const std::string record = boost::json::serialize(feed_record(*result.feed));
    if (utf8_census(record).invalid != 0) __builtin_trap();
  }
  html_fragment_to_text(bytes.substr(0, 4096));
  parse_feed_date(bytes.substr(0, 128));
  return 0;
}
