// SiteTemplate: TOML parsing with located errors, CSS-to-XPath, matching by
// host and by theme, and applying a template to a page.
#include "parsers/articles/site_template.hpp"

#include <gtest/gtest.h>

#include "parsers/html/html_document.hpp"

namespace newsd::parsers {
namespace {

constexpr std::string_view kTemplate = R"(
name = "example"
hosts = ["example.com"]
utc_offset = "+02:00"
[select]
title = "h1.headline"
body = ["div.story", "//article"]
authors = ".byline a"
published = "//meta[@property='article:published_time']/@content"
breadcrumbs = ["nav.crumbs a, nav.crumbs span.here"]
tags = "a[rel~=tag]"
image = ".lead img"
drop = [".ad", "aside"]
)";

SiteTemplate parse_ok(std::string_view text) {
  auto parsed = parse_site_template(text, "example.toml");
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors.front());
  return parsed.site_template ? std::move(*parsed.site_template) : SiteTemplate{};
}

std::unique_ptr<HtmlDocument> page(std::string_view html) { return std::move(parse_html(html, "").document); }

TEST(SiteTemplate, ParsesSelectorsAndOffset) {
  auto t = parse_ok(kTemplate);
  EXPECT_EQ(t.name, "example");
  EXPECT_EQ(t.utc_offset, std::chrono::minutes(120));
  EXPECT_EQ(t.body.size(), 2u);
  EXPECT_EQ(t.drop.size(), 2u);
}

TEST(SiteTemplate, ReportsEveryMistakeWithItsLine) {
  auto parsed = parse_site_template(
      "name = \"x\"\nhosts = [\"x.com\"]\ncolour = 1\n[select]\nbody = \"//div[\"\nheadline = \"h1\"\n", "bad.toml");
  EXPECT_FALSE(parsed.site_template);
  ASSERT_EQ(parsed.errors.size(), 3u);
  EXPECT_NE(parsed.errors[0].find("bad.toml:3:"), std::string::npos) << parsed.errors[0];
  EXPECT_NE(parsed.errors[0].find("colour"), std::string::npos);
  bool xpath = false, field = false;
  for (const auto& e : parsed.errors) {
    xpath = xpath || (e.find("bad.toml:5:") != std::string::npos && e.find("invalid XPath") != std::string::npos);
    field = field || (e.find("bad.toml:6:") != std::string::npos && e.find("headline") != std::string::npos);
  }
  EXPECT_TRUE(xpath);
  EXPECT_TRUE(field);
}

TEST(SiteTemplate, RequiresNameBodyAndAScope) {
  auto parsed = parse_site_template("[select]\ntitle = \"h1\"\n", "empty.toml");
  EXPECT_FALSE(parsed.site_template);
  EXPECT_EQ(parsed.errors.size(), 3u);
  auto broken = parse_site_template("name = \n", "broken.toml");
  ASSERT_EQ(broken.errors.size(), 1u);
  EXPECT_EQ(broken.errors[0].rfind("broken.toml:1:", 0), 0u) << broken.errors[0];
}

TEST(CssToXpath, SimpleSelectors) {
  EXPECT_EQ(css_to_xpath("h1"), "//h1");
  EXPECT_EQ(css_to_xpath("div.entry-content"), "//div[contains(concat(' ',normalize-space(@class),' '),' entry-content ')]");
  EXPECT_EQ(css_to_xpath("#breadcrumb > a"), "//*[@id='breadcrumb']/a");
  EXPECT_EQ(css_to_xpath("nav a, span.current"),
            "//nav//a | //span[contains(concat(' ',normalize-space(@class),' '),' current ')]");
  EXPECT_EQ(css_to_xpath("a[href^='https']"), "//a[starts-with(@href,'https')]");
  EXPECT_EQ(css_to_xpath("meta[property=\"og:image\"]"), "//meta[@property='og:image']");
  EXPECT_FALSE(css_to_xpath("a:hover"));
  EXPECT_FALSE(css_to_xpath("h1 + p"));
  EXPECT_FALSE(css_to_xpath(""));
}

TEST(SiteTemplateSet, MatchesHostSubdomainsAndTheme) {
  SiteTemplateSet set;
  set.add(parse_ok(kTemplate));
  set.add(parse_ok("name = \"theme\"\ndetect = \"//body[@id='tie-body']\"\n[select]\nbody = \".entry\"\n"));
  auto plain = page("<html><body><p>x</p></body></html>");
  auto themed = page("<html><body id='tie-body'><p>x</p></body></html>");
  ASSERT_TRUE(set.match("https://www.example.com/a/1", plain->dom));
  EXPECT_EQ(set.match("https://www.example.com/a/1", plain->dom)->name, "example");
  EXPECT_EQ(set.match("https://notexample.com/", plain->dom), nullptr);
  EXPECT_EQ(set.match("https://other.org/", plain->dom), nullptr);
  ASSERT_TRUE(set.match("https://other.org/", themed->dom));
  EXPECT_EQ(set.match("https://other.org/", themed->dom)->name, "theme");
  EXPECT_EQ(set.find("theme")->name, "theme");
  EXPECT_EQ(set.find("missing"), nullptr);
}

TEST(SiteTemplate, AppliesSelectorsAndDropsFurniture) {
  auto t = parse_ok(kTemplate);
  auto doc = page(R"(<html><head><meta property="article:published_time" content="2021-05-20T00:12:41+03:00"></head>
    <body><nav class="crumbs"><a href="/">Home</a> / <a href="/w">World</a> / <span class="here">Story</span></nav>
    <h1 class="headline"> The  story </h1><p class="byline">By <a>Jane Doe</a> and <a>John Roe</a></p>
    <div class="lead"><img data-src="/img/1.jpg" src="data:,"></div>
    <div class="story"><p>First paragraph.</p><div class="ad">Buy now</div><p>Second <b>bold</b> one.</p>
    <aside>Related stuff</aside></div><a rel="tag" href="/t/a">alpha</a><a rel="nofollow tag">beta</a></body></html>)");
  auto fields = apply_site_template(t, doc->dom);
  EXPECT_EQ(fields.title, "The story");
  EXPECT_EQ(fields.body, (std::vector<std::string>{"First paragraph.", "Second bold one."}));
  EXPECT_EQ(fields.authors, (std::vector<std::string>{"Jane Doe", "John Roe"}));
  EXPECT_EQ(fields.published, "2021-05-20T00:12:41+03:00");
  EXPECT_EQ(fields.breadcrumbs, (std::vector<std::string>{"Home", "World", "Story"}));
  EXPECT_EQ(fields.tags, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(fields.image, "/img/1.jpg");
}

TEST(SiteTemplate, ListingPageLinks) {
  auto t = parse_ok(std::string(kTemplate) + "article_links = \"ul.posts h2 a\"\n");
  auto doc = page("<ul class='posts'><li><h2><a href='/a/1'>One</a></h2></li><li><h2><a href='/a/2'>Two</a></h2></li></ul>"
                  "<div class='sidebar'><h2><a href='/a/9'>Widget</a></h2></div>");
  EXPECT_EQ(template_article_links(t, doc->dom), (std::vector<std::string>{"/a/1", "/a/2"}));
}

}  // namespace
}  // namespace newsd::parsers
