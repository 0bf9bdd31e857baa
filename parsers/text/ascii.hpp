#pragma once
// ASCII case folding for markup names, attribute values, labels and URLs:
// bytes outside A-Z (UTF-8 sequences included) pass through unchanged.
#include <string>
#include <string_view>

namespace newsd::parsers {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// True when `haystack` contains `lower_needle` (given in lower case), ignoring ASCII case.
inline bool contains_ascii_ci(std::string_view haystack, std::string_view lower_needle) {
  if (haystack.size() < lower_needle.size()) return false;
  for (std::size_t i = 0; i + lower_needle.size() <= haystack.size(); ++i) {
    std::size_t k = 0;
    while (k < lower_needle.size() && ascii_lower(haystack[i + k]) == lower_needle[k]) ++k;
    if (k == lower_needle.size()) return true;
  }
  return false;
}

}  // namespace newsd::parsers
