// near_duplicate_bench: how well the story memory tells one story from two.
//
//   near_duplicate_bench --fundus DIR [--arabic FILE]... [--verbose]
//
// Precision: every article of the fundus corpus (the expected title and
// paragraphs of 252 pages from 177 publishers, each URL once;
// github.com/flairNLP/fundus, MIT) goes into one DedupeIndex as its publisher's source; each article is a
// distinct story, so every near-duplicate verdict is a false merge. Then the
// teaser case: every article again under a new id with its real headline and
// one fixed 40-word paywall teaser as its body. Pairs are counted as well:
// the same-publisher pairs the rule could have merged.
//
// Recall: copies generated from every article, each under a new id from
// another source, against an index holding only the original: furniture
// lines added, paragraphs reordered, one sentence edited, headline
// punctuation changed, and (Arabic texts: --arabic, default the seed article
// under tests/data) diacritics added. A copy found to be the original's story
// is a hit.
//
// Both are printed for the rule newsd uses and, in the same run, for the rule
// it replaced (body SimHash within 3 bits, whatever the headline).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "parsers/identity/article_identity.hpp"
#include "parsers/text/text_fingerprint.hpp"
#include "sinks/dedupe/dedupe_index.hpp"
#include "daemon/config/bounded_read.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using newsd::sinks::DedupeIndex;
using newsd::sinks::Novelty;
using newsd::sinks::Observation;

struct Story {
  std::string publisher;
  std::string title;
  std::vector<std::string> paragraphs;
};

std::string read_text(const fs::path& path) {
  return newsd::daemon::read_regular_file(path, std::size_t{1} << 30).bytes.value_or("");
}

std::string str(const json::value* v) { return v != nullptr && v->is_string() ? std::string(v->get_string()) : ""; }

std::vector<Story> load_fundus(const fs::path& dir) {
  auto manifest = json::parse(read_text(dir / "manifest.json")).as_object();
  std::map<std::string, json::value> files;
  std::vector<Story> stories;
  std::set<std::string> urls;
  for (const auto& c : manifest.at("cases").as_array()) {
    const auto& entry = c.as_object();
    // Two crawls of one URL (a publisher's parser versions) are one story, not a pair.
    if (!urls.insert(str(entry.if_contains("url"))).second) continue;
    std::string expected = str(entry.if_contains("expected"));
    auto hash = expected.find('#');
    std::string file = expected.substr(0, hash);
    if (!files.count(file)) files[file] = json::parse(read_text(dir / file));
    const auto& version = files[file].as_object().at(expected.substr(hash + 1)).as_object();
    Story story{str(entry.if_contains("publisher")), str(version.if_contains("title")), {}};
    if (const auto* body = version.if_contains("body"); body && body->is_object())
      if (const auto* sections = body->as_object().if_contains("sections"); sections && sections->is_array())
        for (const auto& section : sections->as_array())
          for (const auto& paragraph : section.as_object().at("paragraphs").as_array())
            story.paragraphs.push_back(str(&paragraph));
    if (!story.title.empty() && !story.paragraphs.empty()) stories.push_back(std::move(story));
  }
  return stories;
}

// The seed layout (tests/data/wafaamagazine/seed-312845.txt): breadcrumb
// line, title, byline, then the paragraphs.
Story load_seed(const fs::path& path) {
  std::string text = read_text(path);
  std::vector<std::string> blocks;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find("\n\n", start);
    if (end == std::string::npos) end = text.size();
    if (end > start) blocks.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  Story story{"seed", blocks.size() > 1 ? blocks[1] : "", {}};
  for (std::size_t i = 3; i < blocks.size(); ++i) story.paragraphs.push_back(blocks[i]);
  return story;
}

std::string body_of(const Story& story) {
  std::string body;
  for (const auto& paragraph : story.paragraphs) body += (body.empty() ? "" : "\n\n") + paragraph;
  return body;
}

// What the daemon hands the story memory for an article.
struct Fingerprinted {
  std::string id;
  std::string source;
  std::uint64_t title_digest;
  newsd::parsers::TitleWords title_words;
  std::uint64_t simhash = 0;
  std::uint32_t words = 0;

  Fingerprinted(std::string id_, std::string source_, const std::string& title, const std::string& body)
      : id(std::move(id_)), source(std::move(source_)), title_digest(newsd::parsers::text_digest(title)),
        title_words(newsd::parsers::title_words(title)) {
    const auto fingerprint = newsd::parsers::body_fingerprint(body);
    simhash = fingerprint.simhash;
    words = static_cast<std::uint32_t>(fingerprint.words);
  }

  Observation observation() const { return {id, source, title_digest, simhash, title_words, words}; }
};

std::string id_for(const std::string& tag, std::size_t n) {
  return newsd::parsers::article_id_for_url("https://bench.example/" + tag + "/" + std::to_string(n));
}

bool old_rule(const Fingerprinted& a, const Fingerprinted& b) {
  return a.simhash != 0 && b.simhash != 0 && newsd::parsers::hamming_distance(a.simhash, b.simhash) <= 3;
}

bool g_verbose = false;  // --verbose: print each merge

class ScratchIndex {
 public:
  ScratchIndex() : dir_(fs::temp_directory_path() / ("newsd-ndb-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(counter_++))) {
    fs::remove_all(dir_);
    index_ = std::make_unique<DedupeIndex>(dir_);
  }
  ~ScratchIndex() {
    index_.reset();
    fs::remove_all(dir_);
  }
  bool merged(const Fingerprinted& f, const std::string& title = {}) {
    auto verdict = index_->observe(f.observation(), std::chrono::system_clock::now());
    bool merged = verdict && verdict->novelty == Novelty::near_duplicate;
    titles_[f.id] = title;
    if (merged && g_verbose && !title.empty())
      std::printf("    merged: [%s] %s\n       into %s\n", f.source.c_str(), title.c_str(),
                  titles_[verdict->duplicate_of].c_str());
    return merged;
  }

 private:
  static inline int counter_ = 0;
  std::map<std::string, std::string> titles_;
  fs::path dir_;
  std::unique_ptr<DedupeIndex> index_;
};

const char* kTeaser =
    "This article is for subscribers only. Subscribe today to read the full story and get unlimited access to "
    "all our journalism, the daily newsletter and the archive. Already a subscriber? Log in to continue reading "
    "this article.";

void precision(const std::vector<Story>& stories) {
  std::vector<Fingerprinted> real, teased;
  for (std::size_t i = 0; i < stories.size(); ++i) {
    real.emplace_back(id_for("real", i), stories[i].publisher, stories[i].title, body_of(stories[i]));
    teased.emplace_back(id_for("teaser", i), stories[i].publisher, stories[i].title, kTeaser);
  }
  std::size_t pairs = 0, old_pairs = 0, teaser_pairs = 0, old_teaser_pairs = 0;
  for (std::size_t i = 0; i < real.size(); ++i)
    for (std::size_t j = i + 1; j < real.size(); ++j) {
      if (real[i].source != real[j].source) continue;
      ++pairs;
      old_pairs += old_rule(real[i], real[j]);
      ++teaser_pairs;
      old_teaser_pairs += old_rule(teased[i], teased[j]);
    }
  ScratchIndex index;
  std::size_t merged = 0, teaser_merged = 0, old_merged = 0, old_teaser_merged = 0;
  for (std::size_t i = 0; i < real.size(); ++i) {
    merged += index.merged(real[i], stories[i].title);
    bool old = false;
    for (std::size_t j = 0; j < i && !old; ++j) old = old_rule(real[j], real[i]);
    old_merged += old;
  }
  for (std::size_t i = 0; i < teased.size(); ++i) {
    teaser_merged += index.merged(teased[i], "(teaser) " + stories[i].title);
    bool old = false;
    for (std::size_t j = 0; j < i && !old; ++j) old = old_rule(teased[j], teased[i]);
    old_teaser_merged += old;
  }
  std::printf("precision (every verdict below is a false merge)\n");
  std::printf("  %zu articles, %zu same-publisher pairs\n", real.size(), pairs);
  std::printf("  %-44s %8s %8s\n", "", "newsd", "old rule");
  std::printf("  %-44s %8zu %8zu\n", "real bodies: articles merged into another", merged, old_merged);
  std::printf("  %-44s %8zu %8zu\n", "teaser bodies: articles merged into another", teaser_merged, old_teaser_merged);
  std::printf("  %-44s %8s %8zu\n", "teaser bodies: same-publisher pairs within 3 bits", "-", old_teaser_pairs);
  std::printf("  %-44s %7.2f%% %7.2f%%\n", "precision (distinct articles kept distinct)",
              100.0 * static_cast<double>(2 * real.size() - merged - teaser_merged) / static_cast<double>(2 * real.size()),
              100.0 * static_cast<double>(2 * real.size() - old_merged - old_teaser_merged) /
                  static_cast<double>(2 * real.size()));
  (void)old_pairs;
}

// Copies of a story, each a (kind, title, paragraphs).
struct Copy {
  std::string kind;
  std::string title;
  std::vector<std::string> paragraphs;
};

bool is_arabic(const std::string& text) {
  std::size_t arabic = 0;
  for (std::size_t i = 0; i + 1 < text.size(); ++i)
    if (static_cast<unsigned char>(text[i]) == 0xD8 || static_cast<unsigned char>(text[i]) == 0xD9) ++arabic;
  return arabic * 4 > text.size();
}

// Fatha after every other Arabic letter (U+0621-U+064A, two bytes in UTF-8).
std::string with_diacritics(const std::string& text) {
  std::string out;
  bool odd = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out.push_back(text[i]);
    auto lead = static_cast<unsigned char>(text[i]);
    if ((lead == 0xD8 || lead == 0xD9) && i + 1 < text.size()) {
      out.push_back(text[++i]);
      char32_t cp = ((lead & 0x1F) << 6) | (static_cast<unsigned char>(text[i]) & 0x3F);
      if (cp >= 0x621 && cp <= 0x64A && (odd = !odd)) out += "\xD9\x8E";
    }
  }
  return out;
}

std::vector<Copy> copies_of(const Story& story) {
  std::vector<Copy> out;
  auto furnished = story.paragraphs;
  furnished.insert(furnished.begin(), "Advertisement");
  furnished.insert(furnished.begin() + static_cast<std::ptrdiff_t>(furnished.size() / 2),
                   "Sign up for our morning newsletter and get the day's most important stories in your inbox, free");
  furnished.push_back("Share on Facebook");
  furnished.push_back("Read more: the latest news from our correspondents");
  out.push_back({"furniture lines added", story.title, furnished});

  auto reordered = story.paragraphs;
  if (reordered.size() >= 2) std::swap(reordered.front(), reordered.back());
  if (reordered.size() >= 4) std::swap(reordered[1], reordered[2]);
  out.push_back({"paragraphs reordered", story.title, reordered});

  // The longest paragraph's first sentence rewritten: its words after the
  // third replaced, as a copy-editor rephrasing a sentence would.
  auto edited = story.paragraphs;
  std::size_t longest = 0;
  for (std::size_t i = 0; i < edited.size(); ++i)
    if (edited[i].size() > edited[longest].size()) longest = i;
  std::string& paragraph = edited[longest];
  std::size_t sentence_end = paragraph.find(". ");
  if (sentence_end == std::string::npos) sentence_end = std::min<std::size_t>(paragraph.size(), 120);
  std::size_t cut = 0;
  for (int spaces = 0; cut < sentence_end && spaces < 3; ++cut) spaces += paragraph[cut] == ' ';
  paragraph.replace(cut, sentence_end - cut, "officials confirmed the figures late on Tuesday evening");
  out.push_back({"one sentence edited", story.title, edited});

  std::string punctuated = "\u201C" + story.title + "\u201D!";
  for (auto& c : punctuated)
    if (c == ':' || c == ',') c = ' ';
  out.push_back({"headline punctuation changed", punctuated, story.paragraphs});

  if (is_arabic(story.title + body_of(story))) {
    std::vector<std::string> marked;
    for (const auto& p : story.paragraphs) marked.push_back(with_diacritics(p));
    out.push_back({"Arabic with diacritics", with_diacritics(story.title), marked});
  }
  return out;
}

void recall(const std::vector<Story>& stories) {
  struct Tally {
    std::size_t copies = 0, hits = 0, old_hits = 0;
  };
  std::map<std::string, Tally> by_kind;
  Tally all;
  std::size_t n = 0;
  for (const auto& story : stories) {
    ScratchIndex index;
    Fingerprinted original(id_for("orig", n), story.publisher, story.title, body_of(story));
    index.merged(original);
    std::size_t k = 0;
    for (const auto& copy : copies_of(story)) {
      Story copied{story.publisher, copy.title, copy.paragraphs};
      Fingerprinted f(id_for("copy" + std::to_string(k++), n), "syndicator", copy.title, body_of(copied));
      bool hit = index.merged(f);  // no title: --verbose lists precision's merges only
      bool old = old_rule(original, f);
      for (Tally* t : {&by_kind[copy.kind], &all}) {
        ++t->copies;
        t->hits += hit;
        t->old_hits += old;
      }
    }
    ++n;
  }
  std::printf("recall (copies recognised as the original's story)\n");
  std::printf("  %-32s %7s %8s %8s\n", "", "copies", "newsd", "old rule");
  auto row = [](const std::string& name, const Tally& t) {
    std::printf("  %-32s %7zu %7.1f%% %7.1f%%\n", name.c_str(), t.copies,
                100.0 * static_cast<double>(t.hits) / static_cast<double>(t.copies),
                100.0 * static_cast<double>(t.old_hits) / static_cast<double>(t.copies));
  };
  for (const auto& [kind, tally] : by_kind) row(kind, tally);
  row("all", all);
}

constexpr const char* kUsage =
    "usage: near_duplicate_bench --fundus DIR [--arabic FILE]... [--verbose]\n"
    "  --fundus DIR   fundus publisher test pages: DIR/manifest.json and the expected files it names\n"
    "                 (github.com/flairNLP/fundus, MIT)\n"
    "  --arabic FILE  an Arabic article in the seed layout (breadcrumbs, title, byline, paragraphs);\n"
    "                 default tests/data/wafaamagazine/seed-312845.txt\n";

}  // namespace

int main(int argc, char** argv) {
  fs::path fundus_dir;
  std::vector<fs::path> arabic;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--fundus" && i + 1 < argc) fundus_dir = argv[++i];
    else if (arg == "--arabic" && i + 1 < argc) arabic.emplace_back(argv[++i]);
    else if (arg == "--verbose") g_verbose = true;
    else {
      std::fprintf(stderr, "%s", kUsage);
      return arg == "-h" || arg == "--help" ? 0 : 2;
    }
  }
  if (fundus_dir.empty() || !fs::is_regular_file(fundus_dir / "manifest.json")) {
    std::fprintf(stderr, "near_duplicate_bench: no fundus corpus at '%s' (manifest.json missing)\n\n%s",
                 fundus_dir.c_str(), kUsage);
    return 2;
  }
  if (arabic.empty()) arabic.push_back(fs::path(NEWSD_SOURCE_DIR) / "tests/data/wafaamagazine/seed-312845.txt");
  std::vector<Story> stories = load_fundus(fundus_dir);
  precision(stories);
  for (const auto& path : arabic) {
    Story story = load_seed(path);
    if (story.paragraphs.empty()) {
      std::fprintf(stderr, "near_duplicate_bench: %s has no paragraphs in the seed layout\n", path.c_str());
      return 2;
    }
    stories.push_back(std::move(story));
  }
  recall(stories);
  return 0;
}
