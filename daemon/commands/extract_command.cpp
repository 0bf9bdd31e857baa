#include "daemon/commands/extract_command.hpp"

#include "daemon/pipeline/article_pages.hpp"
#include "daemon/config/bounded_read.hpp"
#include "daemon/commands/one_shot_fetch.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/articles/site_template.hpp"
#include "parsers/articles/template_fixture.hpp"

namespace newsd::daemon {
namespace {

namespace fs = std::filesystem;
using parsers::ExtractOptions;
using parsers::PageInput;

constexpr std::string_view kUsage =
    "usage: newsd extract [--url URL] [--templates DIR] [--fixture] FILE|URL...\n"
    "\n"
    "Extracts the article of each page and prints its record (newsd.article.v1)\n"
    "as one JSON object per line, in input order. An input that fails gets a\n"
    "line {\"input\": ..., \"error\": ...}. Exit status: 0 all extracted, 1 some\n"
    "failed, 2 usage or template error.\n"
    "\n"
    "  --url URL        the page's URL (its identity, and the host templates match);\n"
    "                   without it the page's <link rel=canonical> is its URL\n"
    "  --templates DIR  site templates (*.toml); default: $NEWSD_TEMPLATES, else a\n"
    "                   templates/ folder beside or above the newsd binary, else\n"
    "                   ./templates\n"
    "  --fixture        print a template fixture's expected file instead: the record\n"
    "                   fields a case states, the page read as fetched at the\n"
    "                   fixtures' instant, --url as where it was fetched from (its\n"
    "                   canonical link wins, as in the daemon); see templates/README.md\n"
    "  -h, --help       this text\n";

struct Options {
  std::string url;
  std::string templates_dir;
  bool fixture = false;
  std::vector<std::string> inputs;
};

bool is_url(std::string_view input) { return input.rfind("http://", 0) == 0 || input.rfind("https://", 0) == 0; }

// A page from a file or standard input ("-"), capped like a fetched one.
std::optional<std::string> read_file(const std::string& path, std::size_t max_bytes, std::string& error) {
  auto read = path == "-" ? read_stream(std::cin, max_bytes) : read_regular_file(path, max_bytes);
  if (!read.bytes) error = (path == "-" ? std::string("standard input ") : path + " ") + read.error;
  return std::move(read.bytes);
}

// --templates, $NEWSD_TEMPLATES, then a templates/ folder beside or above the
// binary (a build tree or an install's share/newsd), then ./templates.
std::optional<fs::path> find_templates_dir(const std::string& requested) {
  if (!requested.empty()) return fs::path(requested);
  if (const char* env = std::getenv("NEWSD_TEMPLATES"); env != nullptr && *env != '\0') return fs::path(env);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
      for (const fs::path& candidate : {dir / "templates", dir / "share" / "newsd" / "templates"})
        if (fs::is_directory(candidate, ec)) return candidate;
      if (dir == dir.root_path()) break;
    }
  }
  if (fs::is_directory("templates", ec)) return fs::path("templates");
  return std::nullopt;
}

std::string error_line(const std::string& input, const std::string& error) {
  boost::json::object line{{"input", input}, {"error", error}};
  return boost::json::serialize(line);
}

// Fills options from the command line; an exit status when the command
// should stop here (help asked for, or a usage error, already printed).
std::optional<int> parse_arguments(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--fixture") {
      options.fixture = true;
    } else if (arg == "--url" || arg == "--templates") {
      if (i + 1 >= argc) {
        std::cerr << "newsd extract: " << arg << " needs a value\n" << kUsage;
        return 2;
      }
      (arg == "--url" ? options.url : options.templates_dir) = argv[++i];
    } else if (arg.rfind("--url=", 0) == 0) {
      options.url = std::string(arg.substr(6));
    } else if (arg.rfind("--templates=", 0) == 0) {
      options.templates_dir = std::string(arg.substr(12));
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      std::cerr << "newsd extract: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else {
      options.inputs.emplace_back(arg);
    }
  }
  if (options.inputs.empty()) {
    std::cerr << "newsd extract: no input given\n" << kUsage;
    return 2;
  }
  if (!options.url.empty() && !is_url(options.url)) {
    std::cerr << "newsd extract: --url must be an absolute http(s) URL, got " << options.url << "\n";
    return 2;
  }
  return std::nullopt;
}

// The site templates, none when no folder is found and none was asked for;
// nothing (errors printed) when they do not load.
std::optional<parsers::SiteTemplateSet> load_templates(const Options& options) {
  parsers::SiteTemplateSet templates;
  if (auto dir = find_templates_dir(options.templates_dir)) {
    std::vector<std::string> errors;
    templates = load_template_directory(*dir, errors);
    if (!errors.empty()) {
      for (const auto& e : errors) std::cerr << e << "\n";
      return std::nullopt;
    }
  } else if (!options.templates_dir.empty()) {
    std::cerr << "newsd extract: no templates folder " << options.templates_dir << "\n";
    return std::nullopt;
  }
  return templates;
}

// The bytes of a URL (fetched once; its content type and final URL go into
// page) or of a file, or nothing with the reason in error.
std::optional<std::string> read_input(const std::string& input, std::size_t max_bytes, PageInput& page,
                                      std::string& error) {
  if (!is_url(input)) return read_file(input, max_bytes, error);
  auto fetched = fetch_once(input, static_cast<std::int64_t>(max_bytes),
                            "newsd-extract/1.0 (+https://example.org/newsd)");
  if (!fetched.error.empty()) {
    error = "fetch failed: " + fetched.error;
    return std::nullopt;
  }
  page.content_type = std::move(fetched.response.content_type);
  page.url = fetched.response.effective_url.empty() ? input : fetched.response.effective_url;
  return std::move(fetched.response.body);
}

// Prints one input's record, or its error line; false when it failed.
bool extract_input(const std::string& input, const Options& options, const ExtractOptions& extract_options,
                   std::chrono::sys_seconds now) {
  std::string error;
  PageInput page;
  page.fetched_at = now;
  std::optional<std::string> bytes = read_input(input, extract_options.html.max_bytes, page, error);
  if (!options.url.empty()) {
    page.url = options.url;
    page.url_is_final = true;
  }
  if (!bytes) {
    std::cout << error_line(input, error) << "\n";
    return false;
  }
  page.bytes = *bytes;
  if (options.fixture) page = parsers::template_fixture_page(*bytes, std::move(page.url));
  auto result = parsers::extract_article(page, extract_options);
  if (!result.article) {
    std::cout << error_line(input, std::string(parsers::to_string(result.error)) + ": " + result.detail) << "\n";
    return false;
  }
  std::cout << boost::json::serialize(options.fixture ? parsers::template_fixture_fields(*result.article)
                                                      : parsers::article_record(*result.article))
            << "\n";
  return true;
}

}  // namespace

int run_extract_command(int argc, char** argv) {
  Options options;
  if (std::optional<int> status = parse_arguments(argc, argv, options)) return *status;
  std::optional<parsers::SiteTemplateSet> templates = load_templates(options);
  if (!templates) return 2;

  ExtractOptions extract_options;
  extract_options.templates = &*templates;
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  bool any_failed = false;
  for (const auto& input : options.inputs) {
    if (!extract_input(input, options, extract_options, now)) any_failed = true;
  }
  std::cout.flush();
  return any_failed ? 1 : 0;
}

}  // namespace newsd::daemon
