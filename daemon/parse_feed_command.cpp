#include "daemon/parse_feed_command.hpp"

#include <curl/curl.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/feed.hpp"

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
constexpr std::size_t kMaxFetchBytes = 64u << 20;

struct Input {
  std::string bytes;
  parsers::FeedSource source;
  std::string error;  // why the bytes could not be had; empty on success
};

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

struct FetchState {
  std::string body;
  std::string content_location;
  bool too_large = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<FetchState*>(user);
  const size_t n = size * count;
  if (state->body.size() + n > kMaxFetchBytes) {
    state->too_large = true;
    return 0;  // aborts the transfer
  }
  state->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* state = static_cast<FetchState*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  constexpr std::string_view kName = "content-location:";
  if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0) {
    line.remove_prefix(kName.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
    state->content_location = std::string(line);
  }
  return n;
}

// A one-shot, synchronous fetch: this command is a debugging and scoring tool,
// not the daemon's fetcher.
Input fetch(const std::string& url) {
  Input input;
  input.source.url = url;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    input.error = "curl_easy_init failed";
    return input;
  }
  FetchState state;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(curl.get(), CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "newsd-parse-feed/1.0");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &state);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    input.error = state.too_large ? "response larger than " + std::to_string(kMaxFetchBytes) + " bytes"
                                  : std::string(error_buffer[0] ? error_buffer : curl_easy_strerror(code));
    return input;
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400) {
    input.error = "HTTP " + std::to_string(status);
    return input;
  }
  char* effective_url = nullptr;
  if (curl_easy_getinfo(curl.get(), CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK && effective_url)
    input.source.url = effective_url;
  char* content_type = nullptr;
  if (curl_easy_getinfo(curl.get(), CURLINFO_CONTENT_TYPE, &content_type) == CURLE_OK && content_type)
    input.source.content_type = content_type;
  input.source.content_location = std::move(state.content_location);
  input.bytes = std::move(state.body);
  return input;
}

Input read_file(const std::string& path) {
  Input input;
  if (path == "-") {
    input.bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return input;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    input.error = std::strerror(errno);
    return input;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    input.error = "read error";
    return input;
  }
  input.bytes = std::move(buffer).str();
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
