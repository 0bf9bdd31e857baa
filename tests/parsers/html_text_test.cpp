#include <gtest/gtest.h>

#include "parsers/html_text.hpp"

namespace newsd::parsers {
namespace {

TEST(HtmlText, BlocksBecomeParagraphs) {
  EXPECT_EQ(html_fragment_to_text("<p>One</p><p>Two <b>bold</b></p>"), "One\n\nTwo bold");
  EXPECT_EQ(html_fragment_to_text("line<br>next<br/>last"), "line\n\nnext\n\nlast");
  EXPECT_EQ(html_fragment_to_text("<ul><li>a</li><li>b</li></ul>"), "a\n\nb");
  EXPECT_EQ(html_fragment_to_text("<h2>Title</h2>text<div>div</div>"), "Title\n\ntext\n\ndiv");
}

TEST(HtmlText, EntitiesDecodedScriptsDropped) {
  EXPECT_EQ(html_fragment_to_text("Tom &amp; Jerry&hellip; &#8220;hi&#8221;"), "Tom & Jerry… “hi”");
  EXPECT_EQ(html_fragment_to_text("a<script>var x = 1;</script>b<style>p{}</style>"), "ab");
  EXPECT_EQ(html_fragment_to_text("AT&T"), "AT&T");
  EXPECT_EQ(html_fragment_to_text("x &lt; y"), "x < y");
}

TEST(HtmlText, ArabicAndWhitespace) {
  EXPECT_EQ(html_fragment_to_text("<p>  أكد   كل&nbsp;من\n وزير </p>"), "أكد كل من وزير");
  EXPECT_EQ(html_fragment_to_text(""), "");
  EXPECT_EQ(html_fragment_to_text("<p> </p><p>\n</p>"), "");
}

TEST(HtmlText, DeepNestingDoesNotCrash) {
  std::string html;
  for (int i = 0; i < 20000; ++i) html += "<span>";
  html += "deep";
  EXPECT_EQ(html_fragment_to_text(html), "deep");
}

TEST(NormalizeWhitespace, UnicodeSpaces) {
  EXPECT_EQ(normalize_whitespace("  a \t\n b  "), "a b");
  EXPECT_EQ(normalize_whitespace("a\u00A0\u00A0b"), "a b");
  EXPECT_EQ(normalize_whitespace("a\u200Bb"), "a b");
  EXPECT_EQ(normalize_whitespace("\u3000a\u2003b\u2029"), "a b");
  EXPECT_EQ(normalize_whitespace("a\u200Cb"), "a\u200Cb") << "ZWNJ is a letter-joining control, not a space";
  EXPECT_EQ(normalize_whitespace(""), "");
}

}  // namespace
}  // namespace newsd::parsers
