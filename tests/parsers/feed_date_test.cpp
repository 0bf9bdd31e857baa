#include <gtest/gtest.h>

#include "parsers/feed.hpp"

namespace newsd::parsers {
namespace {

std::string parsed(std::string_view text) {
  auto t = parse_feed_date(text);
  return t ? format_rfc3339(*t) : "(none)";
}

TEST(FeedDate, Rfc822) {
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Wed, 19 May 2021 21:12:41 +0000"), "2021-05-19T21:12:41Z");
  EXPECT_EQ(parsed("Wed, 19 May 2021 21:12:41 +0300"), "2021-05-19T18:12:41Z");
  EXPECT_EQ(parsed("Wed, 19 May 2021 21:12:41 -05:30"), "2021-05-20T02:42:41Z");
}

TEST(FeedDate, Rfc822Variants) {
  EXPECT_EQ(parsed("01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z") << "no weekday";
  EXPECT_EQ(parsed("Thu, 01 Jan 04 19:48:21 GMT"), "2004-01-01T19:48:21Z") << "two-digit year";
  EXPECT_EQ(parsed("Thu, 01 Jan 99 19:48:21 GMT"), "1999-01-01T19:48:21Z") << "two-digit year, last century";
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48 EST"), "2004-01-02T00:48:00Z") << "no seconds, EST";
  EXPECT_EQ(parsed("Sun, 06 Nov 1994 08:49:37 PDT"), "1994-11-06T15:49:37Z");
  EXPECT_EQ(parsed("Mon, 01 Jan 2004 19:48:21 UT"), "2004-01-01T19:48:21Z") << "wrong weekday is ignored";
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 Z"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 A"), "2004-01-01T19:48:21Z") << "military zones read as UTC (RFC 2822)";
  EXPECT_EQ(parsed("Thursday, 1 January 2004 19:48:21"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Thu,01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Sept 5, 2020 3:04 PM"), "2020-09-05T15:04:00Z");
  EXPECT_EQ(parsed("01-Jan-2004 19:48:21 +0100"), "2004-01-01T18:48:21Z");
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 GMT+02:00"), "2004-01-01T17:48:21Z");
}

TEST(FeedDate, Iso8601) {
  EXPECT_EQ(parsed("2004-01-01T19:48:21Z"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("2004-01-01T19:48:21+02:00"), "2004-01-01T17:48:21Z");
  EXPECT_EQ(parsed("2019-10-12T07:20:50.52Z"), "2019-10-12T07:20:50Z");
  EXPECT_EQ(parsed("2004-01-01T19:48Z"), "2004-01-01T19:48:00Z");
  EXPECT_EQ(parsed("2004-01-01 19:48:21"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("2004-01-01"), "2004-01-01T00:00:00Z");
  EXPECT_EQ(parsed("2004-01"), "2004-01-01T00:00:00Z");
  EXPECT_EQ(parsed("2004"), "2004-01-01T00:00:00Z");
  EXPECT_EQ(parsed("20040101T194821Z"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("2004-01-01T19:48:21-0500"), "2004-01-02T00:48:21Z");
  EXPECT_EQ(parsed(" 2004-01-01T19:48:21Z\n"), "2004-01-01T19:48:21Z");
}

TEST(FeedDate, ArabicMonthsAndDigits) {
  EXPECT_EQ(parsed("12 كانون الثاني 2020"), "2020-01-12T00:00:00Z");
  EXPECT_EQ(parsed("١٩ أيار ٢٠٢١"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(parsed("۱۹ حزيران ۲۰۲۱"), "2021-06-19T00:00:00Z");
  EXPECT_EQ(parsed("الأربعاء، 19 مايو 2021 - 09:12 م"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(parsed("19 إبريل 2021 10:30 ص"), "2021-04-19T10:30:00Z");
  EXPECT_EQ(parsed("5 يونية 2021"), "2021-06-05T00:00:00Z");
  const std::pair<const char*, int> months[] = {
      {"كانون الثاني", 1}, {"شباط", 2},  {"آذار", 3},       {"نيسان", 4},         {"أيار", 5},
      {"حزيران", 6},       {"تموز", 7},  {"آب", 8},         {"أيلول", 9},         {"تشرين الأول", 10},
      {"تشرين الثاني", 11}, {"كانون الأول", 12}, {"يناير", 1}, {"فبراير", 2}, {"مارس", 3},
      {"أبريل", 4},        {"مايو", 5},  {"يونيو", 6},      {"يوليو", 7},         {"يولية", 7},
      {"أغسطس", 8},        {"سبتمبر", 9}, {"أكتوبر", 10},   {"نوفمبر", 11},       {"ديسمبر", 12},
  };
  for (const auto& [name, month] : months) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "2021-%02d-03T00:00:00Z", month);
    EXPECT_EQ(parsed(std::string("3 ") + name + " 2021"), expected) << name;
  }
}

TEST(FeedDate, UnparseableIsEmpty) {
  EXPECT_EQ(parsed(""), "(none)");
  EXPECT_EQ(parsed("yesterday"), "(none)");
  EXPECT_EQ(parsed("Thu, 32 Jan 2004 19:48:21 GMT"), "(none)");
  EXPECT_EQ(parsed("2004-13-01"), "(none)");
  EXPECT_EQ(parsed("2004-02-30"), "(none)");
  EXPECT_EQ(parsed("25:00"), "(none)");
  EXPECT_EQ(parsed(std::string(1000, '1')), "(none)");
}

TEST(FeedDate, FormatRfc3339) {
  using namespace std::chrono;
  EXPECT_EQ(format_rfc3339(sys_days{year{2021} / 5 / 19} + hours{21} + minutes{12} + seconds{41}),
            "2021-05-19T21:12:41Z");
  EXPECT_EQ(format_rfc3339(TimePoint{}), "1970-01-01T00:00:00Z");
}

}  // namespace
}  // namespace newsd::parsers
