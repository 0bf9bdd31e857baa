// HtmlDocument: charset decisions in the WHATWG order, decoding, both parsers,
// and the bounds that keep hostile pages harmless.
#include "parsers/html/html_document.hpp"

#include <chrono>
#include <string>

#include <algorithm>

#include <gtest/gtest.h>

#include "tests/support/growth.hpp"

namespace newsd::parsers {
namespace {

// "مرحبا" in windows-1256.
const std::string kArabic1256 = "\xE3\xD1\xCD\xC8\xC7";

std::string text_of(const HtmlParseResult& result) {
  return dom_text(result.document->dom.document_element());
}

TEST(HtmlCharset, BomWinsOverEverything) {
  auto decision = detect_html_charset("\xEF\xBB\xBF<meta charset=windows-1256>", "text/html; charset=iso-8859-6");
  EXPECT_EQ(decision.charset, "utf-8");
  EXPECT_EQ(decision.source, CharsetSource::bom);
}

TEST(HtmlCharset, HttpHeaderBeforeMeta) {
  auto decision = detect_html_charset("<meta charset=utf-8>", "text/html; charset=windows-1256");
  EXPECT_EQ(decision.charset, "windows-1256");
  EXPECT_EQ(decision.source, CharsetSource::http);
}

TEST(HtmlCharset, MetaCharsetAndHttpEquiv) {
  EXPECT_EQ(detect_html_charset("<html><head><meta charset=\"Windows-1256\">", "").charset, "windows-1256");
  auto equiv = detect_html_charset(
      "<!-- <meta charset=koi8-r> --><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-6\">", "");
  EXPECT_EQ(equiv.charset, "iso-8859-6");
  EXPECT_EQ(equiv.source, CharsetSource::meta);
  // A page that declares UTF-16 in ASCII bytes cannot be UTF-16.
  EXPECT_EQ(detect_html_charset("<meta charset=utf-16le>", "").charset, "utf-8");
}

TEST(HtmlCharset, Utf8BytesOverrideAStaleLegacyDeclaration) {
  // A template still declaring ISO-8859-15 (or a server's Latin-1 default)
  // over UTF-8 content: the bytes are valid UTF-8 with non-ASCII text.
  std::string page = "<meta charset=iso-8859-15><h1>Sanci\xC3\xB3n a Verstappen</h1>";
  auto meta = detect_html_charset(page, "");
  EXPECT_EQ(meta.charset, "utf-8");
  EXPECT_EQ(meta.source, CharsetSource::detected);
  EXPECT_EQ(detect_html_charset("<p>\xE4\xB8\xAD\xE5\x9B\xBD</p>", "text/html; charset=GB2312").charset, "utf-8");
  auto parsed = parse_html(page, "");
  ASSERT_TRUE(parsed.document);
  EXPECT_EQ(text_of(parsed), "Sanci\xC3\xB3n a Verstappen");
  // Real legacy bytes are not valid UTF-8, so the declaration stands.
  EXPECT_EQ(detect_html_charset("<meta charset=iso-8859-15><p>Sanci\xF3n</p>", "").charset, "iso-8859-15");
  EXPECT_EQ(detect_html_charset("<p>" + kArabic1256 + "</p>", "text/html; charset=windows-1256").charset, "windows-1256");
  // ASCII-only bytes keep the declaration too.
  EXPECT_EQ(detect_html_charset("<p>plain</p>", "text/html; charset=windows-1256").source, CharsetSource::http);
}

TEST(HtmlCharset, DetectsUndeclaredArabic) {
  std::string page = "<html><body><p>";
  for (int i = 0; i < 40; ++i) page += kArabic1256 + " \xC7\xE1\xDA\xD1\xC8\xED\xC9 \xE1\xC8\xE4\xC7\xE4 ";
  page += "</p></body></html>";
  auto decision = detect_html_charset(page, "");
  EXPECT_EQ(decision.source, CharsetSource::detected);
  EXPECT_TRUE(decision.charset == "windows-1256" || decision.charset == "iso-8859-6") << decision.charset;
}

TEST(HtmlCharset, ValidUtf8NeedsNoDetector) {
  auto decision = detect_html_charset("<p>\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7</p>", "");
  EXPECT_EQ(decision.charset, "utf-8");
  EXPECT_EQ(decision.source, CharsetSource::detected);
}

class EveryParser : public ::testing::TestWithParam<HtmlParser> {
 protected:
  void SetUp() override {
    if (!html_parser_available(GetParam())) GTEST_SKIP() << "this build has no libxml2";
  }
  HtmlOptions options() const {
    HtmlOptions o;
    o.parser = GetParam();
    return o;
  }
};

TEST_P(EveryParser, DecodesWindows1256ToUtf8) {
  auto result = parse_html("<html><head><meta charset=windows-1256></head><body><p>" + kArabic1256 + "</p></body></html>",
                           "", options());
  ASSERT_TRUE(result.document);
  EXPECT_EQ(text_of(result), "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7");
  EXPECT_EQ(result.document->charset.charset, "windows-1256");
}

TEST_P(EveryParser, BuildsAnXPathQueryableDom) {
  auto result = parse_html("<div class='entry-content'><p>One &amp; two</p><p>Three<br>four</p></div>", "", options());
  ASSERT_TRUE(result.document);
  auto node = result.document->dom.select_node("//div[contains(@class,'entry-content')]").node();
  ASSERT_TRUE(node);
  auto paragraphs = dom_paragraphs(node);
  ASSERT_EQ(paragraphs.size(), 3u);
  EXPECT_EQ(paragraphs[0], "One & two");
  EXPECT_EQ(paragraphs[2], "four");
}

TEST_P(EveryParser, TableCellsOfARowAreOneParagraph) {
  auto result = parse_html("<table><tr><td>Name</td><td>Value</td></tr><tr><td><p>a</p><p>b</p></td></tr></table>",
                           "", options());
  ASSERT_TRUE(result.document);
  EXPECT_EQ(dom_paragraphs(result.document->dom), (std::vector<std::string>{"Name Value", "a", "b"}));
}

std::string deep_page(std::size_t depth) {
  std::string page = "<html><body>";
  for (std::size_t i = 0; i < depth; ++i) page += "<div>";
  page += "<p>deep text</p>";
  for (std::size_t i = 0; i < depth; ++i) page += "</div>";
  return page + "</body></html>";
}

TEST_P(EveryParser, DeepNestingIsFlattenedNotFatal) {
  for (std::size_t depth : {10'000u, 100'000u}) {
    auto result = parse_html(deep_page(depth), "", options());
    ASSERT_TRUE(result.document) << depth;
    EXPECT_TRUE(result.document->flattened);
    EXPECT_EQ(text_of(result), "deep text");
  }
  // Eight times as deep costs about eight times as much (quadratic: 64).
  const double ratio = testing_support::growth_ratio(
      [&](std::size_t depth) { EXPECT_TRUE(parse_html(deep_page(depth), "", options()).document); }, 12'500, 8, 2);
  EXPECT_LT(ratio, 24.0);
}

TEST_P(EveryParser, UnclosedNestingIsFlattenedToo) {
  std::string page = "<html><body>";
  for (int i = 0; i < 20'000; ++i) page += "<span><b>x";
  auto result = parse_html(page, "", options());
  ASSERT_TRUE(result.document);
  EXPECT_TRUE(result.document->flattened) << "40,000 open elements are past the depth limit";
  const std::string text = text_of(result);
  EXPECT_EQ(std::count(text.begin(), text.end(), 'x'), 20'000) << "flattening keeps every text node";
}

TEST_P(EveryParser, NodeCapTruncates) {
  std::string page = "<html><body>";
  for (int i = 0; i < 5000; ++i) page += "<p>x</p>";
  HtmlOptions o = options();
  o.max_nodes = 1000;
  auto result = parse_html(page, "", o);
  ASSERT_TRUE(result.document);
  EXPECT_TRUE(result.document->truncated);
  EXPECT_LE(result.document->node_count, 1000u);
}

TEST_P(EveryParser, TruncatedMarkupStillParses) {
  auto result = parse_html("<html><head><title>T</title></head><body><div><p>Half a para", "", options());
  ASSERT_TRUE(result.document);
  EXPECT_EQ(text_of(result), "Half a para");
}

TEST_P(EveryParser, KeepsJsonLdDropsOtherScripts) {
  auto result = parse_html(
      "<html><head><script>var x = '<p>not text</p>';</script>"
      "<script type=\"application/ld+json\">{\"headline\":\"H\"}</script><style>p{}</style></head>"
      "<body><p>Body</p></body></html>",
      "", options());
  ASSERT_TRUE(result.document);
  auto json_ld = result.document->dom.select_node("//script[@type='application/ld+json']").node();
  EXPECT_EQ(std::string(json_ld.child_value()), "{\"headline\":\"H\"}");
  EXPECT_EQ(text_of(result), "Body");
}

INSTANTIATE_TEST_SUITE_P(Parsers, EveryParser,
                         ::testing::Values(HtmlParser::gumbo, HtmlParser::libxml2, HtmlParser::native),
                         [](const auto& info) {
                           return info.param == HtmlParser::gumbo     ? "gumbo"
                                  : info.param == HtmlParser::libxml2 ? "libxml2"
                                                                      : "native";
                         });

TEST(HtmlDocument, RejectsEmptyHugeAndBinary) {
  EXPECT_EQ(parse_html("", "").error, HtmlError::empty);
  HtmlOptions small;
  small.max_bytes = 100;
  EXPECT_EQ(parse_html(std::string(200, 'a'), "", small).error, HtmlError::too_large);
  EXPECT_EQ(parse_html("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", "text/html").error, HtmlError::binary);
  std::string noise(4096, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) % 32);
  EXPECT_EQ(parse_html(noise, "text/html").error, HtmlError::binary);
}

TEST(HtmlDocument, TenMegabytePageParsesWithinBounds) {
  std::string page = "<html><body>";
  while (page.size() < (10u << 20)) page += "<div class='c'><p>Some words, and more words in a paragraph.</p></div>\n";
  page += "</body></html>";
  auto result = parse_html(page, "");
  ASSERT_TRUE(result.document);
  // The bound is the node cap, not the clock (the ctest timeout catches a hang).
  EXPECT_LE(result.document->node_count, HtmlOptions{}.max_nodes);
  EXPECT_EQ(result.document->truncated, result.document->node_count == HtmlOptions{}.max_nodes);
}

TEST(HtmlDocument, DropRawTextContentKeepsWhatMatters) {
  auto out = drop_raw_text_content(
      "<p>a  \n  b</p><!-- c --><script src=x.js>var y;</script><pre>  keep\n  me </pre><svg><path d=M0/></svg>");
  EXPECT_EQ(out, "<p>a\nb</p><script src=x.js></script><pre>  keep\n  me </pre><svg></svg>");
  // Unterminated raw text runs to the end; nothing after it is text.
  EXPECT_EQ(drop_raw_text_content("<p>x</p><script>never closed <p>y</p>"), "<p>x</p><script>");
}

TEST(HtmlDocument, DomTextStripsDirectionalMarks) {
  auto parsed = parse_html_utf8("<p>\xE2\x80\x8F" "abc\xE2\x80\x8E" "d\xE2\x81\xA6" "e</p>");
  ASSERT_TRUE(parsed.document);
  EXPECT_EQ(text_of(parsed), "abcde");
}

}  // namespace
}  // namespace newsd::parsers
