// Visible dates as pages print them, in Arabic, English and European forms.
#include "parsers/page_date.hpp"

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

using namespace std::chrono;

// 2021-05-20T12:00:00Z, the fetch time for relative dates.
const TimePoint kNow = sys_days(year{2021} / 5 / 20) + hours(12);

std::string at(std::string_view text, minutes offset = minutes(0)) {
  auto t = parse_page_date(text, {kNow, offset});
  return t ? format_rfc3339(*t) : "none";
}

TEST(PageDate, LevantineMonthNames) {
  EXPECT_EQ(at("20 أيار 2021"), "2021-05-20T00:00:00Z");
  EXPECT_EQ(at("20 أيار 2021", hours(3)), "2021-05-19T21:00:00Z");
  EXPECT_EQ(at("3 كانون الثاني 2020"), "2020-01-03T00:00:00Z");
  EXPECT_EQ(at("الأربعاء 15 تشرين الأول 2019"), "2019-10-15T00:00:00Z");
  EXPECT_EQ(at("1 آب 2018"), "2018-08-01T00:00:00Z");
}

TEST(PageDate, EgyptianMonthNamesAndArabicIndicDigits) {
  EXPECT_EQ(at("١٩ مايو ٢٠٢١ - ٩:١٢ م"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(at("الأربعاء، 19 مايو 2021 09:12 ص"), "2021-05-19T09:12:00Z");
  EXPECT_EQ(at("۵ يناير ۲۰۲۰"), "2020-01-05T00:00:00Z");
  EXPECT_EQ(at("19 مايو 2021 12:30 مساءً"), "2021-05-19T12:30:00Z");
}

TEST(PageDate, ArabicRelativeForms) {
  EXPECT_EQ(at("منذ ساعتين"), "2021-05-20T10:00:00Z");
  EXPECT_EQ(at("منذ ساعة"), "2021-05-20T11:00:00Z");
  EXPECT_EQ(at("منذ 5 دقائق"), "2021-05-20T11:55:00Z");
  EXPECT_EQ(at("منذ ٣ أيام"), "2021-05-17T12:00:00Z");
  EXPECT_EQ(at("قبل يومين"), "2021-05-18T12:00:00Z");
  EXPECT_EQ(at("منذ دقيقتين"), "2021-05-20T11:58:00Z");
}

TEST(PageDate, EnglishForms) {
  EXPECT_EQ(at("May 19, 2021 9:12 PM EDT"), "2021-05-20T01:12:00Z");
  EXPECT_EQ(at("Published: 19 May 2021 at 21:12 GMT+3"), "2021-05-19T18:12:00Z");
  EXPECT_EQ(at("Wednesday 19th May 2021"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(at("2 hours ago"), "2021-05-20T10:00:00Z");
  EXPECT_EQ(at("an hour ago"), "2021-05-20T11:00:00Z");
  EXPECT_EQ(at("Yesterday 10:30"), "2021-05-19T10:30:00Z");
  EXPECT_EQ(at("Sept. 3, 2020"), "2020-09-03T00:00:00Z");
}

TEST(PageDate, EuropeanForms) {
  EXPECT_EQ(at("19. Mai 2021, 21:12 Uhr"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(at("19 mai 2021 à 21h12"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(at("19 de mayo de 2021"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(at("19 maggio 2021"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(at("19.05.2021 21:12"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(at("19/05/2021"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(at("05/19/2021"), "2021-05-19T00:00:00Z");
  EXPECT_EQ(at("vor 3 Stunden"), "2021-05-20T09:00:00Z");
}

TEST(PageDate, StandardFormsGoThroughTheFeedParser) {
  EXPECT_EQ(at("2021-05-20T00:12:41+03:00"), "2021-05-19T21:12:41Z");
  EXPECT_EQ(at("Wed, 19 May 2021 21:12:41 GMT"), "2021-05-19T21:12:41Z");
}

TEST(PageDate, MissingYearIsTheMostRecentPast) {
  EXPECT_EQ(at("18 أيار"), "2021-05-18T00:00:00Z");
  EXPECT_EQ(at("December 24"), "2020-12-24T00:00:00Z");
}

TEST(PageDate, NotADate) {
  EXPECT_EQ(at(""), "none");
  EXPECT_EQ(at("1٬204"), "none");
  EXPECT_EQ(at("3 دقائق"), "none");  // a reading time, not "3 minutes ago"
  EXPECT_EQ(at("31 فبراير 2021"), "none");
  EXPECT_EQ(at("مجلة وفاء wafaamagazine"), "none");
}

}  // namespace
}  // namespace newsd::parsers
