#include "parsers/feeds/feed_text.hpp"

#include <vector>

#include "parsers/html/html_entities.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t find_ci(std::string_view text, std::string_view needle, std::size_t from) {
  if (needle.empty() || text.size() < needle.size()) return std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && lower(text[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

// Strips one level of brackets or quotes around a name or address.
std::string_view unwrap(std::string_view s) {
  s = trim_ascii(s);
  while (s.size() >= 2 && ((s.front() == '(' && s.back() == ')') || (s.front() == '<' && s.back() == '>') ||
                           (s.front() == '"' && s.back() == '"'))) {
    s = trim_ascii(s.substr(1, s.size() - 2));
  }
  return s;
}

bool is_address_char(char c) {
  return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '(' && c != ')' && c != '<' && c != '>' &&
         c != '"' && c != ',';
}

// A C1 control in UTF-8: C2 80 .. C2 9F.
bool is_c1_at(std::string_view text, std::size_t i) {
  return i + 1 < text.size() && text[i] == '\xC2' && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
         static_cast<unsigned char>(text[i + 1]) <= 0x9F;
}

// True when bytes (all >= 0x80) are complete UTF-8 sequences of code points
// past U+009F: what Latin-1-decoded UTF-8 looks like.
bool spells_utf8(const std::vector<unsigned char>& bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const unsigned char lead = bytes[i];
    const std::size_t length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                               : lead >= 0xF0 && lead <= 0xF4                                   ? 4
                                                                                                : 0;
    if (length == 0 || i + length > bytes.size()) return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((bytes[i + k] & 0xC0) != 0x80) return false;
    if (length == 2 && lead == 0xC2 && bytes[i + 1] <= 0x9F) return false;                  // another C1
    if (length == 3 && ((lead == 0xE0 && bytes[i + 1] < 0xA0) || (lead == 0xED && bytes[i + 1] >= 0xA0)))
      return false;  // overlong, surrogate
    if (length == 4 && ((lead == 0xF0 && bytes[i + 1] < 0x90) || (lead == 0xF4 && bytes[i + 1] >= 0x90)))
      return false;
    i += length;
  }
  return true;
}

}  // namespace

std::string repair_c1_controls(std::string text) {
  std::size_t first = text.find('\xC2');
  while (first != std::string::npos && !is_c1_at(text, first)) first = text.find('\xC2', first + 1);
  if (first == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  // Code points U+0080..U+00FF are two bytes led by C2 or C3; a run of them
  // holding a C1 control is read as the bytes they name.
  auto latin1_at = [&](std::size_t at) {
    return at + 1 < text.size() && (text[at] == '\xC2' || text[at] == '\xC3') &&
           (static_cast<unsigned char>(text[at + 1]) & 0xC0) == 0x80;
  };
  while (i < text.size()) {
    if (!latin1_at(i)) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t run_end = i;
    bool has_c1 = false;
    while (latin1_at(run_end)) {
      has_c1 = has_c1 || is_c1_at(text, run_end);
      run_end += 2;
    }
    if (!has_c1) {
      out.append(text, i, run_end - i);
      i = run_end;
      continue;
    }
    std::vector<unsigned char> bytes;
    for (std::size_t k = i; k < run_end; k += 2)
      bytes.push_back(static_cast<unsigned char>(((text[k] & 0x1F) << 6) | (text[k + 1] & 0x3F)));
    if (spells_utf8(bytes)) {
      out.append(bytes.begin(), bytes.end());
    } else {
      for (unsigned char b : bytes) append_utf8(out, html_numeric_reference(b));
    }
    i = run_end;
  }
  return out;
}

std::string_view trim_ascii(std::string_view text) {
  while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
  while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
  return text;
}

Person parse_person(std::string_view text) {
  text = trim_ascii(text);
  Person person;
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos) {
    person.name = normalize_whitespace(unwrap(text));
    return person;
  }
  std::size_t begin = at;
  while (begin > 0 && is_address_char(text[begin - 1])) --begin;
  std::size_t end = at;
  while (end < text.size() && is_address_char(text[end])) ++end;
  std::string_view email = text.substr(begin, end - begin);
  if (email.starts_with("mailto:")) email.remove_prefix(7);
  person.email = std::string(email);
  // What is left around the address is the name, minus the brackets that held the address.
  std::string name;
  for (std::string_view part : {text.substr(0, begin), std::string_view(" "), text.substr(end)})
    for (char c : part)
      if (c != '<' && c != '>') name.push_back(c);
  std::string normalized = normalize_whitespace(name);
  for (std::string_view empty_pair : {"( )", "()"})
    for (std::size_t at; (at = normalized.find(empty_pair)) != std::string::npos;) normalized.erase(at, empty_pair.size());
  person.name = normalize_whitespace(unwrap(normalized));
  return person;
}

FeedDate make_feed_date(std::string_view raw) {
  FeedDate date;
  date.raw = std::string(trim_ascii(raw));
  date.value = parse_feed_date(date.raw);
  return date;
}

std::string first_image_src(std::string_view html) {
  std::size_t pos = 0;
  while ((pos = find_ci(html, "<img", pos)) != std::string_view::npos) {
    const std::size_t tag_end = html.find('>', pos);
    const std::string_view tag = html.substr(pos, tag_end == std::string_view::npos ? html.size() - pos : tag_end - pos);
    std::size_t src = 0;
    while ((src = find_ci(tag, "src", src + 1)) != std::string_view::npos) {
      const char before = tag[src - 1];
      if (before != ' ' && before != '\t' && before != '\n' && before != '\r') continue;
      std::size_t i = src + 3;
      while (i < tag.size() && tag[i] == ' ') ++i;
      if (i >= tag.size() || tag[i] != '=') continue;
      ++i;
      while (i < tag.size() && tag[i] == ' ') ++i;
      if (i >= tag.size()) break;
      const char quote = (tag[i] == '"' || tag[i] == '\'') ? tag[i] : 0;
      if (quote) ++i;
      std::size_t end = i;
      while (end < tag.size() && (quote ? tag[end] != quote : (tag[end] != ' ' && tag[end] != '/'))) ++end;
      std::string_view value = trim_ascii(tag.substr(i, end - i));
      if (!value.empty() && !value.starts_with("data:")) return std::string(value);
      break;
    }
    if (tag_end == std::string_view::npos) break;
    pos = tag_end;
  }
  return {};
}

}  // namespace newsd::parsers
