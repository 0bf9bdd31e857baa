// StructuredMetadata: the headline sources the title choice reads, live blogs'
// JSON-LD, and the headline elements handed to the extractor.
#include "parsers/articles/structured_metadata.hpp"

#include <gtest/gtest.h>

#include "parsers/html/html_document.hpp"

namespace newsd::parsers {
namespace {

// The metadata and the DOM its element lists point into.
struct Read {
  std::unique_ptr<HtmlDocument> document;
  StructuredMetadata meta;
};

Read read_page(std::string_view html) {
  Read out;
  out.document = parse_html_utf8(html).document;
  EXPECT_TRUE(out.document);
  out.meta = read_structured_metadata(out.document->dom);
  return out;
}

StructuredMetadata read(std::string_view html) { return read_page(html).meta; }

TEST(StructuredMetadata, MetaNameOrItempropHeadline) {
  auto meta = read(R"(<html><head><meta name="headline" content="Plain &#x27;headline&#x27;">
    <meta property="og:title" content="Plain 'headline' - Section | Site"></head><body></body></html>)");
  EXPECT_EQ(meta.headline, "Plain 'headline'");
  EXPECT_EQ(meta.title, "Plain 'headline'");
  EXPECT_EQ(meta.og_title, "Plain 'headline' - Section | Site");
  auto itemprop = read(R"(<html><head><meta itemprop="headline" content="Itemprop headline"></head><body></body></html>)");
  EXPECT_EQ(itemprop.headline, "Itemprop headline");
}

TEST(StructuredMetadata, JsonLdHeadlineBeforeMetaHeadline) {
  auto meta = read(R"(<html><head><meta name="headline" content="From meta">
    <script type="application/ld+json">{"@type":"NewsArticle","headline":"From JSON-LD"}</script></head><body></body></html>)");
  EXPECT_EQ(meta.headline, "From JSON-LD");
}

TEST(StructuredMetadata, ALiveBlogIsTheArticleNotItsUpdates) {
  // The updates have a body and a headline each; the live blog has neither body nor the updates' dates.
  auto meta = read(R"(<html><head><script type="application/ld+json">{"@type":"LiveBlogPosting",
    "headline":"UK riots LIVE: latest updates","datePublished":"2024-08-04T13:23:00Z",
    "author":{"@type":"Person","name":"Lucy Thornton"},
    "liveBlogUpdate":[{"@type":"BlogPosting","headline":"Loud bang heard","articleBody":"A loud bang was heard.",
      "datePublished":"2024-08-05T20:00:18Z","author":{"@type":"Person","name":"Someone Else"}}]}</script></head><body></body></html>)");
  EXPECT_EQ(meta.headline, "UK riots LIVE: latest updates");
  EXPECT_EQ(format_rfc3339(*meta.published_at), "2024-08-04T13:23:00Z");
  EXPECT_EQ(meta.authors, std::vector<std::string>{"Lucy Thornton"});
  // A part of a page that is not an article is read.
  auto alone = read(R"(<html><head><script type="application/ld+json">{"@type":"WebPage","hasPart":
    {"@type":"BlogPosting","headline":"Only part"}}</script></head><body></body></html>)");
  EXPECT_EQ(alone.headline, "Only part");
}

// Machine-readable dates keep the offset they are written in, wherever they come from.
TEST(StructuredMetadata, DatesKeepTheirStatedOffset) {
  auto jsonld = read(R"(<html><head><script type="application/ld+json">{"@type":"NewsArticle",
    "headline":"h","datePublished":"2021-05-20T00:12:41+03:00","dateModified":"2021-05-20T09:00:00-04:00"}</script>
    </head><body></body></html>)");
  ASSERT_TRUE(jsonld.published_at);
  EXPECT_EQ(format_rfc3339(*jsonld.published_at), "2021-05-20T00:12:41+03:00");
  EXPECT_EQ(format_rfc3339(jsonld.published_at->utc), "2021-05-19T21:12:41Z");
  ASSERT_TRUE(jsonld.updated_at);
  EXPECT_EQ(format_rfc3339(*jsonld.updated_at), "2021-05-20T09:00:00-04:00");

  auto meta = read(R"(<html><head><meta property="article:published_time" content="2020-05-04T00:30:00+07:00">
    <meta property="article:modified_time" content="2020-05-04T02:00:00+07:00"></head><body></body></html>)");
  ASSERT_TRUE(meta.published_at && meta.updated_at);
  EXPECT_EQ(format_rfc3339(*meta.published_at), "2020-05-04T00:30:00+07:00");
  EXPECT_EQ(format_rfc3339(*meta.updated_at), "2020-05-04T02:00:00+07:00");

  auto time = read(R"(<html><body><time datetime="2020-05-04T00:30:00-05:00">4 May</time></body></html>)");
  ASSERT_TRUE(time.published_at);
  EXPECT_EQ(format_rfc3339(*time.published_at), "2020-05-04T00:30:00-05:00");

  auto utc = read(R"(<html><head><meta property="article:published_time" content="2020-05-04T00:30:00+00:00">
    </head><body></body></html>)");
  ASSERT_TRUE(utc.published_at);
  EXPECT_EQ(format_rfc3339(*utc.published_at), "2020-05-04T00:30:00Z");
}

TEST(StructuredMetadata, HeadingElementsInDocumentOrder) {
  auto page = read_page(R"(<html><body><h2>First</h2><div><span itemprop="headline name">Marked</span></div>
    <meta itemprop="headline" content="Not an element of the page"><h1>Main</h1><h3>Not collected</h3></body></html>)");
  std::vector<std::string> names;
  for (auto node : page.meta.heading_elements) names.push_back(node.name());
  EXPECT_EQ(names, (std::vector<std::string>{"h2", "span", "h1"}));
}

std::vector<std::string> people(std::vector<std::string> v) { return v; }

TEST(StructuredMetadataAuthors, ThePublicationGivesWayToPeopleNamedElsewhere) {
  // JSON-LD names the house; the page's byline names the reporter.
  auto meta = read(R"html(<html><head><link rel="canonical" href="https://www.stern.de/politik/x.html">
    <script type="application/ld+json">{"@type":"NewsArticle","headline":"H","author":{"@type":"Organization","name":"stern.de"},
    "publisher":{"@type":"Organization","name":"Stern"}}</script></head>
    <body><h1>H</h1><div class="article-byline"><span>Von Jemima Kelly</span></div><p>Text.</p></body></html>)html");
  EXPECT_EQ(meta.authors, people({"Jemima Kelly"}));
  // With nobody named anywhere, the house byline stands: it is what the page says.
  auto house = read(R"html(<html><head><meta property="og:site_name" content="Lesotho Times">
    <meta name="author" content="Lesotho Times"></head><body><h1>H</h1></body></html>)html");
  EXPECT_EQ(house.authors, people({"Lesotho Times"}));
  auto domain = read(R"html(<html><head><meta name="author" content="mdr.de"></head><body>
    <p class="author-name">David Straub</p></body></html>)html");
  EXPECT_EQ(domain.authors, people({"David Straub"})) << "a domain is a publication";
}

TEST(StructuredMetadataAuthors, VisibleBylineCleanedUp) {
  // Dates caught in the byline element, desk initials, the Korean title and Nordic "og".
  EXPECT_EQ(read(R"html(<body><div class="byline">David Straub, MDR THÜRINGEN, Stand: 28. April 2023, 05:00 Uhr</div></body>)html").authors,
            people({"David Straub", "MDR THÜRINGEN"}));
  EXPECT_EQ(read(R"html(<head><meta name="author" content="Corina Gall (cog.), David Vonplon (dvp)"></head>)html").authors,
            people({"Corina Gall", "David Vonplon"}));
  EXPECT_EQ(read(R"html(<head><meta name="author" content="신현주 기자"></head>)html").authors, people({"신현주"}));
  EXPECT_EQ(read(R"html(<head><meta name="author" content="Trine Juncher Jørgensen og Tôrtia Reimer-Johansen"></head>)html").authors,
            people({"Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen"}));
  EXPECT_EQ(read(R"html(<body><span class="post-author">كتب محمد علي</span></body>)html").authors, people({"محمد علي"}));
  // An author box or photo is not a byline.
  EXPECT_TRUE(read(R"html(<body><div class="author-bio">Jane writes about science and has covered it for years.</div></body>)html")
                  .authors.empty());
}

}  // namespace
}  // namespace newsd::parsers
