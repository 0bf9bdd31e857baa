// The wafaamagazine page beyond its template: what the template gives is
// checked with every template's cases (template_fixtures_test.cpp); here, that
// the case's expected record is the publisher's text, and that the generic
// path gets the same article without any template.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/html/html_text.hpp"

namespace newsd::parsers {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kCase = std::string(NEWSD_TEST_SOURCE_DIR) + "/../templates/tests/wafaamagazine/article-312845";
const std::string kSeed = std::string(NEWSD_TEST_DATA_DIR) + "/wafaamagazine/seed-312845.txt";

boost::json::object expected_record() { return boost::json::parse(read(kCase + ".expected.json")).as_object(); }

TEST(WafaamagazinePage, ExpectedRecordIsTheSeedText) {
  // The seed: breadcrumb line, title, byline, then the body paragraphs.
  const std::string seed = read(kSeed);
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
  auto expected = expected_record();
  EXPECT_EQ(expected["body"].as_string(), body);
  EXPECT_EQ(expected["title"].as_string(), blocks[1]);
}

TEST(WafaamagazinePage, GenericPathWithoutTemplateGetsTheArticle) {
  const std::string html = read(kCase + ".html");
  PageInput page;
  page.bytes = html;
  page.fetched_at = std::chrono::sys_days(std::chrono::year{2021} / 5 / 21);
  auto result = extract_article(page, ExtractOptions{});
  ASSERT_TRUE(result.article) << result.detail;
  const Article& article = *result.article;
  auto expected = expected_record();
  EXPECT_EQ(article.title, expected["title"].as_string());
  EXPECT_EQ(article.body, expected["body"].as_string());
  ASSERT_TRUE(article.published_at);
  EXPECT_EQ(format_rfc3339(*article.published_at), expected["published_at"].as_string());
  EXPECT_EQ(article.image, expected["image"].as_string());
  EXPECT_EQ(boost::json::serialize(article_record(article)["breadcrumbs"]), boost::json::serialize(expected["breadcrumbs"]));
  EXPECT_NE(article.extraction.method.rfind("template:", 0), 0u);
}

}  // namespace
}  // namespace newsd::parsers
