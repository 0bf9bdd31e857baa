// Visible dates as pages print them, in Arabic, English and European forms.
#include "parsers/articles/page_date.hpp"

#include "parsers/html/html_document.hpp"

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

using namespace std::chrono;

// 2021-05-20T12:00:00Z, the fetch time for relative dates.
const TimePoint kNow = sys_days(year{2021} / 5 / 20) + hours(12);

// The date as a record prints it, in the offset the page states (else the site's zone).
std::string at(std::string_view text, minutes offset = minutes(0)) {
  auto t = parse_page_date(text, {kNow, offset});
  return t ? format_rfc3339(*t) : "none";
}

// The instant alone, in UTC.
std::string instant(std::string_view text, minutes offset = minutes(0)) {
  auto t = parse_page_date(text, {kNow, offset});
  return t ? format_rfc3339(t->utc) : "none";
}

TEST(PageDate, LevantineMonthNames) {
  EXPECT_EQ(at("20 أيار 2021"), "2021-05-20T00:00:00Z");
  EXPECT_EQ(at("20 أيار 2021", hours(3)), "2021-05-20T00:00:00+03:00");
  EXPECT_EQ(at("3 كانون الثاني 2020"), "2020-01-03T00:00:00Z");
  EXPECT_EQ(at("الأربعاء 15 تشرين الأول 2019"), "2019-10-15T00:00:00Z");
  EXPECT_EQ(at("1 آب 2018"), "2018-08-01T00:00:00Z");
}

TEST(PageDate, EgyptianMonthNamesAndArabicIndicDigits) {
  EXPECT_EQ(at("١٩ مايو ٢٠٢١ - ٩:١٢ م"), "2021-05-19T21:12:00Z");
  EXPECT_EQ(at("الأربعاء، 19 مايو 2021 09:12 ص"), "2021-05-19T09:12:00Z");
  EXPECT_EQ(at("۵ يناير ۲۰۲۰"), "2020-01-05T00:00:00Z");
  EXPECT_EQ(at("19 مايو 2021 12:30 مساءً"), "2021-05-19T12:30:00Z");
  // The Egyptian spelling with ة, which only the feed date reader folded before one table served both.
  EXPECT_EQ(at("5 يونية 2021"), "2021-06-05T00:00:00Z");
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
  EXPECT_EQ(at("May 19, 2021 9:12 PM EDT"), "2021-05-19T21:12:00-04:00");
  EXPECT_EQ(at("Published: 19 May 2021 at 21:12 GMT+3"), "2021-05-19T21:12:00+03:00");
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
  EXPECT_EQ(at("2021-05-20T00:12:41+03:00"), "2021-05-20T00:12:41+03:00");
  EXPECT_EQ(at("Wed, 19 May 2021 21:12:41 GMT"), "2021-05-19T21:12:41Z");
}

// A page that prints no zone means the site's (a template's utc_offset): the
// record says so, the instant is the same as before. A zone printed with the
// date wins over the site's.
TEST(PageDate, KeepsThePrintedOffsetElseTheSites) {
  EXPECT_EQ(at("19. Mai 2021, 21:12 Uhr", hours(2)), "2021-05-19T21:12:00+02:00");
  EXPECT_EQ(instant("19. Mai 2021, 21:12 Uhr", hours(2)), "2021-05-19T19:12:00Z");
  EXPECT_EQ(at("١٩ مايو ٢٠٢١ - ١:١٢ ص", hours(3)), "2021-05-19T01:12:00+03:00") << "the reader's day, not UTC's";
  EXPECT_EQ(instant("١٩ مايو ٢٠٢١ - ١:١٢ ص", hours(3)), "2021-05-18T22:12:00Z");
  EXPECT_EQ(at("May 19, 2021 9:12 PM EDT", hours(2)), "2021-05-19T21:12:00-04:00");
  EXPECT_EQ(at("19 May 2021 21:12 GMT", hours(2)), "2021-05-19T21:12:00Z");
  // kNow is 15:00 on the 20th at +03:00: yesterday is the 19th there.
  EXPECT_EQ(at("Yesterday 10:30", hours(3)), "2021-05-19T10:30:00+03:00");
}

// "2 hours ago" is reckoned from the fetch time, which is UTC: nothing on the
// page states an offset, so none is invented from the site's zone.
TEST(PageDate, RelativeDatesAreUtc) {
  EXPECT_EQ(at("منذ ساعتين", hours(3)), "2021-05-20T10:00:00Z");
  EXPECT_EQ(at("2 hours ago", -hours(5)), "2021-05-20T10:00:00Z");
  auto t = parse_page_date("vor 3 Stunden", {kNow, hours(2)});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->offset, minutes(0));
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

TEST(PageDate, NorthernAndEasternEuropeanMonthNames) {
  EXPECT_EQ(at("3 Haziran 2021"), "2021-06-03T00:00:00Z");
  EXPECT_EQ(at("ŞUBAT 5, 2022"), "2022-02-05T00:00:00Z") << "Turkish capitals fold";
  EXPECT_EQ(at("Opublikowano 12 marca 2021"), "2021-03-12T00:00:00Z");
  EXPECT_EQ(at("12. března 2021"), "2021-03-12T00:00:00Z");
  EXPECT_EQ(at("14 ÚNORA 2020"), "2020-02-14T00:00:00Z");
  EXPECT_EQ(at("12 Июня 2021 г."), "2021-06-12T00:00:00Z");
  EXPECT_EQ(at("3 травня 2022"), "2022-05-03T00:00:00Z");
  EXPECT_EQ(at("12 augusti 2021 kl. 10:00"), "2021-08-12T10:00:00Z");
  EXPECT_EQ(at("5 maj 2020"), "2020-05-05T00:00:00Z");
  // These names match whole only: the German "Sie" is not an abbreviated "sierpnia".
  EXPECT_EQ(at("Haben Sie 12. März 2021"), "2021-03-12T00:00:00Z");
}

std::string near_headline(std::string_view html) {
  auto parsed = parse_html_utf8(html);
  if (!parsed.document) return "unparsed";
  auto t = date_near_headline(parsed.document->dom.select_node("//h1").node(), {kNow, minutes(0)});
  return t ? format_rfc3339(*t) : "none";
}

TEST(DateNearHeadline, TheBylineAfterTheHeadline) {
  const std::string body(600, 'x');
  EXPECT_EQ(near_headline("<body><nav>May 1, 2021</nav><article><h1>Headline</h1><div class=meta>Published on "
                          "<b>March 12, 2021</b> at 3:45 pm</div><p>" + body + "</p></article></body>"),
            "2021-03-12T15:45:00Z")
      << "the byline reads as a whole, across its inline elements; the nav date before is further away";
  EXPECT_EQ(near_headline("<body><h1>عنوان</h1><span class=x>منذ ساعتين</span><p>" + body + "</p></body>"),
            "2021-05-20T10:00:00Z");
  // A dateline printed above the headline when nothing follows it.
  EXPECT_EQ(near_headline("<body><p class=kicker>12.03.2021</p><h1>Überschrift</h1><p>" + body + "</p></body>"),
            "2021-03-12T00:00:00Z");
}

TEST(DateNearHeadline, NothingPlausible) {
  EXPECT_EQ(near_headline("<body><p>12 March 2021</p></body>"), "none") << "no headline";
  EXPECT_EQ(near_headline("<body><h1>Title</h1><p>June 3, 2030</p></body>"), "none") << "after the fetch time";
  EXPECT_EQ(near_headline("<body><h1>Title</h1><p>March 3, 1921</p></body>"), "none") << "before the web";
  EXPECT_EQ(near_headline("<body><h1>Title</h1><script>var d='12 March 2021'</script><p>text</p></body>"), "none");
  // A long paragraph is article text, not a dateline, even when it names a date.
  EXPECT_EQ(near_headline("<body><h1>Title</h1><p>On 12 March 2021 the council met again to discuss the plans for the "
                          "new bridge across the river, which have been debated for more than a decade now by all "
                          "parties involved in the project.</p></body>"),
            "none");
}

}  // namespace
}  // namespace newsd::parsers
