#include <gtest/gtest.h>

#include "tests/support/growth.hpp"

#include "parsers/feeds/xml_recovery.hpp"

namespace newsd::parsers {
namespace {

TEST(RepairXml, WellFormedInputIsUntouched) {
  const std::string doc = "<?xml version=\"1.0\"?><rss><title>a &amp; b &#8217; &lt;</title></rss>";
  const XmlRepair r = repair_xml(doc);
  EXPECT_EQ(r.text, doc);
  EXPECT_EQ(r.notes, "");
}

TEST(RepairXml, EntitiesAndAmpersands) {
  const XmlRepair r = repair_xml("<t>&nbsp;&hellip; AT&T &copy=1 &bogus; &LT; &#150;&#0;</t>");
  EXPECT_EQ(r.text, "<t>\u00A0\u2026 AT&amp;T &amp;copy=1 &amp;bogus; &lt; &#150;\uFFFD</t>")
      << "&#150; is well-formed XML, read as windows-1252 after parsing";
  EXPECT_NE(r.notes.find("3 HTML entities"), std::string::npos) << r.notes;
}

TEST(RepairXml, CdataCommentsAndDoctypeAreLeftAlone) {
  const std::string doc = "<!DOCTYPE rss [<!ENTITY x \"&amp; &y;\">]><r><![CDATA[a & &nbsp;]]><!-- & --></r>";
  EXPECT_EQ(repair_xml(doc).text, doc);
}

TEST(RepairXml, InternalSubsetEntitiesExpandToText) {
  const XmlRepair r = repair_xml(
      "<!DOCTYPE r [<!ENTITY x \"<b>&y;\"><!ENTITY y \"&amp; 1\"><!ENTITY z SYSTEM \"http://e/\">]><r>&x; &z;</r>");
  EXPECT_EQ(r.text.substr(r.text.find("<r>")), "<r>&lt;b>&amp; 1 &amp;z;</r>");
  EXPECT_NE(r.notes.find("bare '&'"), std::string::npos) << "the external entity is not expanded: " << r.notes;
}

TEST(RepairXml, JunkBeforeTheDocument) {
  EXPECT_EQ(repair_xml("\xEF\xBB\xBFjunk<?xml version=\"1.0\"?><rss/>").text, "<?xml version=\"1.0\"?><rss/>");
  EXPECT_EQ(repair_xml("<b>Warning</b>: oops<br />\n<?xml version=\"1.0\"?><rss/>").text,
            "<?xml version=\"1.0\"?><rss/>");
  EXPECT_EQ(repair_xml("\n  <rss/>").notes, "") << "leading whitespace is not junk worth a note";
}

TEST(BalanceTags, StrayAndMissingEndTags) {
  EXPECT_EQ(balance_tags("<a><b>x</c></a>").text, "<a><b>x</b></a>") << "misspelt end of a text-only element";
  EXPECT_EQ(balance_tags("<a><b><i>x</i></c></a>").text, "<a><b><i>x</i></b></a>");
  EXPECT_EQ(balance_tags("<a><b>x<br>y</b></a>").text, "<a><b>x<br/>y</b></a>");
  EXPECT_EQ(balance_tags("<a><p>x</a>").text, "<a><p>x</p></a>");
  EXPECT_EQ(balance_tags("<a>1 < 2</a>").text, "<a>1 &lt; 2</a>");
}

TEST(BalanceTags, TruncatedDocuments) {
  const XmlRepair r = balance_tags("<rss><channel><item><title>One</title></item><item><title>Tw");
  EXPECT_EQ(r.text, "<rss><channel><item><title>One</title></item><item><title>Tw</title></item></channel></rss>");
  EXPECT_NE(r.notes.find("truncated"), std::string::npos);
  EXPECT_EQ(balance_tags("<rss><channel><item><tit").text, "<rss><channel><item></item></channel></rss>");
  EXPECT_EQ(balance_tags("<rss><d><![CDATA[abc").text, "<rss><d></d></rss>");
}

std::string hostile_nesting(std::size_t n) {
  std::string doc;
  for (std::size_t i = 0; i < n; ++i) doc += "<a>";
  for (std::size_t i = 0; i < n; ++i) doc += "</b>";
  return doc;
}

TEST(BalanceTags, HostileNestingStaysLinear) {
  // Every stray </b> is dropped and every <a> closed, in order.
  const XmlRepair r = balance_tags(hostile_nesting(20'000));
  std::string expected;
  for (int i = 0; i < 20'000; ++i) expected += "<a>";
  for (int i = 0; i < 20'000; ++i) expected += "</a>";
  EXPECT_EQ(r.text, expected);
  EXPECT_FALSE(r.notes.empty());
  // Eight times the input costs about eight times the time (quadratic: 64).
  const double ratio = testing_support::growth_ratio(
      [](std::size_t n) {
        auto doc = hostile_nesting(n);
        EXPECT_FALSE(balance_tags(doc).text.empty());
      },
      25'000, 8);
  EXPECT_LT(ratio, 24.0) << "balance_tags grows faster than linearly with nesting";
}

}  // namespace
}  // namespace newsd::parsers
