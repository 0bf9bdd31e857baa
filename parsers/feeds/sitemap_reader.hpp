#pragma once
// Sitemaps (sitemaps.org 0.9) for `kind = "sitemap"` sources: a `urlset` of
// page URLs, with Google's News (`news:news`) and Image extensions, or a
// `sitemapindex` naming child sitemaps. Read like feeds: the same charset
// rules (document_decoder.hpp), the same recovery of broken XML
// (xml_recovery.hpp), the same dates (parse_feed_date); namespaces are known by
// URI, not prefix. Pure: no I/O, no clock.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

// The sitemap protocol's limits per file: 50,000 URLs and 50 MiB
// (52,428,800 bytes) uncompressed. Entries past the first 50,000 are not read
// (counted in Sitemap::over_cap); a larger document, or one that inflates to
// more, is refused (SitemapError::too_large).
inline constexpr std::size_t kMaxSitemapUrls = 50'000;
inline constexpr std::size_t kMaxSitemapBytes = 52'428'800;

// One <url> of a urlset.
struct SitemapEntry {
  std::string loc;                  // absolute http(s) URL (a relative one resolved against the sitemap's URL)
  std::optional<FeedDate> lastmod;  // when the page last changed, in the offset stated
  // Google News extension (<news:news>); empty when the entry has none.
  std::string title;                       // news:title, plain text
  std::optional<FeedDate> publication_date;  // news:publication_date
  std::string publication_name;            // news:publication/news:name
  std::string language;                    // news:publication/news:language (ISO 639: "ar", "zh-cn")
  std::vector<std::string> keywords;       // news:keywords split on commas, trimmed, no repeats
  // Image extension: the first <image:image>'s <image:loc>; empty when none.
  std::string image;
};

// One <sitemap> of a sitemap index: a child sitemap to poll.
struct SitemapChild {
  std::string loc;                  // absolute http(s) URL
  std::optional<FeedDate> lastmod;  // when the child last changed
};

struct Sitemap {
  enum class Kind { urlset, index };
  Kind kind = Kind::urlset;
  std::vector<SitemapEntry> entries;   // kind == urlset, document order
  std::vector<SitemapChild> children;  // kind == index, document order
  // <url> / <sitemap> elements skipped because their <loc> was missing, or
  // not an http(s) URL even after resolving it against the sitemap's URL.
  std::size_t dropped = 0;
  // <url> / <sitemap> elements past kMaxSitemapUrls, not read.
  std::size_t over_cap = 0;
  // What was repaired to read the document (gzip, charset, broken XML), as
  // Feed::malformed; empty when it was a clean sitemap.
  std::string malformed;
};

enum class SitemapError {
  empty,          // no bytes
  not_a_sitemap,  // readable, but the root is not urlset / sitemapindex (a feed, an HTML page)
  unreadable,     // so broken (XML or gzip) that nothing could be recovered
  too_large,      // over kMaxSitemapBytes, before or after gunzip
};

std::string_view to_string(SitemapError error);

struct SitemapResult {
  std::optional<Sitemap> sitemap;  // set on success (possibly with sitemap->malformed set)
  SitemapError error{};            // meaningful only when !sitemap
  std::string detail;              // human-readable reason when !sitemap
};

// Parses a sitemap or sitemap index. A gzip body (magic 1f 8b: a `.xml.gz`
// served as application/x-gzip, which the fetcher does not decode, unlike a
// Content-Encoding) is inflated first. `source.url` resolves relative locs;
// `source.content_type` may carry the charset.
SitemapResult parse_sitemap(std::string_view bytes, const FeedSource& source);

// An entry as a feed item, so the pipeline treats it like one of a
// `fetch_articles` feed: link = loc, title, published = publication_date,
// updated = lastmod, language, categories = keywords, image. The guid is
// left empty: the link is the identity. lastmod is not taken as the published
// date: it is often when the sitemap was regenerated, and the feed's dates
// win over the page's.
FeedItem sitemap_entry_as_item(const SitemapEntry& entry);

// A urlset as a Feed (format "sitemap"): its entries as items, the first
// publication name as the title, the first publication language as the
// language; an index gives a Feed without items.
Feed sitemap_as_feed(const Sitemap& sitemap);

}  // namespace newsd::parsers
