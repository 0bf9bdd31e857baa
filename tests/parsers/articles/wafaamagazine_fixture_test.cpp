// The must-pass fixture: the wafaamagazine page around the seed article yields
// exactly the expected record, by the shipped template; the template holds
// for another article of the site and for TieLabs' older Jarida theme; and
// the generic path gets the same article without any template.
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/html/html_text.hpp"
#include "tests/support/test_file.hpp"

namespace newsd::parsers {
namespace {

using testing_support::read_test_file;

const std::string kFixtureDir = std::string(NEWSD_TEST_DATA_DIR) + "/wafaamagazine/";
const std::string kTemplatePath = std::string(NEWSD_TEST_DATA_DIR) + "/../../templates/wafaamagazine.toml";

SiteTemplateSet shipped_templates() {
  SiteTemplateSet set;
  auto parsed = parse_site_template(read_test_file(kTemplatePath), kTemplatePath);
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors.front());
  if (parsed.site_template) set.add(std::move(*parsed.site_template));
  return set;
}

Article extract(const std::string& html, const SiteTemplateSet* templates, std::string url = {}) {
  PageInput page;
  page.bytes = html;
  page.url = std::move(url);
  page.fetched_at = std::chrono::sys_days(std::chrono::year{2021} / 5 / 21);
  ExtractOptions options;
  options.templates = templates;
  auto result = extract_article(page, options);
  EXPECT_TRUE(result.article) << result.detail;
  return result.article ? *result.article : Article{};
}

TEST(WafaamagazineFixture, TemplateYieldsTheExpectedRecord) {
  auto templates = shipped_templates();
  auto article = extract(read_test_file(kFixtureDir + "article-312845.html"), &templates);
  auto record = article_record(article);
  auto expected = boost::json::parse(read_test_file(kFixtureDir + "article-312845.expected.json")).as_object();
  for (const auto& [key, value] : expected)
    EXPECT_EQ(boost::json::serialize(record[key]), boost::json::serialize(value)) << "field " << key;
  EXPECT_EQ(article.extraction.method, "template:wafaamagazine");
}

TEST(WafaamagazineFixture, BodyIsTheSeedParagraphs) {
  auto templates = shipped_templates();
  auto article = extract(read_test_file(kFixtureDir + "article-312845.html"), &templates);
  // The seed: breadcrumb line, title, byline, then the body paragraphs.
  std::string seed = read_test_file(kFixtureDir + "seed-312845.txt");
  std::vector<std::string> blocks;
  std::size_t start = 0;
  while (start < seed.size()) {
    auto end = seed.find("\n\n", start);
    if (end == std::string::npos) end = seed.size();
    auto block = normalize_whitespace(std::string_view(seed).substr(start, end - start));
    if (!block.empty()) blocks.push_back(block);
    start = end + 2;
  }
  ASSERT_GT(blocks.size(), 3u);
  std::string body;
  for (std::size_t i = 3; i < blocks.size(); ++i) body += (body.empty() ? "" : "\n\n") + blocks[i];
  EXPECT_EQ(article.body, body);
  EXPECT_EQ(article.title, blocks[1]);
}

TEST(WafaamagazineFixture, GenericPathWithoutTemplateGetsTheArticle) {
  auto article = extract(read_test_file(kFixtureDir + "article-312845.html"), nullptr);
  auto expected = boost::json::parse(read_test_file(kFixtureDir + "article-312845.expected.json")).as_object();
  EXPECT_EQ(article.title, expected["title"].as_string());
  EXPECT_EQ(article.body, expected["body"].as_string());
  EXPECT_EQ(format_rfc3339(*article.published_at), expected["published_at"].as_string());
  EXPECT_EQ(article.image, expected["image"].as_string());
  EXPECT_EQ(boost::json::serialize(article_record(article)["breadcrumbs"]), boost::json::serialize(expected["breadcrumbs"]));
  EXPECT_NE(article.extraction.method.rfind("template:", 0), 0u);
}

// Another article of the site: inline images with captions, a "read also"
// box, a tags block and an embedded ad inside entry-content; no og/meta date.
constexpr std::string_view kSecondArticle = R"(<!DOCTYPE html><html dir="rtl" lang="ar"><head><meta charset="UTF-8">
<title>الصحة: 412 إصابة جديدة &#8211; مجلة وفاء wafaamagazine</title>
<link rel="canonical" href="https://wafaamagazine.com/archives/299700">
<meta property="og:site_name" content="مجلة وفاء wafaamagazine"></head>
<body id="tie-body" class="rtl single-post"><div id="tie-container"><div class="main-content">
<article id="the-post" class="container-wrapper post-content"><header class="entry-header-outer">
<nav id="breadcrumb"><a href="https://wafaamagazine.com/">الرئيسية</a><em class="delimiter">/</em><a href="https://wafaamagazine.com/archives/category/lebanon">لبنان</a><em class="delimiter">/</em><span class="current">الصحة: 412 إصابة جديدة</span></nav>
<div class="entry-header"><span class="post-cat-wrap"><a class="post-cat" href="#">لبنان</a></span>
<h1 class="post-title entry-title">الصحة: 412 إصابة جديدة</h1>
<div id="single-post-meta" class="post-meta"><span class="meta-author"><a class="author-name" href="#">فريق التحرير</a></span>
<span class="date meta-item tie-icon">19 أيار 2021</span></div></div></header>
<div class="entry-content entry clearfix">
<p>أعلنت وزارة الصحة تسجيل 412 إصابة جديدة.</p>
<div class="stream-item"><a href="https://ads.example.com/"><img src="/ad.jpg"></a></div>
<figure class="wp-caption"><img src="/x.jpg"><figcaption class="wp-caption-text">صورة أرشيفية</figcaption></figure>
<p>اقرأ أيضاً: <a href="https://wafaamagazine.com/archives/299650">أسعار المحروقات ترتفع مجددا</a></p>
<p>وسجلت <strong>7 حالات</strong> وفاة.</p>
<div class="post-bottom-meta post-bottom-tags"><span class="tagcloud"><a href="#" rel="tag">كورونا</a></span></div>
</div><div id="share-buttons-bottom" class="share-buttons"><a>فيسبوك</a></div></article>
<div id="related-posts"><h3>مقالات ذات صلة</h3><a href="#">خبر آخر</a></div></div></div></body></html>)";

TEST(WafaamagazineTemplate, HoldsForAnotherArticleOfTheSite) {
  auto templates = shipped_templates();
  auto article = extract(std::string(kSecondArticle), &templates);
  EXPECT_EQ(article.extraction.method, "template:wafaamagazine");
  EXPECT_EQ(article.url, "https://wafaamagazine.com/archives/299700");
  EXPECT_EQ(article.title, "الصحة: 412 إصابة جديدة");
  EXPECT_EQ(article.body, "أعلنت وزارة الصحة تسجيل 412 إصابة جديدة.\n\nوسجلت 7 حالات وفاة.");
  EXPECT_EQ(article.section, "لبنان");
  EXPECT_EQ(article.authors, std::vector<std::string>{"فريق التحرير"});
  EXPECT_EQ(article.tags, std::vector<std::string>{"كورونا"});
  EXPECT_EQ(article.breadcrumbs.size(), 3u);
  ASSERT_TRUE(article.published_at);  // the visible date, Beirut time (+02:00 in the template)
  EXPECT_EQ(format_rfc3339(*article.published_at), "2021-05-19T00:00:00+02:00");
  EXPECT_EQ(article.language, "ar");
}

// TieLabs' older Jarida theme, on another host: recognised by its theme assets.
constexpr std::string_view kJaridaArticle = R"(<html lang="ar"><head><meta charset="utf-8">
<link rel="stylesheet" href="https://news.example.org/wp-content/themes/jarida/style.css">
<title>عنوان الخبر | موقع</title></head><body>
<div id="crumbs"><span><a class="crumbs-home" href="/">الرئيسية</a></span> <span class="delimiter">/</span> <span><a href="/cat/politics">سياسة</a></span> <span class="delimiter">/</span> <span class="current">عنوان الخبر</span></div>
<article class="post-listing post"><div class="post-inner">
<h1 class="name post-title entry-title"><span itemprop="name">عنوان الخبر</span></h1>
<p class="post-meta"><span class="post-meta-author"><a href="/author/ali">علي حسن</a></span>
<span class="tie-date">3 كانون الثاني 2020</span><span class="post-cats"><a href="/cat/politics" rel="category tag">سياسة</a></span></p>
<div class="entry"><div class="share-post"><span>شارك</span></div>
<p>الفقرة الأولى من الخبر.</p><div class="e3lan e3lan-in-post1">إعلان</div><p>الفقرة الثانية.</p></div>
</div></article><p class="post-tag">الوسوم<a href="/tag/x" rel="tag">وسم</a></p>
<section id="related_posts"><h3>مواضيع ذات صلة</h3></section></body></html>)";

TEST(WafaamagazineTemplate, HoldsForTheJaridaTheme) {
  auto templates = shipped_templates();
  auto article = extract(std::string(kJaridaArticle), &templates, "https://news.example.org/2020/01/03/x");
  EXPECT_EQ(article.extraction.method, "template:wafaamagazine");
  EXPECT_EQ(article.title, "عنوان الخبر");
  EXPECT_EQ(article.body, "الفقرة الأولى من الخبر.\n\nالفقرة الثانية.");
  EXPECT_EQ(article.authors, std::vector<std::string>{"علي حسن"});
  EXPECT_EQ(article.section, "سياسة");
  EXPECT_EQ(article.breadcrumbs, (std::vector<std::string>{"الرئيسية", "سياسة", "عنوان الخبر"}));
  EXPECT_EQ(article.tags, std::vector<std::string>{"وسم"});
  ASSERT_TRUE(article.published_at);
  EXPECT_EQ(format_rfc3339(*article.published_at), "2020-01-03T00:00:00+02:00");
}

}  // namespace
}  // namespace newsd::parsers
