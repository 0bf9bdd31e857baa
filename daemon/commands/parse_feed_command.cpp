#include "daemon/commands/parse_feed_command.hpp"

#include "daemon/config/bounded_read.hpp"
#include "daemon/commands/one_shot_fetch.hpp"


#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/feeds/feed.hpp"

namespace newsd::daemon {
namespace {

constexpr std::string_view kUsage =
    "usage: newsd parse-feed [--help] FILE|URL...\n"
    "\n"
    "Parses each feed (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) and prints\n"
    "its feed record as one JSON object per line, in input order. FILE may be '-'\n"
    "for standard input; http(s) URLs are fetched. An input that cannot be read or\n"
    "parsed still gets a line: {\"input\": ..., \"error\": ..., \"detail\": ...}.\n"
    "\n"
    "Exit status: 0 when every input parsed, 1 when some did not, 2 on a usage error.\n";

// Bytes larger than this are not a feed anyone should poll; the cap keeps a
// hostile URL from filling memory.
constexpr std::size_t kMaxFetchBytes = 64 << 20;

struct Input {
  std::string bytes;
  parsers::FeedSource source;
  std::string error;  // why the bytes could not be had; empty on success
};

// A one-shot fetch: this command is a debugging and scoring tool; it fetches
// the way the daemon does.
Input fetch(const std::string& url) {
  Input input;
  input.source.url = url;
  auto fetched = fetch_once(url, static_cast<std::int64_t>(kMaxFetchBytes), "newsd-parse-feed/1.0");
  if (!fetched.error.empty()) {
    input.error = fetched.error;
    return input;
  }
  auto& response = fetched.response;
  if (!response.effective_url.empty()) input.source.url = response.effective_url;
  input.source.content_type = std::move(response.content_type);
  input.source.content_location = std::move(response.content_location);
  input.bytes = std::move(response.body);
  return input;
}

// A feed from a file or standard input ("-"), capped as a fetched one is.
Input read_file(const std::string& path) {
  Input input;
  auto read = path == "-" ? read_stream(std::cin, kMaxFetchBytes) : read_regular_file(path, kMaxFetchBytes);
  if (read.bytes)
    input.bytes = std::move(*read.bytes);
  else
    input.error = (path == "-" ? std::string("standard input ") : path + " ") + read.error;
  return input;
}

bool is_url(std::string_view input) { return input.starts_with("http://") || input.starts_with("https://"); }

boost::json::object failure(const std::string& input, std::string_view error, const std::string& detail) {
  boost::json::object line;
  line["input"] = input;
  line["error"] = error;
  line["detail"] = detail;
  return line;
}

}  // namespace

int run_parse_feed_command(int argc, char** argv) {
  std::vector<std::string> inputs;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!options_done && (arg == "--help" || arg == "-h")) {
      std::cout << kUsage;
      return 0;
    }
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (!options_done && arg.size() > 1 && arg.front() == '-') {
      std::cerr << "parse-feed: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
    inputs.emplace_back(arg);
  }
  if (inputs.empty()) {
    std::cerr << "parse-feed: no input given\n" << kUsage;
    return 2;
  }

  bool all_parsed = true;
  for (const std::string& name : inputs) {
    Input input = is_url(name) ? fetch(name) : read_file(name);
    boost::json::object line;
    if (!input.error.empty()) {
      line = failure(name, is_url(name) ? "fetch_failed" : "read_failed", input.error);
    } else {
      parsers::FeedResult result = parsers::parse_feed(input.bytes, input.source);
      if (result.feed) {
        line["input"] = name;
        for (auto& [key, value] : parsers::feed_record(*result.feed)) line[key] = std::move(value);
      } else {
        line = failure(name, parsers::to_string(result.error), result.detail);
      }
    }
    if (line.contains("error")) all_parsed = false;
    std::cout << boost::json::serialize(line) << '\n';
  }
  std::cout.flush();
  return all_parsed ? 0 : 1;
}

}  // namespace newsd::daemon
