#pragma once
// The article a feed item describes, before any page is fetched: every
// record field that a feed item can fill. Pure.
#include <string_view>

#include "parsers/articles/article.hpp"
#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

// `feed_url` is the URL the feed was fetched from; `fetched_at` the fetch time.
// The id comes from the item's link; without a usable link, from its GUID
// scoped by source (then its title, as a last resort). Returns an article
// with an empty id when the item has nothing to identify it by.
Article article_from_feed_item(const Feed& feed, const FeedItem& item, std::string_view source,
                               std::string_view feed_url, TimePoint fetched_at);

// Merges a page's article into the feed item's. Pure.
void merge_page_into_feed_article(Article& feed_article, const Article& page);

}  // namespace newsd::parsers
