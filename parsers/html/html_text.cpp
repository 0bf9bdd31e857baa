#include "parsers/html/html_text.hpp"

#include <optional>
#include <utility>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>

#include "parsers/html/html_document.hpp"
#include "parsers/html/html_elements.hpp"
#include "parsers/html/html_tree_builder.hpp"
#include "parsers/text/ascii.hpp"

namespace newsd::parsers {
namespace {

// Collects paragraphs for the fast path: text accumulates until a block
// boundary closes the paragraph, as dom_paragraphs() does on a tree.
class ParagraphCollector {
 public:
  void text(std::string_view s) { current_.append(s); }
  void space() { current_.push_back(' '); }
  void boundary() {
    std::string paragraph = normalize_whitespace(current_);
    current_.clear();
    if (paragraph.empty()) return;
    if (!out_.empty()) out_.append("\n\n");
    out_.append(paragraph);
  }
  std::string take() {
    boundary();
    return std::move(out_);
  }

 private:
  std::string current_;
  std::string out_;
};

// Decodes one UTF-8 code point at s[i] (input is trusted to be valid UTF-8;
// a stray byte reads as itself). Sets len to the bytes consumed.
char32_t decode_at(std::string_view s, std::size_t i, std::size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80 || i + 1 >= s.size()) {
    len = 1;
    return b0;
  }
  const auto b1 = static_cast<unsigned char>(s[i + 1]) & 0x3Fu;
  if (b0 < 0xE0) {
    len = 2;
    return ((b0 & 0x1Fu) << 6) | b1;
  }
  if (i + 2 >= s.size()) {
    len = 1;
    return b0;
  }
  const auto b2 = static_cast<unsigned char>(s[i + 2]) & 0x3Fu;
  if (b0 < 0xF0) {
    len = 3;
    return ((b0 & 0x0Fu) << 12) | (b1 << 6) | b2;
  }
  if (i + 3 >= s.size()) {
    len = 1;
    return b0;
  }
  len = 4;
  return ((b0 & 0x07u) << 18) | (b1 << 12) | (b2 << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
}

bool is_unicode_space(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0x85: case 0xA0: case 0x1680: case 0x180E:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
    case 0x200B: case 0x2060: case 0xFEFF:  // zero-width spaces separate words too
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

// Bidi controls (LRM, RLM, ALM, embeddings, overrides, isolates) and a BOM
// inside text: they steer rendering and carry no text.
bool is_directional_mark(char32_t c) {
  return c == 0xFEFF || c == 0x200E || c == 0x200F || c == 0x061C || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Unicode Normalization Form C, so that one text has one byte form whether a
// page wrote "é" or "e" + U+0301 (and Arabic alef + hamza above or U+0623).
// Most text is already NFC, which ICU's quick check confirms without a copy.
std::string to_nfc(std::string text) {
  UErrorCode status = U_ZERO_ERROR;
  static const icu::Normalizer2* const nfc = icu::Normalizer2::getNFCInstance(status);
  if (nfc == nullptr) return text;
  status = U_ZERO_ERROR;
  if (nfc->isNormalizedUTF8(text, status) || U_FAILURE(status)) return text;
  std::string out;
  out.reserve(text.size());
  icu::StringByteSink<std::string> sink(&out);
  status = U_ZERO_ERROR;
  nfc->normalizeUTF8(0, text, sink, nullptr, status);
  return U_SUCCESS(status) ? out : text;
}

bool is_ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_alnum(char c) { return is_ascii_alpha(c) || (c >= '0' && c <= '9'); }

// Elements whose content the tree builder does not read as markup (kept as
// literal text, or dropped) and that are not already non-content elements.
bool has_raw_content(std::string_view name) {
  return name == "xmp" || name == "plaintext" || name == "noembed" || name == "noframes";
}

// Markup simple enough to read without building a tree: tags and text, with
// no entity, comment, stray '<' or element whose content is not text. Most
// feed titles and descriptions that carry markup at all are like this, and
// a tree's fixed cost per call would dominate parsing small feeds. It reads
// elements as dom_paragraphs() does; empty when the tree is needed.
std::optional<std::string> simple_markup_to_text(std::string_view html) {
  if (html.find('&') != std::string_view::npos) return std::nullopt;
  ParagraphCollector collector;
  std::size_t i = 0;
  while (i < html.size()) {
    const std::size_t lt = html.find('<', i);
    collector.text(html.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i));
    if (lt == std::string_view::npos) break;
    std::size_t p = lt + 1;
    if (p < html.size() && html[p] == '/') ++p;
    if (p >= html.size() || !is_ascii_alpha(html[p])) return std::nullopt;
    std::size_t name_end = p;
    while (name_end < html.size() && is_ascii_alnum(html[name_end])) ++name_end;
    const std::string name = lower_ascii(html.substr(p, name_end - p));
    if (is_non_content_element(name) || has_raw_content(name)) return std::nullopt;
    const std::size_t gt = tag_end(html, name_end);
    if (gt == std::string_view::npos) return std::nullopt;
    if (is_table_cell(name)) collector.space();
    else if (is_block_element(name)) collector.boundary();
    i = gt + 1;
  }
  return collector.take();
}

}  // namespace

std::string normalize_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  bool may_compose = false;  // a code point at or above U+0300, where NFC can differ
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80 && b > 0x20) {  // the common case: printable ASCII
      if (pending_space) out.push_back(' ');
      pending_space = false;
      std::size_t run = i + 1;
      while (run < text.size() && static_cast<unsigned char>(text[run]) > 0x20 &&
             static_cast<unsigned char>(text[run]) < 0x80)
        ++run;
      out.append(text.substr(i, run - i));
      i = run;
      continue;
    }
    std::size_t len = 1;
    const char32_t c = b < 0x80 ? b : decode_at(text, i, len);
    if (is_directional_mark(c)) {
      // dropped
    } else if (is_unicode_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(text.substr(i, len));
      may_compose = may_compose || c >= 0x300;
    }
    i += len;
  }
  return may_compose ? to_nfc(std::move(out)) : out;
}

std::string html_fragment_to_text(std::string_view html) {
  // Plain text (most titles) needs no parser.
  if (html.find_first_of("<&") == std::string_view::npos) return normalize_whitespace(html);
  if (auto simple = simple_markup_to_text(html)) return std::move(*simple);
  // The tree pages are read from: one reading of HTML for feeds and pages.
  HtmlDocument document;
  build_html_tree(html, document, HtmlOptions{});
  std::string out;
  for (const std::string& paragraph : dom_paragraphs(document.dom)) {
    if (!out.empty()) out.append("\n\n");
    out.append(paragraph);
  }
  return out;
}

}  // namespace newsd::parsers
