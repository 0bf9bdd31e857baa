#include "parsers/articles/feed_article.hpp"

#include <algorithm>

#include "parsers/identity/article_identity.hpp"
#include "parsers/articles/language_detector.hpp"
#include "parsers/text/text_fingerprint.hpp"
#include "parsers/html/html_text.hpp"

namespace newsd::parsers {

Article article_from_feed_item(const Feed& feed, const FeedItem& item, std::string_view source,
                               std::string_view feed_url, TimePoint fetched_at) {
  Article article;
  article.source = source;
  article.feed_url = feed_url;
  article.feed_guid = item.guid;
  article.fetched_at = fetched_at;
  article.title = normalize_whitespace(item.title);

  std::string link = item.link;
  if (!is_web_url(link) && item.guid_is_permalink && is_web_url(item.guid)) link = item.guid;
  if (is_web_url(link)) {
    article.url = canonical_url(link);
    article.id = article_id_for_url(article.url);
  } else if (!item.guid.empty()) {
    article.id = article_id_for_guid(source, item.guid);
  } else if (!article.title.empty()) {
    article.id = article_id_for_guid(source, "title:" + article.title);
  }

  const std::string& html = !item.content.empty() ? item.content : item.summary;
  article.body = html_fragment_to_text(html);
  if (!item.summary.empty()) article.summary = html_fragment_to_text(item.summary);
  for (const auto& author : item.authors)
    article.authors.push_back(!author.name.empty() ? author.name : author.email);
  if (item.published) article.published_at = item.published->value;
  if (item.updated) article.updated_at = item.updated->value;
  // The item's own text decides; what the item or else the feed declares is
  // the hint (feeds declare one language for items in several).
  article.language = detect_language(article.title + "\n\n" + article.body,
                                     {.declared = !item.language.empty() ? item.language : feed.language,
                                      .url = article.url});
  article.tags = item.categories;
  article.image = item.image;
  if (article.image.empty()) {
    for (const auto& enclosure : item.enclosures) {
      if (enclosure.type.starts_with("image/")) {
        article.image = enclosure.url;
        break;
      }
    }
  }
  article.site_name = normalize_whitespace(feed.title);
  article.extraction.method = "feed";
  fingerprint_body(article);
  return article;
}

void merge_page_into_feed_article(Article& feed, const Article& page) {
  feed.page_digest = page.page_digest;
  if (!page.body.empty()) {
    feed.body = page.body;
    feed.content_hash = page.content_hash;
    feed.body_words = page.body_words;
    // The record's language is its body's: the page text decides, what the
    // item said (its text or its feed's declaration) is the hint.
    feed.language = detect_language(feed.title + "\n\n" + feed.body,
                                             {.declared = !feed.language.empty() ? feed.language : page.language,
                                              .url = feed.url});
  }
  if (feed.title.empty()) feed.title = page.title;
  if (feed.authors.empty()) feed.authors = page.authors;
  if (!feed.published_at) feed.published_at = page.published_at;
  if (!feed.updated_at) feed.updated_at = page.updated_at;
  if (feed.language.empty()) feed.language = page.language;
  if (!page.section.empty()) feed.section = page.section;
  if (!page.breadcrumbs.empty()) feed.breadcrumbs = page.breadcrumbs;
  for (const auto& tag : page.tags)
    if (std::find(feed.tags.begin(), feed.tags.end(), tag) == feed.tags.end()) feed.tags.push_back(tag);
  if (!page.image.empty()) feed.image = page.image;
  if (!page.site_name.empty()) feed.site_name = page.site_name;
  if (feed.summary.empty()) feed.summary = page.summary;
  feed.extraction = page.extraction;
  feed.extraction.detail = "feed item merged with its page";
}

}  // namespace newsd::parsers
