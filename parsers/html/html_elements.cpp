#include "parsers/html/html_elements.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace newsd::parsers {
namespace {

constexpr std::string_view kNonContentElements[] = {
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "button", "select", "option",
    "input", "textarea", "head", "object", "embed", "video", "audio", "map", "math", "frameset", "title",
};

constexpr std::string_view kBlockElements[] = {
    "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "h1", "h2", "h3", "h4",
    "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th",
    "figure", "figcaption", "form", "hr", "br", "address", "center", "fieldset", "details", "summary",
    "caption", "tbody", "thead", "tfoot", "body", "html", "hgroup", "menu", "legend",
};

// Tag names packed into an integer (first 7 bytes and the length), so that
// the per-element table look-ups are integer compares, not string compares.
constexpr std::uint64_t tag_key(std::string_view name) {
  std::uint64_t key = static_cast<std::uint64_t>(std::min<std::size_t>(name.size(), 255)) << 56;
  for (std::size_t i = 0; i < name.size() && i < 7; ++i)
    key |= static_cast<std::uint64_t>(static_cast<unsigned char>(name[i])) << (8 * i);
  return key;
}

template <std::size_t N>
constexpr std::array<std::uint64_t, N> tag_keys(const std::string_view (&names)[N]) {
  std::array<std::uint64_t, N> keys{};
  for (std::size_t i = 0; i < N; ++i) keys[i] = tag_key(names[i]);
  return keys;
}

constexpr auto kNonContentKeys = tag_keys(kNonContentElements);
constexpr auto kBlockKeys = tag_keys(kBlockElements);

template <std::size_t N>
bool in_table(const std::array<std::uint64_t, N>& table, std::string_view name) {
  std::uint64_t key = tag_key(name);
  for (auto k : table)
    if (k == key) return true;
  return false;
}

}  // namespace

bool is_non_content_element(std::string_view name) { return in_table(kNonContentKeys, name); }
bool is_block_element(std::string_view name) { return in_table(kBlockKeys, name); }
bool is_table_cell(std::string_view name) { return name == "td" || name == "th"; }

}  // namespace newsd::parsers
