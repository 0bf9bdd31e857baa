#include "parsers/feeds/xml_recovery.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "parsers/html/html_document.hpp"
#include "parsers/html/html_entities.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

bool is_xml_char(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The five entities XML predefines.
bool is_predefined_entity(std::string_view name) {
  return name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos";
}

bool starts_with_ci(std::string_view text, std::size_t pos, std::string_view prefix) {
  if (text.size() - pos < prefix.size()) return false;
  for (std::size_t k = 0; k < prefix.size(); ++k) {
    char c = text[pos + k];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != prefix[k]) return false;
  }
  return true;
}

// Copies the input to the output lazily: nothing is copied until the first repair.
class Rewriter {
 public:
  explicit Rewriter(std::string_view in) : in_(in) {}
  void replace(std::size_t from, std::size_t to, std::string_view with) {
    if (!changed_) out_.reserve(in_.size() + 64);
    changed_ = true;
    out_.append(in_.substr(copied_, from - copied_));
    out_.append(with);
    copied_ = to;
  }
  bool changed() const { return changed_; }
  std::string finish() {
    out_.append(in_.substr(copied_));
    return std::move(out_);
  }

 private:
  std::string_view in_;
  std::string out_;
  std::size_t copied_ = 0;
  bool changed_ = false;
};

struct RepairCounts {
  int html_entities = 0;
  int bare_ampersands = 0;
  int bad_char_refs = 0;
  int entities_over_limit = 0;
};

// A general entity declared in the document's internal DTD subset.
struct DeclaredEntity {
  std::string_view name;
  std::string_view value;  // the literal replacement text, quotes removed
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The general entities of the internal subset of a DOCTYPE declaration, in
// document order. Parameter entities (%) and external ones (SYSTEM, PUBLIC)
// are left out: the former only matter inside the DTD, the latter would need
// a fetch, and a parser must never read a file or URL a document names.
std::vector<DeclaredEntity> internal_entities(std::string_view doctype) {
  std::vector<DeclaredEntity> entities;
  std::size_t pos = 0;
  while ((pos = doctype.find("<!ENTITY", pos)) != std::string_view::npos) {
    std::size_t i = pos + 8;
    while (i < doctype.size() && is_space(doctype[i])) ++i;
    pos = i;
    if (i >= doctype.size() || doctype[i] == '%') continue;
    const std::size_t name_start = i;
    while (i < doctype.size() && !is_space(doctype[i]) && doctype[i] != '"' && doctype[i] != '\'' &&
           doctype[i] != '>')
      ++i;
    const std::string_view name = doctype.substr(name_start, i - name_start);
    while (i < doctype.size() && is_space(doctype[i])) ++i;
    if (i >= doctype.size() || (doctype[i] != '"' && doctype[i] != '\'')) continue;  // SYSTEM / PUBLIC
    const std::size_t close = doctype.find(doctype[i], i + 1);
    if (close == std::string_view::npos) break;
    entities.push_back({name, doctype.substr(i + 1, close - i - 1)});
    pos = close + 1;
  }
  return entities;
}

// Expands references to internal-subset entities into text an XML parser
// reads as character data: nested references are expanded, character and
// predefined references are kept for the parser, and '<' and a bare '&' are
// escaped, so an entity can add text but never markup. Bounded, because a
// declaration is attacker-controlled: "billion laughs" nests references so
// that a few hundred bytes stand for gigabytes.
class EntityExpander {
 public:
  // Entities stand for short strings in feeds (an id prefix, a site name); a
  // reference that would stand for more is treated as hostile and left alone.
  static constexpr std::size_t kMaxExpansionBytes = 256;
  static constexpr int kMaxDepth = 4;
  // Total work (references followed plus bytes copied) for one document.
  static constexpr std::size_t kMaxWork = 1 << 20;

  void declare(std::vector<DeclaredEntity> entities) {
    for (const DeclaredEntity& entity : entities)
      if (!find(entity.name)) entities_.push_back(entity);  // the first declaration binds
  }
  bool declared(std::string_view name) const { return find(name) != nullptr; }

  // The replacement for &name;, or nullopt when a bound was hit.
  std::optional<std::string> expand(std::string_view name) {
    std::string out;
    if (!append(name, 1, out)) return std::nullopt;
    return out;
  }

 private:
  const DeclaredEntity* find(std::string_view name) const {
    for (const DeclaredEntity& entity : entities_)
      if (entity.name == name) return &entity;
    return nullptr;
  }

  bool append(std::string_view name, int depth, std::string& out) {
    const DeclaredEntity* entity = find(name);
    if (!entity || depth > kMaxDepth) return false;
    work_ += 1 + entity->value.size();
    if (work_ > kMaxWork) return false;
    const std::string_view value = entity->value;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (out.size() > kMaxExpansionBytes) return false;
      const char c = value[i];
      if (c == '<') {
        out.append("&lt;");
        continue;
      }
      if (c != '&') {
        out.push_back(c);
        continue;
      }
      const std::size_t semicolon = value.find(';', i + 1);
      const std::string_view ref =
          semicolon == std::string_view::npos ? std::string_view{} : value.substr(i + 1, semicolon - i - 1);
      bool name_ok = !ref.empty();
      for (char r : ref) name_ok = name_ok && (is_name_char(r) || r == '#' || r == '_' || r == '-' || r == '.');
      if (!name_ok) {
        out.append("&amp;");
      } else if (ref[0] == '#' || is_predefined_entity(ref)) {
        out.append(value.substr(i, semicolon - i + 1));
        i = semicolon;
      } else {
        if (!append(ref, depth + 1, out)) return false;
        i = semicolon;
      }
    }
    return out.size() <= kMaxExpansionBytes;
  }

  std::vector<DeclaredEntity> entities_;
  std::size_t work_ = 0;
};

// End of the construct starting at text[pos] == '<' that must be skipped
// untouched, or pos + 1 when it is ordinary markup.
std::size_t skip_markup(std::string_view text, std::size_t pos) {
  auto skip_to = [&](std::string_view terminator, std::size_t from) {
    const std::size_t end = text.find(terminator, from);
    return end == std::string_view::npos ? text.size() : end + terminator.size();
  };
  if (text.compare(pos, 9, "<![CDATA[") == 0) return skip_to("]]>", pos + 9);
  if (text.compare(pos, 4, "<!--") == 0) return skip_to("-->", pos + 4);
  if (text.compare(pos, 2, "<?") == 0) return skip_to("?>", pos + 2);
  if (starts_with_ci(text, pos, "<!DOCTYPE")) {
    int depth = 0;
    char quote = 0;
    for (std::size_t i = pos + 9; i < text.size(); ++i) {
      const char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '[') {
        ++depth;
      } else if (c == ']') {
        --depth;
      } else if (c == '>' && depth <= 0) {
        return i + 1;
      }
    }
    return text.size();
  }
  return pos + 1;
}

// The bare '&' at text[pos] becomes "&amp;".
void escape_bare_ampersand(std::size_t pos, Rewriter& rewriter, RepairCounts& counts) {
  rewriter.replace(pos, pos + 1, "&amp;");
  ++counts.bare_ampersands;
}

// The digits of a character reference: its code point and where they end.
struct CharRefDigits {
  char32_t code_point = 0;
  std::size_t end = 0;
};

// Reads at most 8 decimal or hex digits from text[start].
CharRefDigits read_char_ref_digits(std::string_view text, std::size_t start, bool hex) {
  char32_t cp = 0;
  std::size_t i = start;
  while (i < text.size() && i - start < 8) {
    const char c = text[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) break;
    cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
    ++i;
  }
  return {cp, i};
}

// Repairs the character reference starting at text[pos] == '&', text[pos + 1]
// == '#'; returns where scanning resumes.
std::size_t repair_char_reference(std::string_view text, std::size_t pos, Rewriter& rewriter, RepairCounts& counts) {
  std::size_t i = pos + 2;
  const bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
  if (hex) ++i;
  const std::size_t digits_start = i;
  const CharRefDigits digits = read_char_ref_digits(text, digits_start, hex);
  const char32_t cp = digits.code_point;
  i = digits.end;
  if (i == digits_start || i >= text.size() || text[i] != ';') {
    escape_bare_ampersand(pos, rewriter, counts);
    return pos + 1;
  }
  // &#146; is well-formed (U+0092 is an XML character) and is read as
  // windows-1252 after parsing, with the C1 controls written as raw text.
  if (html_numeric_reference(cp) == 0xFFFD && cp != 0xFFFD) {
    rewriter.replace(pos, i + 1, "\uFFFD");  // NUL, a surrogate, past U+10FFFF: as HTML reads them
    ++counts.bad_char_refs;
  } else if (!is_xml_char(cp)) {
    rewriter.replace(pos, i + 1, "");  // other controls XML forbids carry no text
    ++counts.bad_char_refs;
  } else if (hex && text[pos + 2] == 'X') {
    // &#X41; is HTML; XML has only the lower-case x.
    std::string lower(text.substr(pos, i + 1 - pos));
    lower[2] = 'x';
    rewriter.replace(pos, i + 1, lower);
    ++counts.bad_char_refs;
  }
  return i + 1;
}

// Where the name of the entity reference at text[pos] == '&' ends: at most
// 64 name characters, a ':' allowed past the first.
std::size_t reference_name_end(std::string_view text, std::size_t pos) {
  std::size_t i = pos + 1;
  while (i < text.size() && i - pos <= 64 &&
         (is_name_char(text[i]) || text[i] == '_' || text[i] == '-' || text[i] == '.' ||
          (i > pos + 1 && text[i] == ':')))
    ++i;
  return i;
}

// An HTML entity's text as XML character data: &LT; and friends stand for
// markup characters, which must stay escaped.
std::string_view as_character_data(std::string_view utf8) {
  if (utf8 == "<") return "&lt;";
  if (utf8 == ">") return "&gt;";
  if (utf8 == "&") return "&amp;";
  if (utf8 == "\"") return "&quot;";
  if (utf8 == "'") return "&apos;";
  return utf8;
}

// Repairs the entity reference starting at text[pos] == '&' (not a character
// reference); returns where scanning resumes.
std::size_t repair_named_reference(std::string_view text, std::size_t pos, Rewriter& rewriter,
                                   EntityExpander& entities, RepairCounts& counts) {
  const std::size_t i = reference_name_end(text, pos);
  const std::string_view name = text.substr(pos + 1, i - pos - 1);
  if (name.empty() || i >= text.size() || text[i] != ';') {
    escape_bare_ampersand(pos, rewriter, counts);
    return pos + 1;
  }
  if (is_predefined_entity(name)) return i + 1;
  if (entities.declared(name)) {
    // What a validating XML parser would do with a declared entity: not a repair.
    if (auto expansion = entities.expand(name)) {
      rewriter.replace(pos, i + 1, *expansion);
    } else {
      rewriter.replace(pos, pos + 1, "&amp;");
      ++counts.entities_over_limit;
    }
  } else if (auto utf8 = html_entity(name)) {
    rewriter.replace(pos, i + 1, as_character_data(*utf8));
    ++counts.html_entities;
  } else {
    escape_bare_ampersand(pos, rewriter, counts);
  }
  return i + 1;
}

// Repairs the reference starting at text[pos] == '&'; returns where scanning resumes.
std::size_t repair_reference(std::string_view text, std::size_t pos, Rewriter& rewriter, EntityExpander& entities,
                             RepairCounts& counts) {
  if (pos + 1 < text.size() && text[pos + 1] == '#') return repair_char_reference(text, pos, rewriter, counts);
  return repair_named_reference(text, pos, rewriter, entities, counts);
}

// Where the document really starts: junk before the XML declaration (or, with
// no declaration, before the first tag) is dropped.
std::size_t document_start(std::string_view text) {
  const std::size_t first_tag = text.find('<');
  if (first_tag == std::string_view::npos) return 0;
  // What a well-formed document starts with: a declaration, a comment, a
  // DOCTYPE, or a feed's root element.
  const std::string_view head = text.substr(first_tag);
  for (std::string_view start : {"<?", "<!", "<rss", "<feed", "<rdf:RDF", "<RDF"})
    if (head.starts_with(start)) return first_tag;
  // A PHP warning printed before the feed is markup itself ("<b>Warning</b>"),
  // so look a little further for the declaration.
  const std::size_t declaration = text.substr(0, 4096).find("<?xml");
  if (declaration != std::string_view::npos) return declaration;
  return first_tag;
}

bool is_blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  return true;
}

void add_note(std::string& notes, std::string_view note) {
  if (!notes.empty()) notes.append("; ");
  notes.append(note);
}

bool is_tag_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool is_tag_name_end(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>';
}

// HTML elements that never have content; feeds with unescaped HTML leave them
// open. (Not <source>: RSS has an element of that name with content.)
bool is_html_void_element(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kVoid{
      {"area", "base", "br", "col", "embed", "hr", "img", "input", "meta", "param", "track", "wbr"}};
  std::string lower(name);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return std::find(kVoid.begin(), kVoid.end(), lower) != kVoid.end();
}

// One pass of balance_tags(): copies the document to the output lazily,
// writes each repair where it is needed and counts the repairs for the notes.
class TagBalancer {
 public:
  explicit TagBalancer(std::string_view text) : text_(text) { result_.text.reserve(text.size() + 256); }

  XmlRepair run() && {
    std::size_t i = 0;
    while (!truncated_ && (i = text_.find('<', i)) != std::string_view::npos) i = read_markup(i);
    if (!truncated_) copy_to(text_.size());
    for (auto it = open_.rbegin(); it != open_.rend(); ++it) write_end_tag(it->name);
    write_notes();
    return std::move(result_);
  }

 private:
  struct OpenElement {
    std::string_view name;
    bool has_children;
  };

  // Reads the markup at text_[pos] == '<'; returns where scanning resumes.
  std::size_t read_markup(std::size_t pos) {
    const std::size_t next = skip_markup(text_, pos);
    if (next != pos + 1) return skip_unparsed(pos, next);  // comment, CDATA, PI or DOCTYPE
    const bool is_end = pos + 1 < text_.size() && text_[pos + 1] == '/';
    const std::size_t name_start = pos + (is_end ? 2 : 1);
    if (name_start >= text_.size() || !is_tag_name_start(text_[name_start])) return escape_bare_lt(pos);
    std::size_t name_end = name_start;
    while (name_end < text_.size() && !is_tag_name_end(text_[name_end])) ++name_end;
    const std::string_view name = text_.substr(name_start, name_end - name_start);
    const std::size_t end = tag_end(text_, name_end);
    // An unfinished tag: the rest of the document is unusable as markup.
    if (end == std::string_view::npos) return truncate_at(pos);
    if (is_end) {
      read_end_tag(name, pos, end);
    } else {
      read_start_tag(name, end);
    }
    return end + 1;
  }

  // A comment, CDATA section, PI or DOCTYPE ending at `next` is kept as it
  // is, unless it runs unterminated to the end of the document.
  std::size_t skip_unparsed(std::size_t pos, std::size_t next) {
    const bool unterminated = next >= text_.size() &&
                              (text_.compare(pos, 9, "<![CDATA[") == 0 ? !text_.ends_with("]]>")
                               : text_.compare(pos, 4, "<!--") == 0    ? !text_.ends_with("-->")
                                                                       : text_.back() != '>');
    return unterminated ? truncate_at(pos) : next;
  }

  // The document is cut at `pos`; nothing after it is copied.
  std::size_t truncate_at(std::size_t pos) {
    copy_to(pos);
    copied_ = text_.size();
    truncated_ = true;
    return text_.size();
  }

  // A '<' that starts no tag.
  std::size_t escape_bare_lt(std::size_t pos) {
    copy_to(pos);
    result_.text.append("&lt;");
    copied_ = pos + 1;
    ++escaped_;
    return pos + 1;
  }

  // The start tag `name` ending at text_[end] == '>'.
  void read_start_tag(std::string_view name, std::size_t end) {
    if (text_[end - 1] == '/') return;  // an empty element
    if (is_html_void_element(name)) {
      // <br> in unescaped HTML: written as the empty element it is.
      copy_to(end);
      result_.text.append("/");
      ++closed_;
      return;
    }
    if (!open_.empty()) open_.back().has_children = true;
    open_.push_back({name, false});
  }

  // The end tag `name` at text_[pos, end].
  void read_end_tag(std::string_view name, std::size_t pos, std::size_t end) {
    const auto match = find_open(name);
    copy_to(pos);
    if (match != open_.rend()) {
      for (auto it = open_.rbegin(); it != match; ++it) {
        write_end_tag(it->name);
        ++closed_;
      }
      open_.erase(match.base() - 1, open_.end());
    } else if (!open_.empty() && !open_.back().has_children) {
      // A misspelt end tag of a text-only element (<language>en</langauge>) closes it.
      write_end_tag(open_.back().name);
      open_.pop_back();
      copied_ = end + 1;
      ++dropped_;
    } else {
      copied_ = end + 1;  // an end tag that closes nothing open
      ++dropped_;
    }
  }

  // The innermost open element named `name`, or rend(). Only the innermost
  // elements are searched, which keeps hostile nesting linear; feeds are a
  // handful of levels deep.
  std::vector<OpenElement>::reverse_iterator find_open(std::string_view name) {
    constexpr std::ptrdiff_t kSearchDepth = 256;
    const auto search_end = open_.rend() - std::max<std::ptrdiff_t>(0, std::ssize(open_) - kSearchDepth);
    const auto match = std::find_if(open_.rbegin(), search_end, [&](const OpenElement& e) { return e.name == name; });
    return match == search_end ? open_.rend() : match;
  }

  void copy_to(std::size_t end) {
    result_.text.append(text_.substr(copied_, end - copied_));
    copied_ = end;
  }

  void write_end_tag(std::string_view name) {
    result_.text.append("</");
    result_.text.append(name);
    result_.text.append(">");
  }

  void write_notes() {
    std::string& notes = result_.notes;
    if (dropped_ > 0) add_note(notes, std::to_string(dropped_) + " mismatched end tags replaced or dropped");
    if (closed_ > 0) add_note(notes, std::to_string(closed_) + " unclosed elements closed");
    if (escaped_ > 0) add_note(notes, std::to_string(escaped_) + " bare '<' escaped");
    if (truncated_ || !open_.empty())
      add_note(notes, "document ends early (truncated?); " + std::to_string(open_.size()) +
                          " open elements closed at the end");
  }

  std::string_view text_;
  XmlRepair result_;
  std::vector<OpenElement> open_;
  std::size_t copied_ = 0;  // text_ before this is in result_.text
  int dropped_ = 0;
  int closed_ = 0;
  int escaped_ = 0;
  bool truncated_ = false;
};

}  // namespace

XmlRepair balance_tags(std::string_view text) { return TagBalancer(text).run(); }

XmlRepair repair_xml(std::string text) {
  XmlRepair result;
  const std::size_t start = document_start(text);
  if (start > 0) {
    if (!is_blank(std::string_view(text).substr(0, start)))
      add_note(result.notes, "junk before the XML declaration removed");
    else if (text.compare(start, 5, "<?xml") == 0)
      add_note(result.notes, "whitespace before the XML declaration removed");
    text.erase(0, start);
  }

  const std::string_view in = text;
  Rewriter rewriter(in);
  RepairCounts counts;
  EntityExpander entities;
  // memchr jumps between the only two characters that matter.
  std::size_t next_lt = in.find('<');
  std::size_t next_amp = in.find('&');
  std::size_t i = 0;
  while (i < in.size()) {
    if (next_lt < i) next_lt = in.find('<', i);
    if (next_amp < i) next_amp = in.find('&', i);
    if (next_lt == std::string_view::npos && next_amp == std::string_view::npos) break;
    if (next_lt < next_amp) {
      i = skip_markup(in, next_lt);
      if (starts_with_ci(in, next_lt, "<!DOCTYPE")) entities.declare(internal_entities(in.substr(next_lt, i - next_lt)));
    } else {
      i = repair_reference(in, next_amp, rewriter, entities, counts);
    }
  }
  if (counts.html_entities > 0)
    add_note(result.notes, std::to_string(counts.html_entities) + " HTML entities XML does not define decoded");
  if (counts.bare_ampersands > 0)
    add_note(result.notes, std::to_string(counts.bare_ampersands) + " bare '&' escaped");
  if (counts.bad_char_refs > 0)
    add_note(result.notes, std::to_string(counts.bad_char_refs) + " references to invalid characters replaced");
  if (counts.entities_over_limit > 0)
    add_note(result.notes, std::to_string(counts.entities_over_limit) +
                               " references to DOCTYPE entities past the expansion limits left unexpanded");
  result.text = rewriter.changed() ? rewriter.finish() : std::move(text);
  return result;
}

namespace {

// Where pugixml gave up, for the notes.
std::string describe_parse_error(const pugi::xml_parse_result& result, std::size_t size) {
  std::string note = "not well-formed XML (";
  note.append(result.description());
  note.append(" at byte ");
  note.append(std::to_string(result.offset));
  note.append(static_cast<std::size_t>(result.offset) + 16 >= size ? ", document truncated?" : "");
  note.append("); the elements before that point were read");
  return note;
}

}  // namespace

XmlRecovery parse_recovered_xml(std::string utf8_document, pugi::xml_document& document) {
  XmlRecovery recovery;
  XmlRepair repaired = repair_xml(std::move(utf8_document));
  if (!repaired.notes.empty()) add_note(recovery.notes, repaired.notes);

  // parse_default keeps no DOCTYPE node: an internal subset is skipped, never
  // expanded.
  pugi::xml_parse_result parsed = document.load_buffer(repaired.text.data(), repaired.text.size(),
                                                       pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    // Rebalance the tags and parse again; if even that fails, what was read
    // before the error is used.
    XmlRepair balanced = balance_tags(repaired.text);
    pugi::xml_document second;
    const pugi::xml_parse_result reparsed = second.load_buffer(balanced.text.data(), balanced.text.size(),
                                                               pugi::parse_default, pugi::encoding_utf8);
    if (reparsed || second.document_element()) {
      add_note(recovery.notes,
               balanced.notes.empty() ? describe_parse_error(parsed, repaired.text.size()) : balanced.notes);
      if (!reparsed) add_note(recovery.notes, describe_parse_error(reparsed, balanced.text.size()));
      document.reset(second);
      parsed = reparsed;
    } else {
      add_note(recovery.notes, describe_parse_error(parsed, repaired.text.size()));
    }
  }
  recovery.has_markup = repaired.text.find('<') != std::string::npos;
  if (!document.document_element()) {
    recovery.failure = !recovery.has_markup ? "no markup"
                       : parsed             ? "no root element"
                                            : describe_parse_error(parsed, repaired.text.size());
  }
  return recovery;
}

}  // namespace newsd::parsers
