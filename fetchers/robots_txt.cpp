#include "fetchers/robots_txt.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace newsd::fetchers {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Percent-escapes compare by value: "%2f" and "%2F" are the same octet.
std::string normalise_escapes(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i + 2 < out.size(); ++i) {
    if (out[i] == '%' && std::isxdigit(static_cast<unsigned char>(out[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(out[i + 2]))) {
      out[i + 1] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i + 1])));
      out[i + 2] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i + 2])));
    }
  }
  return out;
}

struct Group {
  std::vector<std::string> agents;  // lower-cased
  std::vector<std::pair<std::string, bool>> rules;
  std::optional<std::chrono::milliseconds> crawl_delay;
};

}  // namespace

RobotsTxt RobotsTxt::disallow_all() {
  RobotsTxt robots;
  robots.rules_.push_back({"/", false});
  return robots;
}

std::string RobotsTxt::product_token(std::string_view user_agent) {
  user_agent = trim(user_agent);
  const auto end = user_agent.find_first_of("/ \t");
  return lower(user_agent.substr(0, end));
}

RobotsTxt RobotsTxt::parse(std::string_view text, std::string_view user_agent) {
  if (text.size() > kMaxBytes) text = text.substr(0, kMaxBytes);
  const std::string token = product_token(user_agent);

  std::vector<Group> groups;
  bool in_agent_lines = false;  // consecutive user-agent lines share one group
  while (!text.empty()) {
    const auto end = text.find_first_of("\r\n");
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string key = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (key == "user-agent") {
      if (!in_agent_lines) groups.emplace_back();
      in_agent_lines = true;
      groups.back().agents.push_back(lower(value));
      continue;
    }
    if (groups.empty()) continue;  // rules before any user-agent line belong to nobody
    in_agent_lines = false;
    if (key == "allow" || key == "disallow") {
      // An empty disallow allows everything, which is what no rule means.
      if (!value.empty()) groups.back().rules.emplace_back(normalise_escapes(value), key == "allow");
    } else if (key == "crawl-delay") {
      double seconds = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      (void)ptr;
      if (ec == std::errc() && std::isfinite(seconds) && seconds >= 0 && seconds < 86'400)
        groups.back().crawl_delay = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
    }
  }

  // The groups naming our product token, merged; else the `*` groups.
  const auto pick = [&](auto&& wanted) {
    RobotsTxt robots;
    bool any = false;
    for (const Group& group : groups) {
      if (std::none_of(group.agents.begin(), group.agents.end(), wanted)) continue;
      any = true;
      for (const auto& [pattern, allow] : group.rules) robots.rules_.push_back({pattern, allow});
      if (group.crawl_delay) robots.crawl_delay_ = group.crawl_delay;
    }
    return std::pair{any, std::move(robots)};
  };
  if (!token.empty()) {
    auto [found, robots] = pick([&](const std::string& agent) { return agent == token; });
    if (found) return std::move(robots);
  }
  return pick([](const std::string& agent) { return agent == "*"; }).second;
}

bool RobotsTxt::matches(std::string_view pattern, std::string_view path) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // Iterative wildcard match with backtracking to the last '*'.
  std::size_t p = 0, s = 0, star = std::string_view::npos, star_s = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_s = s;
    } else if (p < pattern.size() && pattern[p] == path[s]) {
      ++p;
      ++s;
    } else if (p == pattern.size() && !anchored) {
      return true;  // a prefix match is enough without '$'
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool RobotsTxt::allowed(std::string_view path) const {
  if (path.empty()) path = "/";
  if (path == "/robots.txt") return true;
  const std::string normalised = normalise_escapes(path);
  std::size_t best_length = 0;
  bool best_allow = true;
  bool matched = false;
  for (const Rule& rule : rules_) {
    if (!matches(rule.pattern, normalised)) continue;
    const std::size_t length = rule.pattern.size();
    if (!matched || length > best_length || (length == best_length && rule.allow)) {
      best_length = length;
      best_allow = rule.allow;
      matched = true;
    }
  }
  return best_allow;
}

}  // namespace newsd::fetchers
