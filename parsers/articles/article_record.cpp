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

}  // namespace newsd::parsers
