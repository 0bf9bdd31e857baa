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

}  // namespace
}  // namespace newsd::parsers
