// article_from_feed_item: how a feed item becomes an Article, and above all
// which link names it. Links as real feeds write them must keep their URL,
// so the same story from two feeds is one id.
#include "parsers/feed_article.hpp"

#include <gtest/gtest.h>

#include "parsers/article_identity.hpp"

namespace newsd::parsers {
namespace {

Article from_link(std::string link, std::string guid = {}, bool guid_is_permalink = false) {
  Feed feed;
  FeedItem item;
  item.title = "A story";
  item.link = std::move(link);
  item.guid = std::move(guid);
  item.guid_is_permalink = guid_is_permalink;
  return article_from_feed_item(feed, item, "feed-a", "https://site.example/feed", TimePoint{});
}

TEST(FeedArticle, ALinkWithAFragmentKeepsItsUrl) {
  const Article plain = from_link("https://site.example/news/1");
  ASSERT_EQ(plain.url, "https://site.example/news/1");
  for (const char* link : {"https://site.example/news/1#comments", "https://site.example/news/1?utm_source=rss#ref=rss",
                           "https://site.example/news/1#", " https://site.example/news/1#top "}) {
    const Article article = from_link(link);
    EXPECT_EQ(article.url, plain.url) << link;
    EXPECT_EQ(article.id, plain.id) << link << ": the same story from a second feed is one record";
  }
}

TEST(FeedArticle, LinksAsFeedsWriteThemAreUsable) {
  // A space, unescaped non-ASCII, an IDN host, a bare '&' in the query.
  const Article spaced = from_link("https://site.example/news/a story");
  EXPECT_EQ(spaced.url, "https://site.example/news/a%20story");
  const Article arabic = from_link("https://site.example/أخبار/1");
  EXPECT_EQ(arabic.url, "https://site.example/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/1");
  const Article idn = from_link("https://bücher.example/news/1#x");
  EXPECT_EQ(idn.url, "https://xn--bcher-kva.example/news/1");
  const Article ampersand = from_link("https://site.example/view?id=7&cat=a&b");
  EXPECT_FALSE(ampersand.url.empty());
  EXPECT_EQ(ampersand.id, article_id_for_url(ampersand.url));
  for (const Article* article : {&spaced, &arabic, &idn, &ampersand})
    EXPECT_EQ(article->id, article_id_for_url(article->url)) << "the id is the URL's, not the title's";
}

TEST(FeedArticle, APermalinkGuidStandsInForAMissingLink) {
  const Article article = from_link("", "https://site.example/news/2#main", true);
  EXPECT_EQ(article.url, "https://site.example/news/2");
  // Not a permalink, not a URL: the id is the GUID's, scoped by source, and there is no URL.
  const Article guid_only = from_link("not a link", "urn:uuid:1234");
  EXPECT_TRUE(guid_only.url.empty());
  EXPECT_EQ(guid_only.id, article_id_for_guid("feed-a", "urn:uuid:1234"));
}

TEST(IsWebUrl, AcceptsWebUrlsAsWrittenAndRefusesTheRest) {
  for (const char* url : {"https://a.example/x#frag", "http://a.example", "https://a.example/a b", "https://ü.example/",
                          "HTTPS://A.EXAMPLE/?a&b"})
    EXPECT_TRUE(is_web_url(url)) << url;
  for (const char* url : {"", "#frag", "/relative/path", "mailto:a@b.example", "ftp://a.example/x", "https:///nohost",
                          "file:///etc/passwd", "javascript:alert(1)"})
    EXPECT_FALSE(is_web_url(url)) << url;
}

}  // namespace
}  // namespace newsd::parsers
