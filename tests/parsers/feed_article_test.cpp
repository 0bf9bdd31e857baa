// article_from_feed_item(): the language of each item's article comes from
// the item's own text, with the item's or else the feed's declared language
// as the hint.
#include "parsers/feed_article.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace newsd::parsers {
namespace {

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
