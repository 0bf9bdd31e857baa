#include <gtest/gtest.h>

#include "parsers/text/stated_time.hpp"

namespace newsd::parsers {
namespace {

using namespace std::chrono;

// The date as a record prints it: in the offset the text states.
std::string parsed(std::string_view text) {
  auto t = parse_feed_date(text);
  return t ? format_rfc3339(*t) : "(none)";
}

// The instant alone, in UTC: what comparisons and schedules see.
std::string instant(std::string_view text) {
  auto t = parse_feed_date(text);
  return t ? format_rfc3339(t->utc) : "(none)";
}

TEST(FeedDate, Rfc822) {
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Wed, 19 May 2021 21:12:41 +0000"), "2021-05-19T21:12:41Z");
  EXPECT_EQ(parsed("Wed, 19 May 2021 21:12:41 +0300"), "2021-05-19T21:12:41+03:00");
  EXPECT_EQ(parsed("Wed, 19 May 2021 21:12:41 -05:30"), "2021-05-19T21:12:41-05:30");
}

TEST(FeedDate, Rfc822Variants) {
  EXPECT_EQ(parsed("01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z") << "no weekday";
  EXPECT_EQ(parsed("Thu, 01 Jan 04 19:48:21 GMT"), "2004-01-01T19:48:21Z") << "two-digit year";
  EXPECT_EQ(parsed("Thu, 01 Jan 99 19:48:21 GMT"), "1999-01-01T19:48:21Z") << "two-digit year, last century";
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48 EST"), "2004-01-01T19:48:00-05:00") << "no seconds, EST";
  EXPECT_EQ(parsed("Sun, 06 Nov 1994 08:49:37 PDT"), "1994-11-06T08:49:37-07:00");
  EXPECT_EQ(parsed("Mon, 01 Jan 2004 19:48:21 UT"), "2004-01-01T19:48:21Z") << "wrong weekday is ignored";
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 Z"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 A"), "2004-01-01T19:48:21Z") << "military zones read as UTC (RFC 2822)";
  EXPECT_EQ(parsed("Thursday, 1 January 2004 19:48:21"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Thu,01 Jan 2004 19:48:21 GMT"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("Sept 5, 2020 3:04 PM"), "2020-09-05T15:04:00Z");
  EXPECT_EQ(parsed("01-Jan-2004 19:48:21 +0100"), "2004-01-01T19:48:21+01:00");
  EXPECT_EQ(parsed("Thu, 01 Jan 2004 19:48:21 GMT+02:00"), "2004-01-01T19:48:21+02:00");
}

TEST(FeedDate, Iso8601) {
  EXPECT_EQ(parsed("2004-01-01T19:48:21Z"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("2004-01-01T19:48:21+02:00"), "2004-01-01T19:48:21+02:00");
  EXPECT_EQ(parsed("2019-10-12T07:20:50.52Z"), "2019-10-12T07:20:50Z");
  EXPECT_EQ(parsed("2004-01-01T19:48Z"), "2004-01-01T19:48:00Z");
  EXPECT_EQ(parsed("2004-01-01 19:48:21"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("2004-01-01"), "2004-01-01T00:00:00Z");
  EXPECT_EQ(parsed("2004-01"), "2004-01-01T00:00:00Z");
  EXPECT_EQ(parsed("2004"), "2004-01-01T00:00:00Z");
  EXPECT_EQ(parsed("20040101T194821Z"), "2004-01-01T19:48:21Z");
  EXPECT_EQ(parsed("2004-01-01T19:48:21-0500"), "2004-01-01T19:48:21-05:00");
  EXPECT_EQ(parsed(" 2004-01-01T19:48:21Z\n"), "2004-01-01T19:48:21Z");
}

// The reader's day survives: a date printed just after midnight east of UTC
// is still that day, and the instant is the same one as before.
TEST(FeedDate, KeepsTheStatedOffset) {
  EXPECT_EQ(parsed("Mon, 04 May 2020 00:30:00 +0700"), "2020-05-04T00:30:00+07:00") << "RFC 822";
  EXPECT_EQ(instant("Mon, 04 May 2020 00:30:00 +0700"), "2020-05-03T17:30:00Z");
  EXPECT_EQ(parsed("2020-05-03T22:30:00-05:00"), "2020-05-03T22:30:00-05:00") << "Atom";
  EXPECT_EQ(instant("2020-05-03T22:30:00-05:00"), "2020-05-04T03:30:00Z");
  EXPECT_EQ(parsed("2020-05-04T01:15:00+0530"), "2020-05-04T01:15:00+05:30") << "basic format, half hour";
  EXPECT_EQ(parsed("Mon, 04 May 2020 00:30:00 -0030"), "2020-05-04T00:30:00-00:30") << "west by less than an hour";
  auto stated = parse_feed_date("Mon, 04 May 2020 00:30:00 +0700");
  ASSERT_TRUE(stated);
  EXPECT_EQ(stated->offset, hours(7));
  EXPECT_EQ(stated->utc, sys_days{year{2020} / 5 / 3} + hours(17) + minutes(30));
}

TEST(FeedDate, NamedZonesStateTheirOffset) {
  EXPECT_EQ(parsed("Mon, 04 May 2020 00:30:00 CEST"), "2020-05-04T00:30:00+02:00");
  EXPECT_EQ(parsed("Sun, 03 May 2020 20:30:00 EDT"), "2020-05-03T20:30:00-04:00");
  EXPECT_EQ(instant("Sun, 03 May 2020 20:30:00 EDT"), "2020-05-04T00:30:00Z");
  EXPECT_EQ(parsed("Mon, 04 May 2020 09:30:00 JST"), "2020-05-04T09:30:00+09:00");
}

// UTC stated in any spelling, or no zone at all (none can be inferred from a
// feed), prints as Z; so does a day without a time.
TEST(FeedDate, UtcOrNoZoneIsZ) {
  for (const char* text : {"Mon, 04 May 2020 00:30:00 GMT", "Mon, 04 May 2020 00:30:00 UT",
                           "Mon, 04 May 2020 00:30:00 +0000", "2020-05-04T00:30:00+00:00",
                           "2020-05-04T00:30:00Z", "2020-05-04 00:30:00", "Mon, 04 May 2020 00:30:00"}) {
    auto t = parse_feed_date(text);
    ASSERT_TRUE(t) << text;
    EXPECT_EQ(t->offset, minutes(0)) << text;
    EXPECT_EQ(format_rfc3339(*t), "2020-05-04T00:30:00Z") << text;
  }
  EXPECT_EQ(parsed("2020-05-04"), "2020-05-04T00:00:00Z");
  EXPECT_EQ(parsed("4 May 2020"), "2020-05-04T00:00:00Z");
  EXPECT_EQ(parsed("2020-05-04T00:30:00-00:00"), "2020-05-04T00:30:00Z") << "RFC 3339's unknown offset";
}

TEST(FeedDate, ArabicMonthsAndDigits) {
  EXPECT_EQ(parsed("12 كانون الثاني 2020"), "2020-01-12T00:00:00Z");
  EXPECT_EQ(parsed("١٩ أيار ٢٠٢١"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(parsed("۱۹ حزيران ۲۰۲۱"), "2021-06-19T00:00:00Z");
  EXPECT_EQ(parsed("الأربعاء، 19 مايو 2021 - 09:12 م"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(parsed("19 إبريل 2021 10:30 ص"), "2021-04-19T10:30:00Z");
  EXPECT_EQ(parsed("5 يونية 2021"), "2021-06-05T00:00:00Z");
  // Maghrebi names, which only the page date reader knew before one table served both.
  EXPECT_EQ(parsed("15 جانفي 2021"), "2021-01-15T00:00:00Z");
  EXPECT_EQ(parsed("2 أوت 2021"), "2021-08-02T00:00:00Z");
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
  EXPECT_EQ(format_rfc3339(sys_days{year{2021} / 5 / 19} + hours{21} + minutes{12} + seconds{41}),
            "2021-05-19T21:12:41Z");
  EXPECT_EQ(format_rfc3339(TimePoint{}), "1970-01-01T00:00:00Z");
}

TEST(FeedDate, FormatRfc3339WithOffset) {
  const TimePoint noon = sys_days{year{2021} / 5 / 19} + hours{12};
  EXPECT_EQ(format_rfc3339(StatedTime{noon, minutes(0)}), "2021-05-19T12:00:00Z");
  EXPECT_EQ(format_rfc3339(StatedTime{noon, hours(13)}), "2021-05-20T01:00:00+13:00") << "across midnight";
  EXPECT_EQ(format_rfc3339(StatedTime{noon, -hours(12) - minutes(45)}), "2021-05-18T23:15:00-12:45");
  EXPECT_EQ(format_rfc3339(StatedTime{TimePoint{}, -minutes(30)}), "1969-12-31T23:30:00-00:30");
}

TEST(HttpDate, ParsesTheThreeForms) {
  const auto expected = sys_days(year(1994) / 11 / 6) + 8h + 49min + 37s;
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_EQ(parse_http_date("0"), std::nullopt);
  EXPECT_EQ(parse_http_date("-1"), std::nullopt) << "Expires: -1 means already expired, not a date";
  EXPECT_EQ(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date(""), std::nullopt);
}

TEST(HttpDate, ReadsWhatTheFeedDateReaderReads) {
  // The fetcher's own HTTP-date parser, replaced by this one, read every
  // zone as GMT and refused a date without a time.
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 10:49:37 +0200"), sys_days(year(1994) / 11 / 6) + 8h + 49min + 37s);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994"), sys_days(year(1994) / 11 / 6));
}

TEST(FormatRfc3339, Milliseconds) {
  const auto t = sys_days(year(2021) / 5 / 19) + 21h + 12min + 41s + 42ms + 900us;
  EXPECT_EQ(format_rfc3339_millis(t), "2021-05-19T21:12:41.042Z");
  EXPECT_EQ(format_rfc3339_millis(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace newsd::parsers
