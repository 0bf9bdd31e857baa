// Article extraction without a template: structured metadata (JSON-LD incl.
// @graph, OpenGraph, Dublin Core, itemprop, <time>), the generic scorer, the
// JSON-LD body fallback, and bad input.
#include "parsers/article_extractor.hpp"

#include <gtest/gtest.h>

#include "parsers/content_scorer.hpp"
#include "parsers/structured_metadata.hpp"

namespace newsd::parsers {
namespace {

const TimePoint kFetched = std::chrono::sys_days(std::chrono::year{2024} / 5 / 1);

ExtractResult run(std::string_view html, std::string url = "https://news.example.com/a/1", std::string content_type = "") {
  PageInput page;
  page.bytes = html;
  page.url = std::move(url);
  page.content_type = std::move(content_type);
  page.fetched_at = kFetched;
  return extract_article(page);
}

std::string paragraphs(int n, std::string_view sentence) {
  std::string out;
  for (int i = 0; i < n; ++i) out += "<p>" + std::string(sentence) + " Paragraph " + std::to_string(i) + ".</p>\n";
  return out;
}

constexpr std::string_view kSentence =
    "The council voted on Tuesday to approve the new budget, which includes funding for schools, roads and parks";

TEST(ArticleExtractor, JsonLdGraphMetadataAndGenericBody) {
  std::string html = R"(<html lang="en-GB"><head><title>Budget approved | Example News</title>
    <link rel="canonical" href="/a/1?utm_source=x">
    <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
      {"@type":"Organization","@id":"#org","name":"Example News"},
      {"@type":"Person","@id":"#jane","name":"Jane Doe"},
      {"@type":["NewsArticle"],"headline":"Budget approved","datePublished":"2024-04-30T09:15:00-04:00",
       "dateModified":"2024-04-30T10:00:00Z","author":[{"@id":"#jane"},{"@type":"Person","name":"John Roe"}],
       "publisher":{"@id":"#org"},"articleSection":["Local"],"keywords":"budget, council",
       "image":{"@type":"ImageObject","url":"https://news.example.com/i.jpg"}},
      {"@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem","position":2,"name":"Local"},
        {"@type":"ListItem","position":1,"item":{"@id":"/","name":"Home"}}]}]}</script></head>
    <body><header class="site-header"><nav><a href="/">Home</a><a href="/local">Local</a></nav></header>
    <article><h1>Budget approved</h1><div class="byline">By Jane Doe</div>)" +
                     paragraphs(6, kSentence) + R"(<div class="share-tools"><a>Share on Facebook</a></div>
    <div class="related-links"><h3>More</h3><ul><li><a href="/b">Other story one</a></li><li><a href="/c">Other story two</a></li></ul></div>
    </article><footer>Copyright Example News</footer></body></html>)";
  auto result = run(html);
  ASSERT_TRUE(result.article) << result.detail;
  const Article& a = *result.article;
  EXPECT_EQ(a.extraction.method, "generic");
  EXPECT_EQ(a.url, "https://news.example.com/a/1");
  EXPECT_FALSE(a.id.empty());
  EXPECT_EQ(a.title, "Budget approved");
  EXPECT_EQ(a.authors, (std::vector<std::string>{"Jane Doe", "John Roe"}));
  EXPECT_EQ(format_rfc3339(*a.published_at), "2024-04-30T13:15:00Z");
  EXPECT_EQ(format_rfc3339(*a.updated_at), "2024-04-30T10:00:00Z");
  EXPECT_EQ(a.section, "Local");
  EXPECT_EQ(a.breadcrumbs, (std::vector<std::string>{"Home", "Local"}));
  EXPECT_EQ(a.tags, (std::vector<std::string>{"budget", "council"}));
  EXPECT_EQ(a.image, "https://news.example.com/i.jpg");
  EXPECT_EQ(a.site_name, "Example News");
  EXPECT_EQ(a.language, "en");
  EXPECT_EQ(a.body.find("Share on"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find("Other story"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.find("Copyright"), std::string::npos) << a.body;
  EXPECT_EQ(a.body.rfind(std::string(kSentence) + " Paragraph 0.", 0), 0u) << a.body;
  EXPECT_NE(a.body.find("Paragraph 5."), std::string::npos);
  EXPECT_FALSE(a.content_hash.empty());
}

TEST(ArticleExtractor, OpenGraphDublinCoreItempropAndTime) {
  std::string html = R"(<html><head><meta property="og:title" content="Headline here - Example">
    <meta property="og:site_name" content="Example"><meta property="og:locale" content="fr_FR">
    <meta name="DC.creator" content="Marie Curie"><meta property="article:tag" content="science">
    <meta property="og:image" content="/img/lead.jpg"></head><body>
    <time datetime="2024-04-29T08:00:00+02:00" class="entry-date">29 avril</time><div class="content">)" +
                     paragraphs(5, "Les chercheurs ont publié, mardi, une étude sur les effets du climat") +
                     "</div></body></html>";
  auto a = *run(html).article;
  EXPECT_EQ(a.title, "Headline here");
  EXPECT_EQ(a.authors, std::vector<std::string>{"Marie Curie"});
  EXPECT_EQ(format_rfc3339(*a.published_at), "2024-04-29T06:00:00Z");
  EXPECT_EQ(a.language, "fr");
  EXPECT_EQ(a.tags, std::vector<std::string>{"science"});
  EXPECT_EQ(a.image, "https://news.example.com/img/lead.jpg");
}

TEST(ArticleExtractor, ItempropAuthorAndHeadline) {
  auto meta = read_structured_metadata(
      parse_html(R"(<html><body><h1 itemprop="headline">Item headline</h1>
        <span itemprop="author" itemscope><span itemprop="name">A. Writer</span></span>
        <meta itemprop="datePublished" content="2024-01-02"></body></html>)", "")
          .document->dom);
  EXPECT_EQ(meta.title, "Item headline");
  EXPECT_EQ(meta.authors, std::vector<std::string>{"A. Writer"});
  EXPECT_EQ(format_rfc3339(*meta.published_at), "2024-01-02T00:00:00Z");
}

TEST(ArticleExtractor, JsonLdBodyWhenTheDomHasNone) {
  std::string s(kSentence);
  std::string json_body = s + ".\\n" + s + " again.\\n" + s + " thrice.";
  std::string html = R"(<html><head><script type="application/ld+json">{"@type":"ReportageNewsArticle",
    "headline":"Rendered later","articleBody":")" + json_body + R"("}</script></head><body><div id="root"></div></body></html>)";
  auto a = *run(html).article;
  EXPECT_EQ(a.extraction.method, "jsonld");
  EXPECT_EQ(a.title, "Rendered later");
  EXPECT_EQ(a.body, std::string(kSentence) + ".\n\n" + std::string(kSentence) + " again.\n\n" + std::string(kSentence) + " thrice.");
}

TEST(ArticleExtractor, PageWithoutArticleIsFlaggedNotFailed) {
  auto result = run("<html><head><title>Home</title></head><body><nav><a href='/a'>A</a><a href='/b'>B</a></nav></body></html>");
  ASSERT_TRUE(result.article);
  EXPECT_TRUE(result.article->body.empty());
  EXPECT_NE(result.article->extraction.detail.find("no article body"), std::string::npos);
}

TEST(ArticleExtractor, BadInputIsAnErrorValue) {
  EXPECT_EQ(run("").error, ExtractError::empty);
  EXPECT_EQ(run(std::string("\x1F\x8B\x08\x00\x00\x00\x00\x00", 8), "https://x.org/", "text/html").error, ExtractError::binary);
  PageInput page;
  std::string big(1024, 'a');
  page.bytes = big;
  ExtractOptions options;
  options.html.max_bytes = 512;
  EXPECT_EQ(extract_article(page, options).error, ExtractError::too_large);
}

TEST(ArticleExtractor, Windows1256PageFromTheHttpHeader) {
  // "الحكومة تقر الموازنة" and a paragraph, in windows-1256.
  std::string title = "\xC7\xE1\xCD\xDF\xE6\xE3\xC9 \xCA\xDE\xD1 \xC7\xE1\xE3\xE6\xC7\xD2\xE4\xC9";
  std::string html = "<html><head><title>" + title + "</title></head><body><div class='post'>";
  for (int i = 0; i < 5; i++) html += "<p>" + title + "\xA1 " + title + "\xA1 " + title + " " + title + " " + title + ".</p>";
  html += "</div></body></html>";
  auto a = *run(html, "https://x.example/1", "text/html; charset=windows-1256").article;
  EXPECT_EQ(a.title, "الحكومة تقر الموازنة");
  EXPECT_EQ(a.language, "ar");
  EXPECT_NE(a.body.find("الحكومة تقر الموازنة، الحكومة"), std::string::npos) << a.body;
  EXPECT_NE(a.extraction.detail.find("windows-1256 (http)"), std::string::npos);
}

TEST(ArticleExtractor, GivenUrlIsNotReplacedByCanonical) {
  std::string html = "<html><head><link rel=canonical href='https://other.example/x'></head><body>" +
                     paragraphs(4, kSentence) + "</body></html>";
  PageInput page;
  page.bytes = html;
  page.url = "https://given.example/y";
  page.url_is_final = true;
  EXPECT_EQ(extract_article(page).article->url, "https://given.example/y");
  page.url_is_final = false;
  EXPECT_EQ(extract_article(page).article->url, "https://other.example/x");
}

TEST(ArticleExtractor, DetectsLanguage) {
  EXPECT_EQ(detect_language("The minister said that the plan was approved and that it is the first of this kind."), "en");
  EXPECT_EQ(detect_language("وقال الوزير إن الخطة تمت الموافقة عليها وإنها الأولى من نوعها في البلاد"), "ar");
  EXPECT_EQ(detect_language("Der Minister sagte, dass der Plan nicht mit der Regierung abgestimmt ist und die Kritik wächst."), "de");
  EXPECT_EQ(detect_language("12345"), "");
}

TEST(StructuredMetadata, SplitsBylines) {
  EXPECT_EQ(split_authors("By Jane Doe and John Roe"), (std::vector<std::string>{"Jane Doe", "John Roe"}));
  EXPECT_EQ(split_authors("A, B & C"), (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_TRUE(split_authors("https://facebook.com/someone").empty());
  EXPECT_EQ(primary_language("ar_LB"), "ar");
  EXPECT_EQ(primary_language("x"), "");
}

TEST(ContentScorer, ChoosesTheDomUnlessItMissedTheText) {
  std::vector<std::string> dom{"Short."};
  std::string json(400, 'a');
  EXPECT_EQ(choose_body(dom, json), json);
  std::vector<std::string> full{std::string(300, 'b'), std::string(300, 'c')};
  EXPECT_EQ(choose_body(full, json), full[0] + "\n\n" + full[1]);
}

}  // namespace
}  // namespace newsd::parsers

namespace newsd::parsers {
namespace {

TEST(ArticleExtractor, DateFromTheUrlAsALastResort) {
  std::string html = "<html><body><div class='story'>" + paragraphs(4, kSentence) + "</div></body></html>";
  EXPECT_EQ(format_rfc3339(*run(html, "https://x.example/2021/05/19/story-title").article->published_at),
            "2021-05-19T00:00:00Z");
  EXPECT_EQ(format_rfc3339(*run(html, "https://x.example/news/2020-12-01-title").article->published_at),
            "2020-12-01T00:00:00Z");
  EXPECT_FALSE(run(html, "https://x.example/item/123456789").article->published_at);
}

TEST(ArticleExtractor, VisibleDateWhenMetadataHasNone) {
  std::string html = "<html><body><span class='post-date'>منذ ساعتين</span><div class='story'>" +
                     paragraphs(4, kSentence) + "</div></body></html>";
  EXPECT_EQ(format_rfc3339(*run(html).article->published_at), "2024-04-30T22:00:00Z");
}

TEST(ArticleExtractor, BreadcrumbMarkupWithoutJsonLd) {
  std::string html = "<html><body><ol class='breadcrumb'><li><a href='/'>Home</a></li><li><a href='/w'>World</a></li>"
                     "<li class='active'>Story</li></ol><div class='story'>" + paragraphs(4, kSentence) +
                     "</div></body></html>";
  EXPECT_EQ(run(html).article->breadcrumbs, (std::vector<std::string>{"Home", "World", "Story"}));
}

}  // namespace
}  // namespace newsd::parsers
