#pragma once
// The Feed model: what every feed format (RSS 0.9x/1.0/2.0, Atom 0.3/1.0,
// JSON Feed 1.0/1.1) is parsed into. Plain values, owned by whoever holds the
// Feed; produced by parse_feed() and turned into the feed record of docs/design.md
// by feed_record().
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "parsers/text/stated_time.hpp"

namespace newsd::parsers {

struct Person {
  std::string name;
  std::string email;
};

struct Enclosure {
  std::string url;
  std::optional<std::int64_t> length;
  std::string type;
};

// A date as the feed wrote it, and the instant it names (with the offset it
// was written in) when it could be parsed.
struct FeedDate {
  std::string raw;
  std::optional<StatedTime> value;
};

struct FeedImage {
  std::string url;
  std::string title;
};

struct FeedItem {
  std::string title;          // plain text, entities decoded, whitespace-normalised
  std::string link;           // absolute URL
  std::string guid;           // guid / id as published
  bool guid_is_permalink = false;
  std::optional<FeedDate> published;
  std::optional<FeedDate> updated;
  std::vector<Person> authors;
  std::string summary;        // description / summary as published (may be HTML)
  std::string content;        // content:encoded / atom content (HTML kept as HTML)
  std::vector<std::string> categories;
  std::vector<Enclosure> enclosures;
  std::string comments;       // comments link
  std::string image;          // media:thumbnail / media:content image / itunes:image
  std::string language;       // item-level language when the feed says so (xml:lang)
};

struct Feed {
  std::string format;         // "rss2.0", "rss1.0", "rss0.91", "atom1.0", "atom0.3", "json1.1", ...
  std::string title;
  std::string link;
  std::string description;
  std::string language;
  std::optional<FeedDate> updated;
  std::optional<FeedImage> image;
  std::vector<Person> authors;
  std::optional<int> ttl_minutes;  // RSS <ttl>
  // Why the document was not well formed and what was recovered; empty when it was.
  std::string malformed;
  std::vector<FeedItem> items;
};

// What the fetcher knew about the bytes.
struct FeedSource {
  std::string url;               // the URL the bytes came from (after redirects)
  std::string content_type;      // HTTP Content-Type, may carry charset=
  std::string content_location;  // HTTP Content-Location, if any
};

enum class FeedError {
  empty,         // no bytes at all
  not_a_feed,    // well-formed or not, nothing in it is a feed (e.g. an HTML page)
  unreadable,    // so broken that nothing could be recovered
};

std::string_view to_string(FeedError error);

struct FeedResult {
  std::optional<Feed> feed;      // set on success (possibly with feed->malformed set)
  FeedError error{};             // meaningful only when !feed
  std::string detail;            // human-readable reason when !feed
};

// Parses a feed document. Pure: no I/O, no clock, no globals.
FeedResult parse_feed(std::string_view bytes, const FeedSource& source);

// The feed record of docs/design.md ("newsd parse-feed" output).
boost::json::object feed_record(const Feed& feed);

}  // namespace newsd::parsers
