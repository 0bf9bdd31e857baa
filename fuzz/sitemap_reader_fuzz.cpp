// libFuzzer target for parse_sitemap(): any bytes (gzip included) must give
// a sitemap or a typed error, never a crash, a hang or unbounded memory, and
// every entry's text must be valid UTF-8.
//
// Build and run as fuzz/feed_parser_fuzz.cpp says, with the sitemap fixtures:
//   cmake --build build-fuzz --target sitemap_reader_fuzz
//   mkdir -p build-fuzz/sitemaps && cp tests/data/sitemaps/* build-fuzz/sitemaps/
//   build-fuzz/fuzz/sitemap_reader_fuzz -max_len=65536 -timeout=5 -max_total_time=300 build-fuzz/sitemaps
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parsers/feeds/sitemap_reader.hpp"
#include "parsers/text/text_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd::parsers;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FeedSource source;
  source.url = "https://example.org/sitemap.xml";
  if (!bytes.empty() && (bytes[0] & 1) != 0) source.content_type = "application/xml; charset=windows-1256";
  const SitemapResult result = parse_sitemap(bytes, source);
  if (result.sitemap) {
    for (const SitemapEntry& entry : result.sitemap->entries) {
      if (utf8_census(entry.title).invalid != 0 || utf8_census(entry.loc).invalid != 0) __builtin_trap();
      sitemap_entry_as_item(entry);
    }
    sitemap_as_feed(*result.sitemap);
  }
  return 0;
}
