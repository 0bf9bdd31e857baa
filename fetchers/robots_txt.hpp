#pragma once
// RobotsTxt: the rules of one site's /robots.txt that apply to one user
// agent, parsed per RFC 9309 (groups by user-agent product token, allow /
// disallow with `*` and `$`, longest match wins, allow wins a tie) plus the
// widespread Crawl-delay extension. Pure: text in, a value out; the fetcher
// owns the cache of these per origin (see HttpFetcher).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::fetchers {

class RobotsTxt {
 public:
  // Everything allowed: no robots.txt (4xx), or robots checks are off.
  static RobotsTxt allow_all() { return RobotsTxt(); }
  // Nothing allowed but /robots.txt itself: what RFC 9309 says to assume
  // while a site's robots.txt is unreachable (5xx, network error).
  static RobotsTxt disallow_all();

  // Parses `text` for the user agent `user_agent` (a full User-Agent header
  // such as "newsd/1.0 (+https://...)"; its product token "newsd" is what
  // the groups are matched against, case-insensitively). Only the first
  // kMaxBytes are read, as RFC 9309 allows.
  static RobotsTxt parse(std::string_view text, std::string_view user_agent);

  static constexpr std::size_t kMaxBytes = 500 * 1024;

  // `path` is the URL's path and query ("/a/b?c=d"); empty means "/".
  bool allowed(std::string_view path) const;

  // Crawl-delay of the group that applies, when it names one.
  std::optional<std::chrono::milliseconds> crawl_delay() const { return crawl_delay_; }

  // The product token of a User-Agent header: "newsd/1.0 (x)" -> "newsd".
  static std::string product_token(std::string_view user_agent);

 private:
  struct Rule {
    std::string pattern;
    bool allow = false;
  };

  static bool matches(std::string_view pattern, std::string_view path);

  std::vector<Rule> rules_;
  std::optional<std::chrono::milliseconds> crawl_delay_;
};

}  // namespace newsd::fetchers
