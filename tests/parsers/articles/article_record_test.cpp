// article_record(): the dates of the record, as DESIGN.md's table states them.
#include "parsers/articles/article.hpp"

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

using namespace std::chrono;

// published_at and updated_at keep the offset the source stated, so the day a
// reader of the page sees is the day in the record; fetched_at is our clock, UTC.
TEST(ArticleRecord, DatesInTheStatedOffsetFetchedAtInUtc) {
  Article article;
  article.id = "id";
  article.published_at = parse_feed_date("Mon, 04 May 2020 00:30:00 +0700");
  article.updated_at = parse_feed_date("2020-05-04T09:00:00-05:00");
  article.fetched_at = sys_days{year{2020} / 5 / 4} + hours(15);
  const auto record = article_record(article);
  EXPECT_EQ(record.at("published_at"), "2020-05-04T00:30:00+07:00");
  EXPECT_EQ(record.at("updated_at"), "2020-05-04T09:00:00-05:00");
  EXPECT_EQ(record.at("fetched_at"), "2020-05-04T15:00:00Z");
}

TEST(ArticleRecord, UtcOrNoDate) {
  Article article;
  article.published_at = parse_feed_date("Mon, 04 May 2020 00:30:00 GMT");
  const auto record = article_record(article);
  EXPECT_EQ(record.at("published_at"), "2020-05-04T00:30:00Z");
  EXPECT_TRUE(record.at("updated_at").is_null());
}

// A cluster member hands a feed item to another as its record; the other
// reads the same article back (the record again, byte for byte).
TEST(ArticleRecord, ARecordReadsBackAsTheArticleItStates) {
  Article a;
  a.id = "0123456789abcdef0123456789abcdef";
  a.url = "https://example.org/news/1";
  a.source = "agg";
  a.title = "عنوان \"quoted\"";
  a.body = "First paragraph.\n\nSecond paragraph.";
  a.summary = "Teaser.";
  a.authors = {"A. Writer", "B. Writer"};
  a.published_at = parse_feed_date("Mon, 04 May 2020 00:30:00 +0700");
  a.updated_at = parse_feed_date("2020-05-04T09:00:00-05:00");
  a.fetched_at = sys_days{year{2020} / 5 / 4} + hours(15);
  a.language = "ar";
  a.section = "World";
  a.breadcrumbs = {"Home", "World"};
  a.tags = {"x", "y"};
  a.image = "https://example.org/i.jpg";
  a.site_name = "Example";
  a.feed_url = "https://agg.example/feed";
  a.feed_guid = "g1";
  a.extraction = {"feed", "d"};
  fingerprint_body(a);
  const auto record = article_record(a);
  auto back = article_from_record(record);
  ASSERT_TRUE(back);
  EXPECT_EQ(article_record(*back), record);
  EXPECT_EQ(back->published_at->offset, minutes(7 * 60)) << "the stated offset survives";
  EXPECT_EQ(back->body_words, a.body_words);
  auto other = record;
  other["schema"] = "something.else";
  EXPECT_FALSE(article_from_record(other));
}

}  // namespace
}  // namespace newsd::parsers
