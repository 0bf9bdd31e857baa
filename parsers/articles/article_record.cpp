#include "parsers/articles/article.hpp"

#include "parsers/text/text_fingerprint.hpp"

#include <boost/json/array.hpp>

namespace newsd::parsers {
namespace {

boost::json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return boost::json::string(text);
}

boost::json::value time_or_null(const std::optional<StatedTime>& t) {
  if (!t) return nullptr;
  return boost::json::string(format_rfc3339(*t));
}

boost::json::array strings(const std::vector<std::string>& list) {
  boost::json::array out;
  out.reserve(list.size());
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

std::string text_of(const boost::json::object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string{};
}

std::vector<std::string> strings_of(const boost::json::object& record, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* value = record.if_contains(key); value && value->is_array())
    for (const auto& item : value->get_array())
      if (item.is_string()) out.emplace_back(item.get_string());
  return out;
}

std::optional<StatedTime> time_of(const boost::json::object& record, std::string_view key) {
  auto text = text_of(record, key);
  return text.empty() ? std::nullopt : parse_feed_date(text);
}

}  // namespace

void fingerprint_body(Article& article) {
  const BodyFingerprint fingerprint = body_fingerprint(article.body);
  article.content_hash = format_content_hash(fingerprint.simhash);
  article.body_words = static_cast<std::uint32_t>(fingerprint.words);
}

boost::json::object article_record(const Article& a) {
  boost::json::object record;
  record["schema"] = kArticleSchema;
  record["id"] = a.id;
  record["url"] = text_or_null(a.url);
  record["source"] = text_or_null(a.source);
  record["title"] = text_or_null(a.title);
  record["body"] = text_or_null(a.body);
  record["body_truncated"] = a.body_truncated;
  record["summary"] = text_or_null(a.summary);
  record["authors"] = strings(a.authors);
  record["published_at"] = time_or_null(a.published_at);
  record["updated_at"] = time_or_null(a.updated_at);
  record["fetched_at"] = format_rfc3339(a.fetched_at);
  record["language"] = text_or_null(a.language);
  record["section"] = text_or_null(a.section);
  record["breadcrumbs"] = strings(a.breadcrumbs);
  record["tags"] = strings(a.tags);
  record["image"] = text_or_null(a.image);
  record["site_name"] = text_or_null(a.site_name);
  if (a.feed_url.empty() && a.feed_guid.empty()) {
    record["feed"] = nullptr;
  } else {
    record["feed"] = {{"url", text_or_null(a.feed_url)}, {"guid", text_or_null(a.feed_guid)}};
  }
  boost::json::object extraction{{"method", a.extraction.method}};
  if (!a.extraction.detail.empty()) extraction["detail"] = a.extraction.detail;
  record["extraction"] = std::move(extraction);
  record["content_hash"] = text_or_null(a.content_hash);
  record["version"] = a.version;
  record["duplicate_of"] = text_or_null(a.duplicate_of);
  return record;
}

std::optional<Article> article_from_record(const boost::json::object& record) {
  if (text_of(record, "schema") != kArticleSchema || text_of(record, "id").empty()) return std::nullopt;
  Article a;
  a.id = text_of(record, "id");
  a.url = text_of(record, "url");
  a.source = text_of(record, "source");
  a.title = text_of(record, "title");
  a.body = text_of(record, "body");
  if (const auto* truncated = record.if_contains("body_truncated"); truncated && truncated->is_bool())
    a.body_truncated = truncated->get_bool();
  a.summary = text_of(record, "summary");
  a.authors = strings_of(record, "authors");
  a.published_at = time_of(record, "published_at");
  a.updated_at = time_of(record, "updated_at");
  if (auto fetched = time_of(record, "fetched_at")) a.fetched_at = fetched->utc;
  a.language = text_of(record, "language");
  a.section = text_of(record, "section");
  a.breadcrumbs = strings_of(record, "breadcrumbs");
  a.tags = strings_of(record, "tags");
  a.image = text_of(record, "image");
  a.site_name = text_of(record, "site_name");
  if (const auto* feed = record.if_contains("feed"); feed && feed->is_object()) {
    a.feed_url = text_of(feed->get_object(), "url");
    a.feed_guid = text_of(feed->get_object(), "guid");
  }
  if (const auto* extraction = record.if_contains("extraction"); extraction && extraction->is_object()) {
    a.extraction.method = text_of(extraction->get_object(), "method");
    a.extraction.detail = text_of(extraction->get_object(), "detail");
  }
  if (!a.body.empty()) fingerprint_body(a);
  if (const auto* version = record.if_contains("version"); version && version->is_int64() && version->get_int64() > 0)
    a.version = static_cast<int>(version->get_int64());
  a.duplicate_of = text_of(record, "duplicate_of");
  return a;
}

}  // namespace newsd::parsers
