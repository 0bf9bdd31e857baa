#include "parsers/articles/listing_links.hpp"
#include "parsers/articles/feed_article.hpp"

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

TEST(ListingLinksTest, ArticlePathsAreToldFromNavigation) {
  const char* site = "www.example.org";
  EXPECT_TRUE(looks_like_article_path("https://www.example.org/archives/312845", site));
  EXPECT_TRUE(looks_like_article_path("https://example.org/world/2026/11/harbour", site));
  EXPECT_TRUE(looks_like_article_path("https://www.example.org/news/harbour-reopens-after-storm", site));
  EXPECT_FALSE(looks_like_article_path("https://www.example.org/", site));
  EXPECT_FALSE(looks_like_article_path("https://www.example.org/tag/lebanon", site));
  EXPECT_FALSE(looks_like_article_path("https://www.example.org/category/news/page/2", site));
  EXPECT_FALSE(looks_like_article_path("https://www.example.org/author/jane-roe-smith", site));
  EXPECT_FALSE(looks_like_article_path("https://www.example.org/about", site));
  EXPECT_FALSE(looks_like_article_path("https://other.net/archives/312845", site));
  EXPECT_FALSE(looks_like_article_path("https://www.example.org/uploads/2026/photo.jpg", site));
  EXPECT_FALSE(looks_like_article_path("mailto:desk@example.org", site));
}

TEST(ListingLinksTest, SectionPageLinksWithoutATemplate) {
  std::string page = R"(<html><body>
<header><a href="/archives/1">pinned in the header</a></header>
<nav><a href="/category/world">World</a></nav>
<main><a href="/archives/312999">newer</a> <a href="../../archives/312845#comments">older</a>
<a href="/archives/312845">older again</a> <a href="/tag/x">tag</a>
<a href="https://twitter.com/share?u=/archives/312845">share</a>
<a href="https://elsewhere.net/archives/7">other site</a></main></body></html>)";
  SiteTemplateSet none;
  auto links = find_article_links(page, "text/html; charset=utf-8",
                                  "https://example.org/category/latest/", none, "");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0], "https://example.org/archives/312999");
  EXPECT_EQ(links[1], "https://example.org/archives/312845");
}

TEST(PageMergeTest, PageFillsWhatTheFeedLacks) {
  Article feed;
  feed.id = "id";
  feed.url = "https://example.org/a";
  feed.title = "Feed title";
  feed.body = "excerpt";
  feed.tags = {"World"};
  feed.published_at = StatedTime{TimePoint(std::chrono::seconds(1000))};
  feed.extraction.method = "feed";
  Article page;
  page.title = "Page title";
  page.body = "Full body.\n\nSecond paragraph.";
  page.section = "آخر الأخبار";
  page.breadcrumbs = {"الرئيسية", "آخر الأخبار"};
  page.tags = {"World", "Iceland"};
  page.authors = {"Desk"};
  page.published_at = StatedTime{TimePoint(std::chrono::seconds(2000))};
  page.extraction.method = "template:wafaamagazine";
  page.content_hash = "0123456789abcdef";
  merge_page_into_feed_article(feed, page);
  EXPECT_EQ(feed.id, "id");
  EXPECT_EQ(feed.title, "Feed title");
  EXPECT_EQ(feed.body, page.body);
  EXPECT_EQ(feed.section, page.section);
  EXPECT_EQ(feed.breadcrumbs, page.breadcrumbs);
  EXPECT_EQ(feed.tags, (std::vector<std::string>{"World", "Iceland"}));
  EXPECT_EQ(feed.authors, page.authors);
  EXPECT_EQ(feed.published_at, StatedTime{TimePoint(std::chrono::seconds(1000))});
  EXPECT_EQ(feed.extraction.method, "template:wafaamagazine");
  EXPECT_FALSE(feed.content_hash.empty());
  EXPECT_EQ(feed.content_hash, page.content_hash);
}

TEST(PageMergeTest, LanguageIsThatOfThePageBodyTheRecordCarries) {
  Article feed;
  feed.url = "https://example.org/a";
  feed.title = "Markets";
  feed.language = "en";  // a short item of a feed declaring en
  Article page;
  page.body = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في جنوب البلاد، بسعة مئتي سرير. "
              "وقال الوزير إن المشروع سيخدم أكثر من نصف مليون نسمة.";
  page.language = "en";  // the page declares en too
  merge_page_into_feed_article(feed, page);
  EXPECT_EQ(feed.language, "ar");

  Article short_page;
  short_page.body = "Kurz gemeldet.";
  short_page.language = "de";
  feed.language = "fr";
  merge_page_into_feed_article(feed, short_page);
  EXPECT_EQ(feed.language, "fr") << "a body too short to be sure keeps what the item had";
}

}  // namespace
}  // namespace newsd::parsers
