// RobotsTxt is pure: text and a user agent in, answers out (RFC 9309).
#include "fetchers/robots_txt.hpp"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/growth.hpp"

namespace newsd::fetchers {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAgent = "newsd/1.0 (+https://example.org/newsd)";

TEST(RobotsTxt, ProductToken) {
  EXPECT_EQ(RobotsTxt::product_token(kAgent), "newsd");
  EXPECT_EQ(RobotsTxt::product_token("  NewsD "), "newsd");
  EXPECT_EQ(RobotsTxt::product_token(""), "");
}

TEST(RobotsTxt, OurGroupWinsOverTheStarGroup) {
  const auto robots = RobotsTxt::parse(
      "User-agent: *\n"
      "Disallow: /\n"
      "\n"
      "User-agent: NewsD\n"
      "Disallow: /private\n",
      kAgent);
  EXPECT_TRUE(robots.allowed("/news/1"));
  EXPECT_FALSE(robots.allowed("/private/x"));
}

TEST(RobotsTxt, StarGroupAppliesWhenWeAreNotNamed) {
  const auto robots = RobotsTxt::parse(
      "User-agent: googlebot\n"
      "Disallow:\n"
      "User-agent: *\n"
      "Disallow: /search\n"
      "Crawl-delay: 2.5\n",
      kAgent);
  EXPECT_FALSE(robots.allowed("/search?q=x"));
  EXPECT_TRUE(robots.allowed("/news"));
  EXPECT_EQ(robots.crawl_delay(), std::chrono::milliseconds(2500));
}

TEST(RobotsTxt, ConsecutiveAgentLinesShareAGroupAndGroupsMerge) {
  const auto robots = RobotsTxt::parse(
      "User-agent: other\n"
      "User-agent: newsd\n"
      "Disallow: /a\n"
      "User-agent: newsd\n"
      "Disallow: /b\n",
      kAgent);
  EXPECT_FALSE(robots.allowed("/a"));
  EXPECT_FALSE(robots.allowed("/b"));
  EXPECT_TRUE(robots.allowed("/c"));
}

TEST(RobotsTxt, LongestMatchWinsAndAllowWinsATie) {
  const auto robots = RobotsTxt::parse(
      "user-agent: *\n"
      "disallow: /news/\n"
      "allow: /news/public/\n"
      "disallow: /x\n"
      "allow: /x\n",
      kAgent);
  EXPECT_FALSE(robots.allowed("/news/secret"));
  EXPECT_TRUE(robots.allowed("/news/public/1"));
  EXPECT_TRUE(robots.allowed("/x"));
}

TEST(RobotsTxt, WildcardsAndEndAnchor) {
  const auto robots = RobotsTxt::parse(
      "User-agent: *\n"
      "Disallow: /*.pdf$\n"
      "Disallow: /*/print\n"
      "Disallow: /tmp$\n",
      kAgent);
  EXPECT_FALSE(robots.allowed("/files/report.pdf"));
  EXPECT_TRUE(robots.allowed("/files/report.pdf?download=1"));
  EXPECT_FALSE(robots.allowed("/2024/article/print"));
  EXPECT_FALSE(robots.allowed("/2024/print/x"));
  EXPECT_FALSE(robots.allowed("/tmp"));
  EXPECT_TRUE(robots.allowed("/tmp/"));
}

TEST(RobotsTxt, CommentsCrlfPercentEscapesAndJunk) {
  const auto robots = RobotsTxt::parse(
      "# hello\r\n"
      "Disallow: /before-any-agent\r\n"
      "garbage line without colon\r\n"
      "User-agent: * # everyone\r\n"
      "Disallow: /a%2fb # escaped slash\r\n",
      kAgent);
  EXPECT_TRUE(robots.allowed("/before-any-agent"));
  EXPECT_FALSE(robots.allowed("/a%2Fb"));
  EXPECT_TRUE(robots.allowed("/a/b"));
}

TEST(RobotsTxt, EmptyFileAndDisallowAll) {
  EXPECT_TRUE(RobotsTxt::parse("", kAgent).allowed("/anything"));
  EXPECT_TRUE(RobotsTxt::allow_all().allowed("/"));
  const auto none = RobotsTxt::disallow_all();
  EXPECT_FALSE(none.allowed("/"));
  EXPECT_FALSE(none.allowed(""));
  EXPECT_TRUE(none.allowed("/robots.txt"));
}

TEST(RobotsTxt, OnlyTheFirst500KiBAreRead) {
  std::string text = "User-agent: *\n";
  text += std::string(RobotsTxt::kMaxBytes, '#') + "\nDisallow: /\n";
  EXPECT_TRUE(RobotsTxt::parse(text, kAgent).allowed("/x"));
}

TEST(RobotsTxt, PathologicalWildcardsStayFast) {
  // "/*a*a...*ab$" against "/aaaa...": a backtracking matcher takes time
  // exponential in the wildcards; newsd's grows linearly with the path.
  std::string pattern = "/";
  for (int i = 0; i < 200; ++i) pattern += "*a";
  const auto robots = RobotsTxt::parse("User-agent: *\nDisallow: " + pattern + "b$\n", kAgent);
  EXPECT_TRUE(robots.allowed("/" + std::string(5000, 'a')));
  EXPECT_FALSE(robots.allowed("/" + std::string(5000, 'a') + "b"));
  const double ratio = testing_support::growth_ratio(
      [&](std::size_t n) { EXPECT_TRUE(robots.allowed("/" + std::string(n, 'a'))); }, 4000, 4);
  EXPECT_LT(ratio, 10.0) << "matching grows faster than linearly with the path (quadratic: 16)";
}

}  // namespace
}  // namespace newsd::fetchers
