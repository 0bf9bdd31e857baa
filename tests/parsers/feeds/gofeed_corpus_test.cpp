// Scores parse_feed() on gofeed's translator test suite (tests/data/gofeed/
// translator, MIT): every input against gofeed's expected
// universal model, on every field the Feed model has. The cases that still
// differ are listed with their reason in gofeed_failures.txt; the test fails
// when the set of failing cases differs from that list, so a regression (or a
// fix) shows as a diff. Regenerate the list with
//   NEWSD_REGENERATE_GOFEED_FAILURES=1 ./gofeed_corpus_test
// (reasons already written for cases that still fail are kept).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "parsers/feeds/feed.hpp"
#include "tests/support/test_file.hpp"

namespace newsd::parsers {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path kTranslatorDir = fs::path(NEWSD_TEST_DATA_DIR) / "gofeed/translator";
const fs::path kFailuresFile = fs::path(NEWSD_TEST_SOURCE_DIR) / "parsers/feeds/gofeed_failures.txt";

using testing_support::read_test_file;

std::string str(const json::value* value) {
  if (!value) return {};
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_int64()) return std::to_string(value->get_int64());
  return {};
}

std::string str(const json::object& object, std::string_view key) { return str(object.if_contains(key)); }

// gofeed's *Parsed values are UTC: compared by the instant, not the offset the feed stated.
std::string date_of(const std::optional<FeedDate>& date) {
  return date && date->value ? format_rfc3339(date->value->utc) : std::string{};
}

// gofeed writes fractional seconds ("2019-10-12T07:20:50.52Z"); TimePoint has none.
std::string expected_date(const json::object& object, std::string_view key) {
  std::string value = str(object, key);
  const std::size_t dot = value.find('.');
  if (dot != std::string::npos) {
    std::size_t end = dot + 1;
    while (end < value.size() && std::isdigit(static_cast<unsigned char>(value[end]))) ++end;
    value.erase(dot, end - dot);
  }
  return value;
}

std::string people_string(const std::vector<Person>& people) {
  std::string out;
  for (const Person& p : people) out += "{" + p.name + "|" + p.email + "}";
  return out;
}

std::string expected_people(const json::object& object) {
  std::string out;
  auto add = [&](const json::value& v) {
    if (!v.is_object()) return;
    out += "{" + str(v.get_object(), "name") + "|" + str(v.get_object(), "email") + "}";
  };
  if (const json::value* authors = object.if_contains("authors"); authors && authors->is_array()) {
    for (const json::value& a : authors->get_array()) add(a);
  } else if (const json::value* author = object.if_contains("author")) {
    add(*author);
  }
  return out;
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& s : list) out += "[" + s + "]";
  return out;
}

std::string expected_list(const json::object& object, std::string_view key) {
  std::string out;
  if (const json::value* list = object.if_contains(key); list && list->is_array())
    for (const json::value& v : list->get_array()) out += "[" + str(&v) + "]";
  return out;
}

// Collects "field: expected ..., got ..." lines for one case.
class Comparison {
 public:
  void field(const std::string& name, const std::string& expected, const std::string& actual) {
    if (expected == actual) return;
    if (!differences_.empty()) differences_ += "; ";
    differences_ += name + ": expected \"" + expected + "\", got \"" + actual + "\"";
  }
  const std::string& differences() const { return differences_; }

 private:
  std::string differences_;
};

std::string expected_format(const json::object& expected) {
  std::string type = str(expected, "feedType");
  std::string version = str(expected, "feedVersion");
  return type + version;
}

void compare_item(Comparison& c, const std::string& at, const json::object& e, const FeedItem& item) {
  c.field(at + "title", str(e, "title"), item.title);
  c.field(at + "link", str(e, "link"), item.link);
  c.field(at + "guid", str(e, "guid"), item.guid);
  c.field(at + "summary", str(e, "description"), item.summary);
  c.field(at + "content", str(e, "content"), item.content);
  c.field(at + "published", expected_date(e, "publishedParsed"), date_of(item.published));
  c.field(at + "updated", expected_date(e, "updatedParsed"), date_of(item.updated));
  c.field(at + "authors", expected_people(e), people_string(item.authors));
  c.field(at + "categories", expected_list(e, "categories"), joined(item.categories));
  const json::value* image = e.if_contains("image");
  c.field(at + "image", image && image->is_object() ? str(image->get_object(), "url") : "", item.image);
  std::string expected_enclosures;
  if (const json::value* list = e.if_contains("enclosures"); list && list->is_array())
    for (const json::value& v : list->get_array())
      expected_enclosures += "{" + str(v.get_object(), "url") + "|" + str(v.get_object(), "length") + "|" +
                             str(v.get_object(), "type") + "}";
  std::string actual_enclosures;
  for (const Enclosure& en : item.enclosures)
    actual_enclosures += "{" + en.url + "|" + (en.length ? std::to_string(*en.length) : "") + "|" + en.type + "}";
  c.field(at + "enclosures", expected_enclosures, actual_enclosures);
}

std::string compare(const json::object& e, const FeedResult& result) {
  if (!result.feed) return "no feed: " + std::string(to_string(result.error)) + " " + result.detail;
  const Feed& feed = *result.feed;
  Comparison c;
  c.field("format", expected_format(e), feed.format);
  c.field("title", str(e, "title"), feed.title);
  c.field("description", str(e, "description"), feed.description);
  c.field("link", str(e, "link"), feed.link);
  c.field("language", str(e, "language"), feed.language);
  c.field("updated", expected_date(e, "updatedParsed"), date_of(feed.updated));
  c.field("authors", expected_people(e), people_string(feed.authors));
  const json::value* image = e.if_contains("image");
  const json::object no_image;
  const json::object& ei = image && image->is_object() ? image->get_object() : no_image;
  c.field("image.url", str(ei, "url"), feed.image ? feed.image->url : "");
  c.field("image.title", str(ei, "title"), feed.image ? feed.image->title : "");
  const json::value* items = e.if_contains("items");
  const std::size_t expected_items = items && items->is_array() ? items->get_array().size() : 0;
  c.field("items", std::to_string(expected_items), std::to_string(feed.items.size()));
  for (std::size_t i = 0; i < expected_items && i < feed.items.size(); ++i)
    compare_item(c, "items[" + std::to_string(i) + "].", items->get_array()[i].get_object(), feed.items[i]);
  return c.differences();
}

struct Case {
  std::string name;  // folder/NAME
  fs::path input;
  fs::path expected;
};

std::vector<Case> corpus_cases() {
  std::vector<Case> cases;
  for (const char* folder : {"rss", "atom", "json"}) {
    for (const auto& entry : fs::directory_iterator(kTranslatorDir / folder)) {
      const fs::path path = entry.path();
      const std::string stem = path.stem().string();
      if (std::string_view(folder) == "json") {
        if (stem.ends_with("_expected")) continue;
        cases.push_back({std::string(folder) + "/" + stem, path, path.parent_path() / (stem + "_expected.json")});
      } else if (path.extension() == ".xml") {
        cases.push_back({std::string(folder) + "/" + stem, path, path.parent_path() / (stem + ".json")});
      }
    }
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return cases;
}

// "folder/NAME  reason" lines; '#' starts a comment line.
std::map<std::string, std::string> read_failures_file() {
  std::map<std::string, std::string> failures;
  std::ifstream in(kFailuresFile);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.find_first_of(" \t");
    std::string reason = space == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", space));
    failures[line.substr(0, space)] = reason;
  }
  return failures;
}

TEST(GofeedCorpus, TranslatorCasesMatchExceptListedFailures) {
  ASSERT_TRUE(fs::exists(kTranslatorDir)) << kTranslatorDir;
  const std::vector<Case> cases = corpus_cases();
  ASSERT_GT(cases.size(), 90u);

  std::map<std::string, std::string> failing;  // name -> differences
  std::map<std::string, std::pair<int, int>> per_folder;  // passed, total
  for (const Case& c : cases) {
    const std::string folder = c.name.substr(0, c.name.find('/'));
    boost::system::error_code error;
    const json::value expected = json::parse(read_test_file(c.expected), error);
    ASSERT_FALSE(error) << c.expected;
    const FeedResult result = parse_feed(read_test_file(c.input), {});
    const std::string differences = compare(expected.as_object(), result);
    auto& [passed, total] = per_folder[folder];
    ++total;
    if (differences.empty()) ++passed;
    else failing[c.name] = differences;
  }

  int passed_all = 0, total_all = 0;
  for (const auto& [folder, counts] : per_folder) {
    std::cout << "gofeed translator " << folder << ": " << counts.first << "/" << counts.second << " ("
              << (100.0 * counts.first / counts.second) << "%)\n";
    passed_all += counts.first;
    total_all += counts.second;
  }
  std::cout << "gofeed translator all: " << passed_all << "/" << total_all << " ("
            << (100.0 * passed_all / total_all) << "%)\n";

  const std::map<std::string, std::string> listed = read_failures_file();
  if (std::getenv("NEWSD_REGENERATE_GOFEED_FAILURES")) {
    std::ofstream out(kFailuresFile);
    out << "# gofeed translator cases newsd does not match, with the reason. Generated by\n"
           "# NEWSD_REGENERATE_GOFEED_FAILURES=1 gofeed_corpus_test; edit the reasons by hand.\n"
           "# A reason starting with \"consumer:\" is a deliberate difference from gofeed.\n";
    for (const auto& [name, differences] : failing) {
      auto it = listed.find(name);
      out << name << "  " << (it != listed.end() && !it->second.empty() ? it->second : differences) << "\n";
    }
    std::cout << "wrote " << kFailuresFile << "\n";
  }
  std::set<std::string> listed_names, failing_names;
  for (const auto& [name, reason] : listed) listed_names.insert(name);
  for (const auto& [name, differences] : failing) failing_names.insert(name);
  for (const auto& [name, differences] : failing)
    if (!listed_names.contains(name)) ADD_FAILURE() << "new failure " << name << ": " << differences;
  for (const std::string& name : listed_names)
    if (!failing_names.contains(name)) ADD_FAILURE() << "now passes, remove from gofeed_failures.txt: " << name;
  EXPECT_GE(100.0 * passed_all / total_all, 95.0);
}

}  // namespace
}  // namespace newsd::parsers
