// Article extraction without a template: structured metadata (JSON-LD incl.
// @graph, OpenGraph, Dublin Core, itemprop, <time>), the generic scorer, the
// JSON-LD body fallback, and bad input.
#include "parsers/articles/article_extractor.hpp"

#include <gtest/gtest.h>

#include "parsers/articles/content_scorer.hpp"
#include "parsers/articles/structured_metadata.hpp"

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
  EXPECT_EQ(format_rfc3339(*a.published_at), "2024-04-30T09:15:00-04:00");
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
  EXPECT_EQ(format_rfc3339(*a.published_at), "2024-04-29T08:00:00+02:00");
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

TEST(ArticleExtractor, LanguageComesFromThePageTextWithTheDeclaredOneAsHint) {
  const std::string arabic_body =
      paragraphs(3, "وقال الوزير إن الخطة تمت الموافقة عليها وإنها الأولى من نوعها في البلاد");
  EXPECT_EQ(run("<html lang=\"en\"><body><article><h1>خطة جديدة</h1>" + arabic_body + "</article></body></html>")
                .article->language,
            "ar")
      << "a long Arabic text overrules <html lang=en>";
  EXPECT_EQ(run("<html><body><article>" + paragraphs(3, kSentence) + "</article></body></html>").article->language, "en")
      << "nothing declared: the text alone";
  EXPECT_EQ(run("<html lang=\"fr\"><head><title>Markets rally today</title></head><body></body></html>")
                .article->language,
            "fr")
      << "a three-word headline is too short to overrule the page";
  EXPECT_EQ(run("<html><head><title>Markets rally today</title></head><body></body></html>").article->language, "")
      << "nothing declared and too little text: no language rather than a guess";
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

// Title choice: which of the stated titles (JSON-LD headline, og:title, ...)
// the page prints, kickers, suffixes, and headings that are not the headline.
namespace newsd::parsers {
namespace {

// A page with the given <head> content and <body> markup before an article body.
std::string page_with(std::string_view head, std::string_view body_top) {
  return "<html><head>" + std::string(head) + "</head><body>" + std::string(body_top) + "<div class='story'>" +
         paragraphs(4, kSentence) + "</div></body></html>";
}

std::string json_ld_headline(std::string_view headline) {
  return R"(<script type="application/ld+json">{"@type":"NewsArticle","headline":")" + std::string(headline) + R"("}</script>)";
}

std::string og_title(std::string_view title) { return R"(<meta property="og:title" content=")" + std::string(title) + R"(">)"; }

std::string title_of(const std::string& html) { return run(html).article->title; }

TEST(ArticleTitle, ThePrintedHeadlineDecidesBetweenJsonLdAndOpenGraph) {
  std::string head = json_ld_headline("Council passes budget after long night") +
                     og_title("Budget passes: what it means for your bills");
  // The page prints the og:title: that is the headline, not the SEO variant in JSON-LD.
  EXPECT_EQ(title_of(page_with(head, "<article><h1>Budget passes: what it means for your bills</h1></article>")),
            "Budget passes: what it means for your bills");
  // The page prints the JSON-LD headline: og:title is the social variant.
  EXPECT_EQ(title_of(page_with(head, "<article><h1>Council passes budget after long night</h1></article>")),
            "Council passes budget after long night");
  // Printed matches neither: the JSON-LD headline, as before.
  EXPECT_EQ(title_of(page_with(head, "<article><h1>Live: the budget debate</h1></article>")),
            "Council passes budget after long night");
}

TEST(ArticleTitle, AnH1InTheBreadcrumbTrailIsNotTheHeadline) {
  std::string head = json_ld_headline("Why the tram network fails in a heatwave") +
                     og_title("Trams and heat: a city unprepared");
  std::string crumbs = "<nav><ol class='breadcrumb'><li><a href='/'>Home</a></li>"
                       "<li><h1>Why the tram network fails in a heatwave</h1></li></ol></nav>";
  // The headline proper is an <h2 itemprop=headline> in the article header.
  EXPECT_EQ(title_of(page_with(head, crumbs + "<article><header><h2 itemprop='headline'>"
                                              "Trams and heat: a city unprepared</h2></header></article>")),
            "Trams and heat: a city unprepared");
  // Same with a breadcrumb container that is not a <nav>, and with a <nav> of topics.
  std::string div_crumbs = "<div id='breadcrumbs'><h1>Trams and heat: a city unprepared</h1></div>";
  EXPECT_EQ(title_of(page_with(head, div_crumbs)), "Why the tram network fails in a heatwave");
  std::string topics = "<nav class='topics'><ul><li><h1>Trams and heat: a city unprepared</h1></li></ul></nav>";
  EXPECT_EQ(title_of(page_with(head, topics)), "Why the tram network fails in a heatwave");
}

TEST(ArticleTitle, OfTwoPrintedTitlesTheFirst) {
  // A print-only copy further down repeats the JSON-LD headline; the first one printed is the headline.
  std::string head = json_ld_headline("Council passes budget after long night") +
                     og_title("Budget passes: what it means for your bills");
  EXPECT_EQ(title_of(page_with(head, "<article><h1>Budget passes: what it means for your bills</h1></article>"
                                     "<div class='print-only'><h1>Council passes budget after long night</h1></div>")),
            "Budget passes: what it means for your bills");
}

TEST(ArticleTitle, HiddenAndTeaserHeadingsAreNotTheHeadline) {
  std::string head = json_ld_headline("Storm closes schools across the region") + og_title("Schools shut as storm hits");
  // A screen-reader copy of the JSON-LD headline comes first; readers see the og:title.
  EXPECT_EQ(title_of(page_with(head, "<h1 class='sr-only'>Storm closes schools across the region</h1>"
                                     "<article><h1>Schools shut as storm hits</h1></article>")),
            "Schools shut as storm hits");
  // A teaser link or an aside with the og:title's words is another page's headline.
  EXPECT_EQ(title_of(page_with(head, "<aside><h2 class='title'>Schools shut as storm hits</h2></aside>"
                                     "<a href='/x'><h2 class='headline'>Schools shut as storm hits</h2></a>")),
            "Storm closes schools across the region");
}

TEST(ArticleTitle, AHeadingThatSharesFewWordsIsNotTheHeadline) {
  std::string head = json_ld_headline("Ministers agree on new rail timetable") + og_title("Rail timetable agreed");
  // Its last part is the og:title, but most of it is other text: a teaser block, not this page's headline.
  EXPECT_EQ(title_of(page_with(head, "<article><h1><span>Also today: strikes at the ports and a long wait for ferries</span>"
                                     "<span>Rail timetable agreed</span></h1></article>")),
            "Ministers agree on new rail timetable");
  // A section heading first, the headline after it.
  EXPECT_EQ(title_of(page_with(head, "<article><h1>Politics</h1><h2>Rail timetable agreed</h2></article>")),
            "Rail timetable agreed");
}

TEST(ArticleTitle, AKickerMarkedUpInsideTheHeadlineIsLeftOut) {
  // JSON-LD carries "Kicker: Headline", og:title the headline; the page prints both as parts of one heading.
  std::string head = json_ld_headline("Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig") +
                     og_title("Judy Lybke, ganz und gar nicht eigenartig");
  EXPECT_EQ(title_of(page_with(head, "<article><h2><span class='article__kicker'>Neue Leipziger Schule</span> "
                                     "<span class='article__headline'>Judy Lybke, ganz und gar nicht eigenartig</span></h2></article>")),
            "Judy Lybke, ganz und gar nicht eigenartig");
}

TEST(ArticleTitle, AMetadataKickerStaysUnlessThePagePrintsAnotherOne) {
  std::string meta = og_title("Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden") +
                     json_ld_headline("Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden");
  // The kicker is a line of its own above an <h1> that holds only the headline: every source
  // outside the <h1> calls the story by kicker and headline.
  EXPECT_EQ(title_of(page_with(meta, "<article><div class='keyword'>Nach Gaetz-Rückzug</div>"
                                     "<h1>Trump-Anwältin soll Justizministerin werden</h1></article>")),
            "Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden");
  // The page prints the same kicker inside the heading, with a hidden separator: still kicker and headline.
  EXPECT_EQ(title_of(page_with(meta, "<article><h1><span class='kicker'>Nach Gaetz-Rückzug</span><span class='visually-hidden'>:</span>"
                                     "<span>Trump-Anwältin soll Justizministerin werden</span></h1></article>")),
            "Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden");
  // Text for screen readers only is not a printed kicker.
  EXPECT_EQ(title_of(page_with(meta, "<article><h1><span class='sr-only'>Artikel</span>"
                                     "<span>Trump-Anwältin soll Justizministerin werden</span></h1></article>")),
            "Nach Gaetz-Rückzug: Trump-Anwältin soll Justizministerin werden");
  // The page prints another kicker: the kicker is a label that changes; the headline is what stays.
  EXPECT_EQ(title_of(page_with(meta, "<article><h1><span class='overline'>USA</span><span class='h-offscreen'> - </span>"
                                     "<span>Trump-Anwältin soll Justizministerin werden</span></h1></article>")),
            "Trump-Anwältin soll Justizministerin werden");
}

TEST(ArticleTitle, APrintedHeadlineWithoutTheStatedSuffixWins) {
  // No og:site_name, so "- Die Neue Südtiroler Tageszeitung" is not known to be the site's name.
  EXPECT_EQ(title_of(page_with(og_title("„Unermüdlicher Einsatz“ - Die Neue Südtiroler Tageszeitung"),
                               "<article><h1 class='cat_article_title'>„Unermüdlicher Einsatz“</h1></article>")),
            "„Unermüdlicher Einsatz“");
  // A section after the headline.
  EXPECT_EQ(title_of(page_with(json_ld_headline("Bubi-Bomber wieder da | Sport") + og_title("Bubi-Bomber wieder da"),
                               "<article><h1>Bubi-Bomber wieder da</h1></article>")),
            "Bubi-Bomber wieder da");
  // A truncation mark on the JSON-LD headline.
  EXPECT_EQ(title_of(page_with(json_ld_headline("Who is the new coach and what did he say?..."),
                               "<article><h1>Who is the new coach and what did he say?</h1></article>")),
            "Who is the new coach and what did he say?");
}

TEST(ArticleTitle, SiteNameAfterSeparatorsWithoutSpaces) {
  std::string korean =
      R"(<meta property="og:site_name" content="한국일보">)" + og_title("장동혁, 한동훈 제명했지만 부담 커졌다ㅣ한국일보");
  EXPECT_EQ(title_of(page_with(korean, "")), "장동혁, 한동훈 제명했지만 부담 커졌다");
  std::string tight = R"(<meta property="og:site_name" content="Example Post">)" + og_title("Mayor resigns|Example Post");
  EXPECT_EQ(title_of(page_with(tight, "")), "Mayor resigns");
  // Without spaces, only the site's own name is cut: a hyphenated word stays whole.
  std::string hyphen = R"(<meta property="og:site_name" content="Example Post">)" + og_title("Covid-19 cases fall in the city");
  EXPECT_EQ(title_of(page_with(hyphen, "")), "Covid-19 cases fall in the city");
}

TEST(ArticleTitle, MetaNameHeadlineWhenThereIsNoJsonLd) {
  // og:title carries a section and the site; <meta name="headline"> the headline alone.
  std::string head = R"(<meta name="headline" content="장동혁, 한동훈 제명했지만 부담 커졌다">)" +
                     og_title("장동혁, 한동훈 제명했지만 부담 커졌다-정치ㅣ한국일보") +
                     R"(<meta property="og:site_name" content="한국일보">)";
  EXPECT_EQ(title_of(page_with(head, "")), "장동혁, 한동훈 제명했지만 부담 커졌다");
}

TEST(ArticleTitle, WithoutMetadataTheFirstH1OutsideThePageFurniture) {
  EXPECT_EQ(title_of(page_with("<title>Example News</title>",
                               "<nav class='breadcrumb'><h1>Local</h1></nav><article><h1>Bridge reopens after repairs</h1></article>")),
            "Bridge reopens after repairs");
  // An <h2> alone is not taken for the headline without a title to compare it with: <title> is.
  EXPECT_EQ(title_of(page_with("<title>Bridge reopens after repairs | Example News</title>"
                               "<meta property='og:site_name' content='Example News'>",
                               "<h2>Related stories</h2>")),
            "Bridge reopens after repairs");
}

}  // namespace
}  // namespace newsd::parsers
