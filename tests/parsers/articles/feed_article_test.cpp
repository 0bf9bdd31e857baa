// article_from_feed_item: how a feed item becomes an Article, and above all
// which link names it. Links as real feeds write them must keep their URL,
// so the same story from two feeds is one id. Its language comes from the
// item's own text, with the item's or else the feed's declared language as
// the hint.
#include "parsers/articles/feed_article.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/identity/article_identity.hpp"

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

const TimePoint kFetched = std::chrono::sys_days(std::chrono::year{2026} / 11 / 3);

std::vector<Article> articles_of(const std::string& rss) {
  FeedResult result = parse_feed(rss, {.url = "https://example.org/feed"});
  EXPECT_TRUE(result.feed) << to_string(result.error) << ": " << result.detail;
  std::vector<Article> articles;
  if (!result.feed) return articles;
  for (const FeedItem& item : result.feed->items)
    articles.push_back(article_from_feed_item(*result.feed, item, "sample", "https://example.org/feed", kFetched));
  return articles;
}

std::string rss(std::string_view channel_language, std::string_view items) {
  std::string out = R"(<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>)"
                    "<link>https://example.org/</link>";
  if (!channel_language.empty()) out += "<language>" + std::string(channel_language) + "</language>";
  return out + std::string(items) + "</channel></rss>";
}

// The Arabic and an English item of deploy/samples/sample-feed.xml, whose
// channel declares <language>en</language>.
constexpr std::string_view kSampleItems = R"(
  <item>
    <title>newsd publishes its first record</title>
    <link>https://example.org/news/first-record</link>
    <description>Each feed item becomes one Kafka record.</description>
  </item>
  <item>
    <title>بلينكن ولافروف يؤكدان على ضرورة الحوار</title>
    <link>https://example.org/news/arabic-sample</link>
    <description><![CDATA[<p>أكد كل من وزير الخارجية الأميركي ونظيره الروسي على ضرورة الحوار.</p>]]></description>
  </item>)";

TEST(FeedArticle, ArabicItemOfAFeedDeclaringEnglishIsArabic) {
  auto articles = articles_of(rss("en", kSampleItems));
  ASSERT_EQ(articles.size(), 2u);
  EXPECT_EQ(articles[0].language, "en");
  EXPECT_EQ(articles[1].language, "ar");
}

TEST(FeedArticle, ArabicItemOfAFeedDeclaringNothingIsArabic) {
  auto articles = articles_of(rss("", kSampleItems));
  ASSERT_EQ(articles.size(), 2u);
  EXPECT_EQ(articles[1].language, "ar");
}

TEST(FeedArticle, ThreeWordEnglishTitleKeepsTheFeedsFrench) {
  auto articles = articles_of(rss("fr", "<item><title>Markets rally today</title>"
                                         "<link>https://example.org/a</link></item>"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].language, "fr");
}

TEST(FeedArticle, ItemsDeclaredLanguageIsTheHintBeforeTheFeeds) {
  auto articles = articles_of(rss("en", R"(<item xml:lang="de-AT"><title>Kurz gemeldet</title>)"
                                        "<link>https://example.org/a</link></item>"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].language, "de");
}

TEST(FeedArticle, ShortItemOfAFeedDeclaringNothingHasNoLanguage) {
  auto articles = articles_of(rss("", "<item><title>Markets rally today</title>"
                                      "<link>https://example.org/a</link></item>"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].language, "");
}

TEST(FeedArticle, LanguageIsReadFromTheContentWhenThereIsOne) {
  // content:encoded in Spanish, a one-line English teaser, a feed declaring en.
  auto articles = articles_of(rss("en", R"(<item><title>Drought aid</title>
    <link>https://example.org/a</link><description>Aid for farmers.</description>
    <content:encoded><![CDATA[<p>El Gobierno anunció este
    lunes un paquete de ayudas para los agricultores afectados por la sequía.</p><p>Las organizaciones del sector
    consideran que las medidas llegan tarde y son insuficientes.</p>]]></content:encoded></item>)"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].language, "es");
}

}  // namespace
}  // namespace newsd::parsers
