#pragma once
// Article: one news article as newsd publishes it, whichever way it was
// obtained (a feed item, a page extracted by template, structured data or the
// generic extractor). article_record() turns it into the Kafka value whose
// field names are the public contract of docs/design.md ("newsd.article.v1").
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

inline constexpr const char* kArticleSchema = "newsd.article.v1";

struct ArticleExtraction {
  std::string method;       // "feed", "template:NAME", "jsonld", "generic"
  std::string detail;       // optional free text (e.g. which fields came from where)
};

struct Article {
  std::string id;           // hex digest of the canonical URL (or of source + GUID)
  std::string url;          // canonical URL
  std::string source;       // configured source id
  std::string title;        // whitespace-normalised
  std::string body;         // plain text, paragraphs separated by "\n\n"
  bool body_truncated = false;  // body cut to fit Kafka's record size limit
  std::string summary;      // plain text
  std::vector<std::string> authors;
  std::optional<StatedTime> published_at;  // in the offset the source stated
  std::optional<StatedTime> updated_at;
  TimePoint fetched_at{};                  // UTC
  std::string language;     // BCP 47
  std::string section;
  std::vector<std::string> breadcrumbs;
  std::vector<std::string> tags;
  std::string image;
  std::string site_name;
  std::string feed_url;     // feed{url, guid} when it came from a feed item
  std::string feed_guid;
  ArticleExtraction extraction;
  std::string content_hash;
  std::uint32_t body_words = 0;  // normalised words of body (for the story memory; not in the record)
  std::uint64_t page_digest = 0; // what its fetched page says (title, body, authors, dates), for revisits; 0: no page; not in the record
  int version = 1;
  std::string duplicate_of;
};

// Sets content_hash and body_words from body, in one walk of the text.
void fingerprint_body(Article& article);

// The article record of docs/design.md. Empty strings and lists become null / [],
// never invented values.
boost::json::object article_record(const Article& article);

// The article an article record states (its inverse, for a record handed
// from one cluster member to another); nothing when `record` is not one.
std::optional<Article> article_from_record(const boost::json::object& record);

}  // namespace newsd::parsers
