// The native HTML tokenizer and tree builder: character references,
// attributes, implied and scoped end tags, raw text, head/body placement,
// the depth and node bounds, and hostile input (linear time, no crash).
#include "parsers/html/html_tree_builder.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/growth.hpp"

#include "parsers/html/html_document.hpp"

namespace newsd::parsers {
namespace {

HtmlOptions native_options() {
  HtmlOptions options;
  options.parser = HtmlParser::native;
  return options;
}

std::unique_ptr<HtmlDocument> parse(std::string_view markup, HtmlOptions options = native_options()) {
  auto result = parse_html_utf8(markup, options);
  EXPECT_TRUE(result.document);
  return std::move(result.document);
}

// A compact rendering of a subtree: <name a="v">children</name>, text as is.
void outline(pugi::xml_node node, std::string& out) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    if (child.type() == pugi::node_pcdata) {
      out += child.value();
      continue;
    }
    out += '<';
    out += child.name();
    for (pugi::xml_attribute a = child.first_attribute(); a; a = a.next_attribute()) {
      out += ' ';
      out += a.name();
      out += "=\"";
      out += a.value();
      out += '"';
    }
    out += '>';
    outline(child, out);
    out += "</";
    out += child.name();
    out += '>';
  }
}

std::string body_of(std::string_view markup) {
  auto document = parse(markup);
  std::string out;
  outline(document->dom.document_element().child("body"), out);
  return out;
}

std::string whole(std::string_view markup) {
  auto document = parse(markup);
  std::string out;
  outline(document->dom, out);
  return out;
}

std::size_t depth_of(pugi::xml_node node) {
  std::size_t deepest = 0;
  std::vector<std::pair<pugi::xml_node, std::size_t>> stack{{node, 0}};
  while (!stack.empty()) {
    auto [n, d] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, d);
    for (pugi::xml_node child = n.first_child(); child; child = child.next_sibling())
      if (child.type() == pugi::node_element) stack.emplace_back(child, d + 1);
  }
  return deepest;
}

TEST(HtmlTreeBuilder, AlwaysHasHtmlHeadAndBody) {
  EXPECT_EQ(whole(""), "<html><head></head><body></body></html>");
  EXPECT_EQ(whole("just text"), "<html><head></head><body>just text</body></html>");
  EXPECT_EQ(whole("<!DOCTYPE html><html lang=ar dir=rtl><head><title>T</title></head><body class=b><p>x</p></body></html>"),
            "<html lang=\"ar\" dir=\"rtl\"><head><title>T</title></head><body class=\"b\"><p>x</p></body></html>");
}

TEST(HtmlTreeBuilder, HeadElementsGoToHeadUntilBodyContent) {
  EXPECT_EQ(whole("<meta charset=utf-8><title>T</title><link rel=canonical href=/a>\n<p>x<meta name=late>"),
            "<html><head><meta charset=\"utf-8\"></meta><title>T</title><link rel=\"canonical\" href=\"/a\"></link></head>"
            "<body><p>x<meta name=\"late\"></meta></p></body></html>");
  // After </head>, head elements still go to head; text starts the body.
  EXPECT_EQ(whole("<head></head>\n<meta name=a>text"),
            "<html><head><meta name=\"a\"></meta></head><body>text</body></html>");
  // A <body> tag after implied body content adds its attributes; content after </html> stays in the body.
  EXPECT_EQ(whole("<div>a</div><body class=late id=b></body></html><p>after</p>"),
            "<html><head></head><body class=\"late\" id=\"b\"><div>a</div><p>after</p></body></html>");
}

TEST(HtmlTreeBuilder, DecodesCharacterReferencesInText) {
  EXPECT_EQ(body_of("<p>&amp; &lt; &gt; &quot; &#39; &#x41;&#66 &nbsp;|&eacute;&hellip;</p>"),
            "<p>& < > \" ' AB \xC2\xA0|\xC3\xA9\xE2\x80\xA6</p>");
  // Legacy names work without ';' (longest match); unknown ones stay as written.
  EXPECT_EQ(body_of("<p>&copy2024 &notit; AT&T &bogus; & &#; &#x;</p>"),
            "<p>\xC2\xA9" "2024 \xC2\xACit; AT&T &bogus; & &#; &#x;</p>");
  // Out-of-range and C1 code points as browsers read them.
  EXPECT_EQ(body_of("<p>&#0;&#x110000;&#xD800;&#128;&#150;</p>"),
            "<p>\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xE2\x82\xAC\xE2\x80\x93</p>");
}

TEST(HtmlTreeBuilder, ReadsAttributesInEveryForm) {
  auto document = parse(
      "<a HREF=\"?a=1&copy=2&amp;b=3&lang=x\" title='x &amp; y &gt' data-x=&quot;q disabled CLASS=first class=second "
      "data-y = spaced>link</a>");
  auto a = document->dom.select_node("//a").node();
  ASSERT_TRUE(a);
  EXPECT_STREQ(a.attribute("href").value(), "?a=1&copy=2&b=3&lang=x");
  EXPECT_STREQ(a.attribute("title").value(), "x & y >");
  EXPECT_STREQ(a.attribute("data-x").value(), "\"q");
  EXPECT_TRUE(a.attribute("disabled"));
  EXPECT_STREQ(a.attribute("disabled").value(), "");
  EXPECT_STREQ(a.attribute("class").value(), "first");  // duplicates: the first wins
  EXPECT_STREQ(a.attribute("data-y").value(), "spaced");
  // No space needed between attributes; <div/> is an empty div, as libxml2 reads it.
  EXPECT_EQ(body_of("<div class=\"a\"id=b /><p>x</p>"), "<div class=\"a\" id=\"b\"></div><p>x</p>");
}

TEST(HtmlTreeBuilder, LowerCasesNamesAndKeepsCustomElements) {
  EXPECT_EQ(body_of("<DIV Class=X><My-Widget data-n=1>t</MY-WIDGET><o:p>u</o:p></Div>"),
            "<div class=\"X\"><my-widget data-n=\"1\">t</my-widget><o:p>u</o:p></div>");
}

TEST(HtmlTreeBuilder, ParagraphsCloseOnBlockStarts) {
  EXPECT_EQ(body_of("<p>a<p>b<div>c</div><p>d<span>e<h2>f</h2>"),
            "<p>a</p><p>b</p><div>c</div><p>d<span>e</span></p><h2>f</h2>");
  // Inside a table cell or button the outer p is out of scope and stays open.
  EXPECT_EQ(body_of("<p>a<table><tr><td><p>b</td></tr></table>"),
            "<p>a</p><table><tr><td><p>b</p></td></tr></table>");
}

TEST(HtmlTreeBuilder, ListItemsAndDefinitionsCloseEachOther) {
  EXPECT_EQ(body_of("<ul><li>a<li>b<ul><li>c</ul><li><div>d<li>e</ul>"),
            "<ul><li>a</li><li>b<ul><li>c</li></ul></li><li><div>d</div></li><li>e</li></ul>");
  EXPECT_EQ(body_of("<dl><dt>t<dd>d<dt>u</dl>"), "<dl><dt>t</dt><dd>d</dd><dt>u</dt></dl>");
  EXPECT_EQ(body_of("<select><option>a<option>b<optgroup><option>c</select>"),
            "<select><option>a</option><option>b</option><optgroup><option>c</option></optgroup></select>");
}

TEST(HtmlTreeBuilder, TableRowsAndCellsCloseEachOther) {
  EXPECT_EQ(body_of("<table><thead><tr><th>h<tbody><tr><td>1<td>2<tr><td>3</table>after"),
            "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr>"
            "</tbody></table>after");
  // A nested table's cells do not close the outer cell.
  EXPECT_EQ(body_of("<table><tr><td><table><tr><td>in</table>out</td></tr></table>"),
            "<table><tr><td><table><tr><td>in</td></tr></table>out</td></tr></table>");
}

TEST(HtmlTreeBuilder, EndTagsCloseOnlyWithinTheirScope) {
  // An end tag closes what was left open inside its element.
  EXPECT_EQ(body_of("<div><span><b>a</div>b"), "<div><span><b>a</b></span></div>b");
  // A stray inline end tag does not close a block.
  EXPECT_EQ(body_of("<span><div>a</span>b</div>c"), "<span><div>ab</div>c</span>");
  // A stray </div> does not close a table cell.
  EXPECT_EQ(body_of("<div><table><tr><td>x</div>y</td></tr></table></div>z"),
            "<div><table><tr><td>xy</td></tr></table></div>z");
  // End tags of elements that are not open are ignored; </br> is a <br>.
  EXPECT_EQ(body_of("<p>a</p></p></em>b</br>c"), "<p>a</p>b<br></br>c");
  // </h3> closes an open h2.
  EXPECT_EQ(body_of("<h2>a</h3>b"), "<h2>a</h2>b");
  // A link inside an open link ends the first one.
  EXPECT_EQ(body_of("<a href=1>one<a href=2>two</a>"), "<a href=\"1\">one</a><a href=\"2\">two</a>");
}

TEST(HtmlTreeBuilder, SkipsRawTextButKeepsJsonLd) {
  EXPECT_EQ(body_of("<p>0</p><script>if (a<b) document.write('<p>x</p>')</script><style>p{}</style>"
                    "<noscript><img src=x></noscript><iframe src=f><p>fallback</p></iframe><p>y</SCRIPT></p>"),
            "<p>0</p><script></script><style></style><noscript></noscript><iframe src=\"f\"></iframe><p>y</p>");
  auto document = parse(
      "<head><script type=\"application/ld+json\">{\"headline\": \"A &amp; <b>\"}</script></head><body>"
      "<script type=application/ld+json>[1]</SCRIPT ></body>");
  auto scripts = document->dom.select_nodes("//script[contains(@type,'ld+json')]");
  ASSERT_EQ(scripts.size(), 2u);
  EXPECT_STREQ(scripts[0].node().child_value(), "{\"headline\": \"A &amp; <b>\"}");
  EXPECT_STREQ(scripts[1].node().child_value(), "[1]");
  // svg content is skipped, but a self-closed svg ends at once.
  EXPECT_EQ(body_of("<svg viewBox='0 0 1 1'><text>no</text></svg><svg/>yes"),
            "<svg viewbox=\"0 0 1 1\"></svg><svg></svg>yes");
  // An unterminated script takes the rest of the page, as in browsers.
  EXPECT_EQ(body_of("<p>a</p><script>var x; <p>b</p>"), "<p>a</p><script></script>");
}

TEST(HtmlTreeBuilder, DecodesRcdataAndKeepsLiteralText) {
  EXPECT_EQ(whole("<title>A &amp; <b>B</b></title>"),
            "<html><head><title>A & <b>B</b></title></head><body></body></html>");
  EXPECT_EQ(body_of("<textarea>x  &lt;\n y</textarea><xmp><b>&amp;</b></xmp>"),
            "<textarea>x  <\n y</textarea><xmp><b>&amp;</b></xmp>");
  // An unterminated title ends at the next tag rather than swallowing the page.
  EXPECT_EQ(whole("<title>Broken<p>body</p>"), "<html><head><title>Broken</title></head><body><p>body</p></body></html>");
}

TEST(HtmlTreeBuilder, DropsCommentsDoctypesAndDeclarations) {
  auto document = parse("<!DOCTYPE html><!-- c --><?xml version='1.0'?><p>a<!-- x -->b<![CDATA[c]]>d<!---->e<!-->f</p>");
  auto p = document->dom.select_node("//p").node();
  ASSERT_TRUE(p);
  // Text around comments is one node.
  EXPECT_STREQ(p.first_child().value(), "abdef");
  EXPECT_FALSE(p.first_child().next_sibling());
  EXPECT_EQ(body_of("<p>1 < 2 <3 </ x>ok</>!</p>"), "<p>1 < 2 <3 ok!</p>");
}

TEST(HtmlTreeBuilder, CollapsesWhitespaceOutsidePre) {
  EXPECT_EQ(body_of("<p>a  \t b\n\n   c</p><pre>  x\n\n  y </pre>"), "<p>a b\nc</p><pre>  x\n\n  y </pre>");
  // Whitespace between table rows and list items is not text; between inline elements it is.
  EXPECT_EQ(body_of("<ul>\n <li>a</li>\n</ul><span>b</span> <span>c</span>"),
            "<ul><li>a</li></ul><span>b</span> <span>c</span>");
}

TEST(HtmlTreeBuilder, KeepsArabicText) {
  const std::string arabic = "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85";
  auto document = parse("<html dir=rtl lang=ar><body><h1 class=\"\xD8\xB9\">" + arabic + "</h1><p>" + arabic +
                        "&rlm;</p></body></html>");
  EXPECT_EQ(dom_text(document->dom.document_element()), arabic + " " + arabic);
  EXPECT_STREQ(document->dom.select_node("//h1").node().attribute("class").value(), "\xD8\xB9");
}

TEST(HtmlTreeBuilder, FlattensBeyondMaxDepth) {
  HtmlOptions options = native_options();
  options.max_depth = 20;
  std::string page;
  for (int i = 0; i < 50; ++i) page += "<div class=d" + std::to_string(i) + ">";
  page += "deep<b>er</b>";
  for (int i = 0; i < 50; ++i) page += "</div>";
  page += "<p>after</p>";
  auto document = parse(page, options);
  EXPECT_TRUE(document->flattened);
  EXPECT_LE(depth_of(document->dom), 20u);
  EXPECT_EQ(dom_text(document->dom.document_element()), "deeper after");
  // The end tags of flattened elements close them, not their ancestors: <p> is the body's child.
  auto p = document->dom.select_node("//p").node();
  ASSERT_TRUE(p);
  EXPECT_STREQ(p.parent().name(), "body");
}

TEST(HtmlTreeBuilder, StopsAtTheNodeCap) {
  HtmlOptions options = native_options();
  options.max_nodes = 50;
  std::string page;
  for (int i = 0; i < 100; ++i) page += "<p>x</p>";
  auto document = parse(page, options);
  EXPECT_TRUE(document->truncated);
  EXPECT_LE(document->node_count, 50u);
  EXPECT_TRUE(document->dom.document_element().child("body"));
}

TEST(HtmlTreeBuilder, SurvivesMarkupCutAtTheEnd) {
  for (std::string_view cut : {"<p>a<!-- never closed", "<p>a<div class=\"never closed", "<p>a<div class=x",
                               "<p>a<", "<p>a</", "<p>a</di", "<p>a<!", "<p>a<![CDATA[x", "<p>a&", "<p>a&#x",
                               "<p>a<title>t", "<p>a<svg><g>", "<p>a<div x='1' y"}) {
    auto document = parse(cut);
    ASSERT_TRUE(document) << cut;
    EXPECT_EQ(dom_text(document->dom.document_element()).substr(0, 1), "a") << cut;
  }
}

TEST(HtmlTreeBuilder, SurvivesNulsAndInvalidUtf8) {
  static const char kPage[] = "<p>a\0b</p><d\0iv x='\0'>\xFF\xFE\xC3</div><p>\xE2\x82</p>";
  std::string page(kPage, sizeof kPage - 1);
  auto document = parse(page);
  ASSERT_TRUE(document);
  EXPECT_STREQ(document->dom.select_node("//p").node().child_value(), "ab");
}

// Hostile shapes, each grown eight-fold: the cost must grow about eight-fold
// too (a quadratic step would make it 64-fold), measured as CPU time.
TEST(HtmlTreeBuilder, HostileInputIsLinear) {
  using Generator = std::string (*)(std::size_t);
  const std::pair<const char*, Generator> shapes[] = {
      {"unclosed", [](std::size_t size) {
         std::string page;
         while (page.size() < size) page += "<b>";
         return page;
       }},
      {"stray ends", [](std::size_t size) {
         std::string page = "<div><table><tr><td>";
         for (std::size_t i = 0; i < size / 100; ++i) page += "<span>";
         while (page.size() < size) page += "</div>";
         return page;
       }},
      {"deep items", [](std::size_t size) {
         std::string page = "<ul>";
         for (std::size_t i = 0; i < size / 100; ++i) page += "<div>";
         while (page.size() < size) page += "<li>x";
         return page;
       }},
      {"attributes", [](std::size_t size) {
         std::string page = "<div ";
         for (int i = 0; page.size() < size; ++i) page += "a" + std::to_string(i) + "=1 ";
         return page + ">";
       }},
      {"entities", [](std::size_t size) {
         std::string page;
         while (page.size() < size) page += "&amp;&#x41;&bogus;&";
         return page;
       }},
      {"custom elements", [](std::size_t size) {
         std::string page;
         for (int i = 0; page.size() < size; ++i) page += "<x" + std::to_string(i) + "></x" + std::to_string(i / 2) + ">";
         return page;
       }},
  };
  for (const auto& [name, generate] : shapes) {
    const double ratio = testing_support::growth_ratio(
        [&](std::size_t size) {
          const std::string page = generate(size);
          EXPECT_TRUE(parse(page)) << name;
        },
        256u << 10, 8, 2);
    EXPECT_LT(ratio, 24.0) << name << ": eight times the input cost " << ratio << " times the time";
  }
}

}  // namespace
}  // namespace newsd::parsers
