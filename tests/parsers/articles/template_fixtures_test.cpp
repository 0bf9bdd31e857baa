// Every site template's fixture cases (templates/README.md): each page under
// templates/tests/<template>/ extracted with all of templates/*.toml, its
// record compared field by field with <case>.expected.json.
//
// The templates are parsed here with parse_site_template(), the function
// daemon/config's load_template_directory() calls on each file, in the same
// name order, rather than by placing this test in tests/daemon/config: what
// is checked is the parsers layer's output, so the test links that layer only
// and rebuilds without the daemon; reading the folder is the loader's own job.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/articles/template_fixture.hpp"
#include "parsers/feeds/feed_text.hpp"

namespace newsd::parsers {
namespace {

namespace fs = std::filesystem;

const fs::path kTemplatesDir = (fs::path(NEWSD_TEST_SOURCE_DIR) / ".." / "templates").lexically_normal();
const fs::path kCasesDir = kTemplatesDir / "tests";

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every templates/*.toml, in name order, as load_template_directory() reads them.
struct ShippedTemplates {
  SiteTemplateSet set;
  std::set<std::string> names;
  std::vector<std::string> errors;
};

const ShippedTemplates& shipped_templates() {
  static const ShippedTemplates templates = [] {
    ShippedTemplates out;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(kTemplatesDir))
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      auto parsed = parse_site_template(read(file), file.string());
      out.errors.insert(out.errors.end(), parsed.errors.begin(), parsed.errors.end());
      if (!parsed.site_template) continue;
      out.names.insert(parsed.site_template->name);
      out.set.add(std::move(*parsed.site_template));
    }
    return out;
  }();
  return templates;
}

// One case: templates/tests/<template>/<name>.{html,url,expected.json}.
struct FixtureCase {
  std::string id;  // "<template>/<name>"
  fs::path html;
  fs::path url;  // may not exist
  fs::path expected;
};

constexpr std::string_view kHtml = ".html";
constexpr std::string_view kUrl = ".url";
constexpr std::string_view kExpected = ".expected.json";

// The cases, and every way the folder breaks the layout.
struct FixtureLayout {
  std::vector<FixtureCase> cases;
  std::vector<std::string> mistakes;
};

FixtureLayout fixture_layout() {
  FixtureLayout layout;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kCasesDir, ec)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
    else layout.mistakes.push_back(entry.path().string() + ": a file outside any template's folder");
  }
  if (ec) layout.mistakes.push_back(kCasesDir.string() + ": " + ec.message());
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& dir : dirs) {
    const std::string template_name = dir.filename().string();
    // Files of each case, by suffix.
    std::map<std::string, std::set<std::string_view>> parts;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string file = entry.path().filename().string();
      bool known = false;
      for (std::string_view suffix : {kExpected, kHtml, kUrl}) {
        if (entry.is_regular_file() && file.size() > suffix.size() && file.ends_with(suffix)) {
          parts[file.substr(0, file.size() - suffix.size())].insert(suffix);
          known = true;
          break;
        }
      }
      if (!known) layout.mistakes.push_back(entry.path().string() + ": not <case>.html, <case>.url or <case>.expected.json");
    }
    for (const auto& [name, suffixes] : parts) {
      const std::string id = template_name + "/" + name;
      if (!suffixes.contains(kHtml)) layout.mistakes.push_back(id + ": no page (" + name + ".html)");
      if (!suffixes.contains(kExpected)) layout.mistakes.push_back(id + ": no expected file (" + name + ".expected.json)");
      if (suffixes.contains(kHtml) && suffixes.contains(kExpected))
        layout.cases.push_back({id, dir / (name + ".html"), dir / (name + ".url"), dir / (name + ".expected.json")});
    }
  }
  return layout;
}

TEST(TemplateFixtures, EveryTemplateParsesAndHasCasesInTheLayout) {
  const ShippedTemplates& templates = shipped_templates();
  for (const auto& error : templates.errors) ADD_FAILURE() << error;
  ASSERT_FALSE(templates.names.empty()) << "no templates in " << kTemplatesDir;
  const FixtureLayout layout = fixture_layout();
  for (const auto& mistake : layout.mistakes) ADD_FAILURE() << mistake;
  std::set<std::string> covered;
  for (const auto& fixture : layout.cases) {
    const std::string template_name = fixture.id.substr(0, fixture.id.find('/'));
    if (!templates.names.contains(template_name))
      ADD_FAILURE() << fixture.id << ": no template named " << template_name << " in " << kTemplatesDir;
    covered.insert(template_name);
  }
  for (const auto& name : templates.names)
    if (!covered.contains(name)) ADD_FAILURE() << "template " << name << " has no fixture case under " << kCasesDir / name;
}

// `text` from byte `from`, about `length` bytes, cut at UTF-8 character boundaries.
std::string_view excerpt(std::string_view text, std::size_t from, std::size_t length) {
  const auto continuation = [&](std::size_t i) { return i < text.size() && (text[i] & 0xC0) == 0x80; };
  from = std::min(from, text.size());
  while (from > 0 && continuation(from)) --from;
  std::size_t to = std::min(text.size(), from + length);
  while (continuation(to)) ++to;
  return text.substr(from, to - from);
}

// Where two strings first differ, with some context: a body is too long to read whole.
std::string first_difference(std::string_view expected, std::string_view actual) {
  std::size_t at = 0;
  while (at < expected.size() && at < actual.size() && expected[at] == actual[at]) ++at;
  const std::size_t from = at > 40 ? at - 40 : 0;
  std::ostringstream out;
  out << "first difference at byte " << at << ":\n    expected \"..." << excerpt(expected, from, 120)
      << "...\"\n    actual   \"..." << excerpt(actual, from, 120) << "...\"";
  return out.str();
}

class TemplateFixture : public testing::TestWithParam<FixtureCase> {};

TEST_P(TemplateFixture, YieldsTheExpectedRecord) {
  const FixtureCase& fixture = GetParam();
  std::string url;
  if (fs::exists(fixture.url)) url = std::string(trim_ascii(read(fixture.url)));
  const std::string html = read(fixture.html);
  ExtractOptions options;
  options.templates = &shipped_templates().set;
  const ExtractResult result = extract_article(template_fixture_page(html, url), options);
  ASSERT_TRUE(result.article) << fixture.id << ": " << to_string(result.error) << ": " << result.detail;
  const boost::json::object actual = template_fixture_fields(*result.article);

  boost::system::error_code ec;
  const boost::json::value expected_value = boost::json::parse(read(fixture.expected), ec);
  ASSERT_FALSE(ec) << fixture.expected << ": not JSON: " << ec.message();
  ASSERT_TRUE(expected_value.is_object()) << fixture.expected << ": not a JSON object";
  const boost::json::object& expected = expected_value.as_object();

  for (const auto& [key, value] : expected)
    if (std::find(kTemplateFixtureFields.begin(), kTemplateFixtureFields.end(), key) == kTemplateFixtureFields.end())
      ADD_FAILURE() << fixture.id << ": field " << key << " is not one a case states (kTemplateFixtureFields)";
  for (std::string_view field : kTemplateFixtureFields) {
    const boost::json::value* want = expected.if_contains(field);
    if (want == nullptr) {
      ADD_FAILURE() << fixture.id << ": the expected file lacks field " << field << " (the record has "
                    << boost::json::serialize(actual.at(field)) << ")";
      continue;
    }
    const boost::json::value& got = actual.at(field);
    if (*want == got) continue;
    if (want->is_string() && got.is_string())
      ADD_FAILURE() << fixture.id << ", field " << field << ": "
                    << first_difference(want->get_string(), got.get_string());
    else
      ADD_FAILURE() << fixture.id << ", field " << field << ":\n    expected " << boost::json::serialize(*want)
                    << "\n    actual   " << boost::json::serialize(got);
  }
}

// gtest names: "wafaamagazine/article-312845" -> "wafaamagazine_article_312845".
std::string case_test_name(const testing::TestParamInfo<FixtureCase>& info) {
  std::string name = info.param.id;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Templates, TemplateFixture, testing::ValuesIn(fixture_layout().cases), case_test_name);

}  // namespace
}  // namespace newsd::parsers
