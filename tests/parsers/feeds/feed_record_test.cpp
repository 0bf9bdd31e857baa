#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {
namespace {

FeedDate make_date(std::string_view raw) { return FeedDate{std::string(raw), parse_feed_date(raw)}; }

TEST(FeedRecord, FieldsOfDesignMd) {
  Feed feed;
  feed.format = "rss2.0";
  feed.title = "T";
  feed.link = "https://example.org/";
  FeedItem item;
  item.title = "Item";
  item.link = "https://example.org/1";
  item.guid = "https://example.org/?p=1";
  item.published = FeedDate{"Wed, 19 May 2021 21:12:41 +0000", parse_feed_date("Wed, 19 May 2021 21:12:41 +0000")};
  item.updated = FeedDate{"garbage", std::nullopt};
  item.authors.push_back({"Ann", ""});
  item.categories = {"a", "b"};
  item.enclosures.push_back({"https://example.org/a.mp3", 12, "audio/mpeg"});
  item.enclosures.push_back({"https://example.org/b", std::nullopt, ""});
  feed.items.push_back(item);

  const boost::json::object record = feed_record(feed);
  EXPECT_EQ(record.at("format"), "rss2.0");
  EXPECT_TRUE(record.at("malformed").is_null());
  EXPECT_FALSE(record.contains("description")) << "absent values are omitted";
  EXPECT_FALSE(record.contains("updated"));
  const auto& out = record.at("items").as_array().at(0).as_object();
  EXPECT_EQ(out.at("guid"), "https://example.org/?p=1");
  EXPECT_EQ(out.at("guid_is_permalink"), false);
  EXPECT_EQ(out.at("published"), "2021-05-19T21:12:41Z");
  EXPECT_TRUE(out.at("updated").is_null());
  EXPECT_EQ(out.at("updated_raw"), "garbage");
  EXPECT_EQ(boost::json::serialize(out.at("authors")), R"([{"name":"Ann","email":null}])");
  EXPECT_EQ(boost::json::serialize(out.at("enclosures")),
            R"([{"url":"https://example.org/a.mp3","length":12,"type":"audio/mpeg"},)"
            R"({"url":"https://example.org/b","length":null,"type":null}])");
  EXPECT_EQ(boost::json::serialize(out.at("categories")), R"(["a","b"])");
  EXPECT_FALSE(out.contains("summary"));
}

// Each date in the offset its feed wrote it in: the reader's day, still RFC 3339.
TEST(FeedRecord, DatesKeepTheOffsetTheFeedStates) {
  Feed feed;
  feed.format = "rss2.0";
  feed.updated = make_date("Mon, 04 May 2020 09:00:00 JST");
  FeedItem rss;
  rss.published = make_date("Mon, 04 May 2020 00:30:00 +0700");
  rss.updated = make_date("Mon, 04 May 2020 01:00:00 GMT");
  feed.items.push_back(rss);
  FeedItem atom;
  atom.published = make_date("2020-05-03T22:30:00-05:00");
  atom.updated = make_date("2020-05-04T00:30:00Z");
  feed.items.push_back(atom);
  FeedItem unzoned;
  unzoned.published = make_date("2020-05-04 00:30:00");
  unzoned.updated = make_date("2020-05-04");
  feed.items.push_back(unzoned);

  const boost::json::object record = feed_record(feed);
  EXPECT_EQ(record.at("updated"), "2020-05-04T09:00:00+09:00") << "a named zone";
  const auto& items = record.at("items").as_array();
  EXPECT_EQ(items.at(0).at("published"), "2020-05-04T00:30:00+07:00");
  EXPECT_EQ(items.at(0).at("updated"), "2020-05-04T01:00:00Z");
  EXPECT_EQ(items.at(1).at("published"), "2020-05-03T22:30:00-05:00");
  EXPECT_EQ(items.at(1).at("updated"), "2020-05-04T00:30:00Z");
  EXPECT_EQ(items.at(2).at("published"), "2020-05-04T00:30:00Z") << "no zone stated: UTC";
  EXPECT_EQ(items.at(2).at("updated"), "2020-05-04T00:00:00Z") << "a day alone";
}

TEST(FeedRecord, MalformedReasonIsReported) {
  Feed feed;
  feed.format = "rss2.0";
  feed.malformed = "2 bare '&' escaped";
  EXPECT_EQ(feed_record(feed).at("malformed"), "2 bare '&' escaped");
}

}  // namespace
}  // namespace newsd::parsers
