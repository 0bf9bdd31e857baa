#include <gtest/gtest.h>

#include "parsers/html/html_text.hpp"

namespace newsd::parsers {
namespace {

TEST(HtmlText, NumericReferencesFollowHtml5) {
  EXPECT_EQ(html_fragment_to_text("don&#146;t &#x80; &#0;"), "don\u2019t \u20AC \uFFFD");
}

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

TEST(HtmlText, ReadsElementsAsPagesAre) {
  // Feed fragments and pages share one element table (html_elements.hpp) and
  // one tree builder; with or without the fast path the reading is the same.
  for (std::string_view entity : {"", "&amp;"}) {
    const std::string amp = entity.empty() ? "" : "&";
    EXPECT_EQ(html_fragment_to_text(std::string("<table><tr><td>Name") + std::string(entity) +
                                    "</td><td>Value</td></tr><tr><th>a</th><td>b</td></tr></table>"),
              "Name" + amp + " Value\n\na b")
        << "cells of a row are words apart, rows are paragraphs";
    // Controls and media fallbacks never were text; gumbo's path read them.
    EXPECT_EQ(html_fragment_to_text(std::string("<p>Story") + std::string(entity) +
                                    "</p><button>Share</button><video>No video support</video>"),
              "Story" + amp);
    EXPECT_EQ(html_fragment_to_text(std::string("<menu><li>a</li></menu><fieldset><legend>b") + std::string(entity) +
                                    "</legend>c</fieldset>"),
              "a\n\nb" + amp + "\n\nc");
  }
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

TEST(NormalizeWhitespace, DropsDirectionalMarks) {
  EXPECT_EQ(normalize_whitespace("\u200F" "\u0645\u0631\u062D\u0628\u0627\u200E 2024\u061C"), "\u0645\u0631\u062D\u0628\u0627 2024");
  EXPECT_EQ(normalize_whitespace("a\u202Bb\u202C c\u2067d\u2069"), "ab cd");
  EXPECT_EQ(normalize_whitespace("ab\uFEFFcd"), "abcd") << "a BOM inside text joins, it is not a space";
}

TEST(NormalizeWhitespace, NormalizationFormC) {
  // Latin: e + combining acute is é; a precomposed string stays as it is.
  EXPECT_EQ(normalize_whitespace("cafe\u0301  cr\u00E8me"), "caf\u00E9 cr\u00E8me");
  // Arabic: alef + hamza above is U+0623, waw + hamza above is U+0624, alef + madda is U+0622.
  EXPECT_EQ(normalize_whitespace("\u0627\u0654\u062D\u0645\u062F \u0645\u0648\u0654\u062A\u0645\u0631 \u0627\u0653\u062E\u0631"),
            "\u0623\u062D\u0645\u062F \u0645\u0624\u062A\u0645\u0631 \u0622\u062E\u0631");
  // Canonical reordering of marks: shadda before fatha, whichever order the page used.
  EXPECT_EQ(normalize_whitespace("\u0645\u064E\u0651"), normalize_whitespace("\u0645\u0651\u064E"));
  // Hangul jamo compose into syllables.
  EXPECT_EQ(normalize_whitespace("\u1112\u1161\u11AB"), "\uD55C");
  // Compatibility forms are not folded (that would be NFKC): the ligature ﬁ stays.
  EXPECT_EQ(normalize_whitespace("\uFB01le"), "\uFB01le");
}

}  // namespace
}  // namespace newsd::parsers
