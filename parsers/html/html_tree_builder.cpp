#include "parsers/html/html_tree_builder.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "parsers/text/ascii.hpp"
#include "parsers/html/html_entities.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

// ---------------------------------------------------------------------------
// Element knowledge

// How an element's content is read.
enum class Content : std::uint8_t {
  normal,   // markup
  empty,    // void element: no content, no end tag
  dropped,  // raw text up to the end tag, skipped (script, style, iframe, noscript, ...)
  foreign,  // svg: content up to </svg> skipped, but <svg/> closes itself
  literal,  // raw text kept as written (xmp, plaintext)
  rcdata,   // text with character references but no tags (title, textarea)
};

// Element flags.
constexpr std::uint8_t kHeadContent = 1;   // goes into <head> when it comes before any body content
constexpr std::uint8_t kClosesP = 2;       // its start tag closes an open <p>
constexpr std::uint8_t kPreformatted = 4;  // whitespace inside is kept as written
constexpr std::uint8_t kHeading = 8;       // h1-h6
constexpr std::uint8_t kNoBlankText = 16;  // whitespace-only text directly inside never renders

// End-tag scoping, after the HTML5 scopes and libxml2's end-tag priorities:
// an end tag closes the nearest open element of its name only if nothing of
// a higher level lies above that element. So a stray </span> does not close
// a <div>, and a stray </div> does not close a table cell.
constexpr std::uint8_t kPhrase = 0;   // inline and unknown elements
constexpr std::uint8_t kBlock = 1;    // the HTML5 "special" elements
constexpr std::uint8_t kCell = 2;     // td, th, caption, object, applet, marquee, template
constexpr std::uint8_t kRow = 3;      // tr
constexpr std::uint8_t kSection = 4;  // thead, tbody, tfoot
constexpr std::uint8_t kTableLevel = 5;
constexpr std::uint8_t kRoot = 6;  // html, head, body: never closed by an end tag

enum class Tag : std::uint16_t {
  a, address, applet, area, article, aside, b, base, basefont, bgsound, blockquote, body, br, button, caption,
  center, col, colgroup, dd, details, dialog, dir, div, dl, dt, embed, fieldset, figcaption, figure, footer,
  form, frame, frameset, h1, h2, h3, h4, h5, h6, head, header, hgroup, hr, html, iframe, img, input, keygen,
  li, link, listing, main, marquee, menu, meta, nav, noembed, noframes, noscript, object, ol, optgroup, option,
  p, param, plaintext, pre, script, search, section, select, source, style, summary, svg, table, tbody, td,
  template_, textarea, tfoot, th, thead, title, tr, track, ul, wbr, xmp,
  // Phrase-level names with no rule of their own, known so that they need no interning.
  abbr, acronym, audio, bdi, bdo, big, canvas, cite, code, data, datalist, del, dfn, em, font, i, ins, kbd,
  label, legend, map, mark, math, meter, nobr, output, picture, progress, q, rp, rt, ruby, s, samp, slot,
  small, span, strike, strong, sub, sup, time, tt, u, var, video,
  count_,
};
constexpr std::uint32_t kKnownTags = static_cast<std::uint32_t>(Tag::count_);
constexpr std::uint32_t id(Tag tag) { return static_cast<std::uint32_t>(tag); }

struct TagInfo {
  Tag tag;
  std::string_view name;  // a literal, so name.data() is NUL-terminated
  std::uint8_t level = kPhrase;
  Content content = Content::normal;
  std::uint8_t flags = 0;
};

using enum Content;
constexpr TagInfo kTagInfo[] = {
    {Tag::a, "a"},
    {Tag::address, "address", kBlock, normal, kClosesP},
    {Tag::applet, "applet", kCell},
    {Tag::area, "area", kBlock, empty},
    {Tag::article, "article", kBlock, normal, kClosesP},
    {Tag::aside, "aside", kBlock, normal, kClosesP},
    {Tag::b, "b"},
    {Tag::base, "base", kBlock, empty, kHeadContent},
    {Tag::basefont, "basefont", kBlock, empty, kHeadContent},
    {Tag::bgsound, "bgsound", kBlock, empty, kHeadContent},
    {Tag::blockquote, "blockquote", kBlock, normal, kClosesP},
    {Tag::body, "body", kRoot},
    {Tag::br, "br", kBlock, empty},
    {Tag::button, "button", kBlock},
    {Tag::caption, "caption", kCell},
    {Tag::center, "center", kBlock, normal, kClosesP},
    {Tag::col, "col", kBlock, empty},
    {Tag::colgroup, "colgroup", kBlock, normal, kNoBlankText},
    {Tag::dd, "dd", kBlock, normal, kClosesP},
    {Tag::details, "details", kBlock, normal, kClosesP},
    {Tag::dialog, "dialog", kBlock, normal, kClosesP},
    {Tag::dir, "dir", kBlock, normal, kClosesP},
    {Tag::div, "div", kBlock, normal, kClosesP},
    {Tag::dl, "dl", kBlock, normal, kClosesP | kNoBlankText},
    {Tag::dt, "dt", kBlock, normal, kClosesP},
    {Tag::embed, "embed", kBlock, empty},
    {Tag::fieldset, "fieldset", kBlock, normal, kClosesP},
    {Tag::figcaption, "figcaption", kBlock, normal, kClosesP},
    {Tag::figure, "figure", kBlock, normal, kClosesP},
    {Tag::footer, "footer", kBlock, normal, kClosesP},
    {Tag::form, "form", kBlock, normal, kClosesP},
    {Tag::frame, "frame", kBlock, empty},
    {Tag::frameset, "frameset", kBlock},
    {Tag::h1, "h1", kBlock, normal, kClosesP | kHeading},
    {Tag::h2, "h2", kBlock, normal, kClosesP | kHeading},
    {Tag::h3, "h3", kBlock, normal, kClosesP | kHeading},
    {Tag::h4, "h4", kBlock, normal, kClosesP | kHeading},
    {Tag::h5, "h5", kBlock, normal, kClosesP | kHeading},
    {Tag::h6, "h6", kBlock, normal, kClosesP | kHeading},
    {Tag::head, "head", kRoot, normal, kNoBlankText},
    {Tag::header, "header", kBlock, normal, kClosesP},
    {Tag::hgroup, "hgroup", kBlock, normal, kClosesP},
    {Tag::hr, "hr", kBlock, empty, kClosesP},
    {Tag::html, "html", kRoot, normal, kNoBlankText},
    {Tag::iframe, "iframe", kBlock, dropped},
    {Tag::img, "img", kBlock, empty},
    {Tag::input, "input", kBlock, empty},
    {Tag::keygen, "keygen", kBlock, empty},
    {Tag::li, "li", kBlock, normal, kClosesP},
    {Tag::link, "link", kBlock, empty, kHeadContent},
    {Tag::listing, "listing", kBlock, normal, kClosesP | kPreformatted},
    {Tag::main, "main", kBlock, normal, kClosesP},
    {Tag::marquee, "marquee", kCell},
    {Tag::menu, "menu", kBlock, normal, kClosesP},
    {Tag::meta, "meta", kBlock, empty, kHeadContent},
    {Tag::nav, "nav", kBlock, normal, kClosesP},
    {Tag::noembed, "noembed", kBlock, dropped},
    {Tag::noframes, "noframes", kBlock, dropped, kHeadContent},
    {Tag::noscript, "noscript", kBlock, dropped, kHeadContent},
    {Tag::object, "object", kCell},
    {Tag::ol, "ol", kBlock, normal, kClosesP | kNoBlankText},
    {Tag::optgroup, "optgroup"},
    {Tag::option, "option"},
    {Tag::p, "p", kBlock, normal, kClosesP},
    {Tag::param, "param", kBlock, empty},
    {Tag::plaintext, "plaintext", kBlock, literal, kClosesP},
    {Tag::pre, "pre", kBlock, normal, kClosesP | kPreformatted},
    {Tag::script, "script", kBlock, dropped, kHeadContent},
    {Tag::search, "search", kBlock, normal, kClosesP},
    {Tag::section, "section", kBlock, normal, kClosesP},
    {Tag::select, "select", kBlock, normal, kNoBlankText},
    {Tag::source, "source", kBlock, empty},
    {Tag::style, "style", kBlock, dropped, kHeadContent},
    {Tag::summary, "summary", kBlock, normal, kClosesP},
    {Tag::svg, "svg", kPhrase, foreign},
    {Tag::table, "table", kTableLevel, normal, kClosesP | kNoBlankText},
    {Tag::tbody, "tbody", kSection, normal, kNoBlankText},
    {Tag::td, "td", kCell},
    {Tag::template_, "template", kCell, dropped, kHeadContent},
    {Tag::textarea, "textarea", kBlock, rcdata, kPreformatted},
    {Tag::tfoot, "tfoot", kSection, normal, kNoBlankText},
    {Tag::th, "th", kCell},
    {Tag::thead, "thead", kSection, normal, kNoBlankText},
    {Tag::title, "title", kBlock, rcdata, kHeadContent},
    {Tag::tr, "tr", kRow, normal, kNoBlankText},
    {Tag::track, "track", kBlock, empty},
    {Tag::ul, "ul", kBlock, normal, kClosesP | kNoBlankText},
    {Tag::wbr, "wbr", kBlock, empty},
    {Tag::xmp, "xmp", kBlock, literal, kClosesP},
    {Tag::abbr, "abbr"},
    {Tag::acronym, "acronym"},
    {Tag::audio, "audio"},
    {Tag::bdi, "bdi"},
    {Tag::bdo, "bdo"},
    {Tag::big, "big"},
    {Tag::canvas, "canvas"},
    {Tag::cite, "cite"},
    {Tag::code, "code"},
    {Tag::data, "data"},
    {Tag::datalist, "datalist"},
    {Tag::del, "del"},
    {Tag::dfn, "dfn"},
    {Tag::em, "em"},
    {Tag::font, "font"},
    {Tag::i, "i"},
    {Tag::ins, "ins"},
    {Tag::kbd, "kbd"},
    {Tag::label, "label"},
    {Tag::legend, "legend"},
    {Tag::map, "map"},
    {Tag::mark, "mark"},
    {Tag::math, "math"},
    {Tag::meter, "meter"},
    {Tag::nobr, "nobr"},
    {Tag::output, "output"},
    {Tag::picture, "picture"},
    {Tag::progress, "progress"},
    {Tag::q, "q"},
    {Tag::rp, "rp"},
    {Tag::rt, "rt"},
    {Tag::ruby, "ruby"},
    {Tag::s, "s"},
    {Tag::samp, "samp"},
    {Tag::slot, "slot"},
    {Tag::small, "small"},
    {Tag::span, "span"},
    {Tag::strike, "strike"},
    {Tag::strong, "strong"},
    {Tag::sub, "sub"},
    {Tag::sup, "sup"},
    {Tag::time, "time"},
    {Tag::tt, "tt"},
    {Tag::u, "u"},
    {Tag::var, "var"},
    {Tag::video, "video"},
};
static_assert(std::size(kTagInfo) == kKnownTags);
static_assert([] {
  for (std::uint32_t i = 0; i < kKnownTags; ++i)
    if (id(kTagInfo[i].tag) != i) return false;
  return true;
}(), "kTagInfo must list the tags in the order of the Tag enum");

// Elements of interned names outside the table (custom elements, typos).
constexpr TagInfo kUnknownTag{Tag::count_, "", kPhrase, normal, 0};

constexpr std::uint32_t kFnvBasis = 2166136261u;
constexpr std::uint32_t kFnvPrime = 16777619u;
constexpr std::uint32_t hash_step(std::uint32_t hash, char c) {
  return (hash ^ static_cast<unsigned char>(c)) * kFnvPrime;
}

// The known names in an open-addressed table: slot holds id + 1, 0 is empty.
constexpr std::size_t kKnownSlots = 512;
constexpr auto kKnownTable = [] {
  std::array<std::uint16_t, kKnownSlots> slots{};
  for (std::uint32_t i = 0; i < kKnownTags; ++i) {
    std::uint32_t hash = kFnvBasis;
    for (char c : kTagInfo[i].name) hash = hash_step(hash, c);
    std::size_t slot = hash & (kKnownSlots - 1);
    while (slots[slot] != 0) slot = (slot + 1) & (kKnownSlots - 1);
    slots[slot] = static_cast<std::uint16_t>(i + 1);
  }
  return slots;
}();
constexpr std::size_t kLongestKnownName = 10;

// Floors kept for each open element (see Open::floors).
constexpr std::size_t kListFloor = 0;    // special elements other than address, div, p: li/dd/dt scope
constexpr std::size_t kButtonFloor = 7;  // cells, tables, buttons: where an open <p> stops being closable
constexpr std::size_t kFloors = 8;       // 1..6: elements of at least that level

// ---------------------------------------------------------------------------
// Characters

constexpr std::array<std::uint8_t, 256> make_table(std::string_view members) {
  std::array<std::uint8_t, 256> table{};
  for (char c : members) table[static_cast<unsigned char>(c)] = 1;
  return table;
}
constexpr auto kSpace = make_table(" \t\n\r\f");
constexpr auto kTagNameChar = make_table(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.");
// Ends an attribute name: whitespace, '/', '>', '='.
constexpr auto kAttributeNameEnd = make_table(" \t\n\r\f/>=");
constexpr auto kUnquotedValueEnd = make_table(" \t\n\r\f>");

// Text characters that need more than a copy: 1 whitespace (collapsed), 2 '&', 3 NUL.
constexpr auto kCollapsedText = [] {
  std::array<std::uint8_t, 256> table{};
  for (char c : std::string_view(" \t\n\r\f")) table[static_cast<unsigned char>(c)] = 1;
  table['&'] = 2;
  table[0] = 3;
  return table;
}();
constexpr auto kVerbatimText = [] {
  std::array<std::uint8_t, 256> table{};
  table['&'] = 2;
  table[0] = 3;
  return table;
}();

bool is_alpha(char c) { return static_cast<unsigned char>((c | 0x20) - 'a') < 26; }
bool is_space(char c) { return kSpace[static_cast<unsigned char>(c)] != 0; }

// The "</name" that ends a raw-text element (name lower-case), or nullptr.
const char* find_end_tag(const char* from, const char* end, std::string_view name) {
  auto at = find_raw_text_end(std::string_view(from, static_cast<std::size_t>(end - from)), 0, name);
  return at == std::string_view::npos ? nullptr : from + at;
}

// The longest name HTML reads without a ';' (is_legacy_html_entity): "frac12", "middot"...
constexpr std::size_t kLongestLegacyEntity = 6;
constexpr std::size_t kLongestEntity = 32;

int digit_value(char c, bool hex) {
  if (c >= '0' && c <= '9') return c - '0';
  if (!hex) return -1;
  char l = static_cast<char>(c | 0x20);
  return (l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
}

bool is_alnum(char c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

// Decodes the character reference at `p` (an '&') into `out` the way browsers
// do, and returns where the text goes on. In attribute values a ';'-less
// reference followed by '=' is left alone (query strings: ?a=1&copy=2).
const char* decode_reference(const char* p, const char* end, std::string& out, bool in_attribute) {
  const char* q = p + 1;
  if (q < end && *q == '#') {
    ++q;
    bool hex = q < end && (*q | 0x20) == 'x';
    if (hex) ++q;
    const char* digits = q;
    std::uint32_t value = 0;
    for (int d; q < end && (d = digit_value(*q, hex)) >= 0; ++q)
      value = value > 0x10FFFF ? 0x110000 : value * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
    if (q == digits) {
      out.push_back('&');
      return p + 1;
    }
    if (q < end && *q == ';') ++q;
    append_utf8(out, html_numeric_reference(value));
    return q;
  }
  while (q < end && is_alnum(*q) && static_cast<std::size_t>(q - p) <= kLongestEntity) ++q;
  std::string_view name(p + 1, static_cast<std::size_t>(q - p - 1));
  if (!name.empty()) {
    if (q < end && *q == ';') {
      if (auto utf8 = html_entity(name)) {
        out.append(*utf8);
        return q + 1;
      }
    }
    if (in_attribute) {
      if (is_legacy_html_entity(name) && !(q < end && *q == '=')) {
        out.append(*html_entity(name));
        return q;
      }
    } else {
      for (std::size_t n = std::min(name.size(), kLongestLegacyEntity); n >= 2; --n) {
        if (!is_legacy_html_entity(name.substr(0, n))) continue;
        out.append(*html_entity(name.substr(0, n)));
        return p + 1 + n;
      }
    }
  }
  out.push_back('&');
  return p + 1;
}

// Appends text with character references decoded and NULs dropped; with the
// collapsing table, a run of ASCII whitespace becomes one character (a newline
// if the run had one), as it renders, and as drop_raw_text_content() does for
// the other parsers.
void append_text(std::string& out, const char* p, const char* end, const std::array<std::uint8_t, 256>& table,
                 bool in_attribute) {
  while (p < end) {
    const char* run = p;
    while (run < end && table[static_cast<unsigned char>(*run)] == 0) ++run;
    out.append(p, static_cast<std::size_t>(run - p));
    if (run == end) return;
    p = run;
    switch (table[static_cast<unsigned char>(*p)]) {
      case 1: {
        bool newline = false;
        while (p < end && kSpace[static_cast<unsigned char>(*p)] != 0) newline |= *p++ == '\n';
        if (!out.empty() && (out.back() == ' ' || out.back() == '\n')) {
          if (newline) out.back() = '\n';
        } else {
          out.push_back(newline ? '\n' : ' ');
        }
        break;
      }
      case 2:
        p = decode_reference(p, end, out, in_attribute);
        break;
      default:
        ++p;
        break;
    }
  }
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return is_space(c); });
}

// ---------------------------------------------------------------------------
// The builder

// Open elements beyond this many (all flattened already) are not tracked;
// it bounds the stack's memory on 16 MB of unclosed tags.
constexpr std::size_t kMaxOpenElements = 1u << 16;
// Attributes of one element beyond this many are dropped; it bounds the
// duplicate check, which is quadratic in the attributes of one tag.
constexpr std::size_t kMaxAttributes = 256;

class TreeBuilder {
 public:
  TreeBuilder(std::string_view utf8, HtmlDocument& document, const HtmlOptions& options)
      : p_(utf8.data()),
        end_(utf8.data() + utf8.size()),
        document_(document),
        max_depth_(options.max_depth),
        max_nodes_(options.max_nodes) {
    top_.assign(kKnownTags, -1);
    stack_.reserve(64);
    pending_.reserve(256);
  }

  void run() {
    html_ = document_.dom.append_child("html");
    push(html_, id(Tag::html), true);
    head_ = html_.append_child("head");
    push(head_, id(Tag::head), true);
    count_ = 2;
    while (p_ < end_ && !stopped_) {
      const auto* lt = static_cast<const char*>(std::memchr(p_, '<', static_cast<std::size_t>(end_ - p_)));
      const char* text_end = lt != nullptr ? lt : end_;
      if (text_end != p_) append_text(pending_, p_, text_end, text_table(), false);
      p_ = text_end;
      if (lt != nullptr) markup();
    }
    flush_text();
    if (!body_) enter_body();
    document_.node_count = std::min(count_, max_nodes_);
  }

 private:
  enum class Mode { in_head, after_head, in_body };

  // One entry of the stack of open elements.
  struct Open {
    pugi::xml_node node;     // the element, or for a flattened one the ancestor its content goes into
    std::uint32_t tag;       // interned name
    std::int32_t below_same; // the next open element down the stack with the same name, or -1
    // floors[k]: index of the topmost element at or below this one with level >= k
    // (k = 1..6), or in list or button scope (kListFloor, kButtonFloor); -1 if none.
    std::array<std::int32_t, kFloors> floors;
    bool real;  // false when flattened
  };

  struct Attribute {
    std::size_t name;          // offset of the NUL-terminated lower-case name in attribute_text_
    const char* value;         // in the input, or nullptr when decoded into attribute_text_
    std::size_t value_offset;  // in attribute_text_ when value is nullptr
    std::size_t value_size;
  };

  struct CustomName {
    std::size_t offset;  // of the NUL-terminated name in custom_text_
    std::size_t size;
    std::uint32_t hash;
  };

  static constexpr std::uint32_t kNoTag = 0xFFFFFFFF;

  // The Tag of a known name; Tag::count_ for interned ones.
  static Tag known(std::uint32_t tag) { return tag < kKnownTags ? static_cast<Tag>(tag) : Tag::count_; }
  const TagInfo& info(std::uint32_t tag) const { return tag < kKnownTags ? kTagInfo[tag] : kUnknownTag; }
  const char* name_of(std::uint32_t tag) const {
    return tag < kKnownTags ? kTagInfo[tag].name.data() : custom_text_.data() + custom_[tag - kKnownTags].offset;
  }
  const std::array<std::uint8_t, 256>& text_table() const {
    return (top_[id(Tag::pre)] >= 0 || top_[id(Tag::listing)] >= 0) ? kVerbatimText : kCollapsedText;
  }

  // The tag id of a name, lower-casing it; interns unknown names if asked.
  std::uint32_t lookup(const char* begin, const char* end, bool intern) {
    std::size_t size = static_cast<std::size_t>(end - begin);
    name_.resize(size);
    std::uint32_t hash = kFnvBasis;
    for (std::size_t i = 0; i < size; ++i) {
      char c = ascii_lower(begin[i]);
      name_[i] = c;
      hash = hash_step(hash, c);
    }
    if (size <= kLongestKnownName) {
      for (std::size_t slot = hash & (kKnownSlots - 1); kKnownTable[slot] != 0; slot = (slot + 1) & (kKnownSlots - 1)) {
        std::uint32_t tag = kKnownTable[slot] - 1u;
        if (kTagInfo[tag].name == name_) return tag;
      }
    }
    if (!custom_slots_.empty()) {
      std::size_t mask = custom_slots_.size() - 1;
      for (std::size_t slot = hash & mask; custom_slots_[slot] != 0; slot = (slot + 1) & mask) {
        const CustomName& custom = custom_[custom_slots_[slot] - 1];
        if (custom.hash == hash && std::string_view(custom_text_.data() + custom.offset, custom.size) == name_)
          return kKnownTags + custom_slots_[slot] - 1;
      }
    }
    if (!intern) return kNoTag;
    if ((custom_.size() + 1) * 2 > custom_slots_.size()) grow_custom_slots();
    custom_.push_back({custom_text_.size(), size, hash});
    custom_text_.append(name_);
    custom_text_.push_back('\0');
    std::size_t mask = custom_slots_.size() - 1;
    std::size_t slot = hash & mask;
    while (custom_slots_[slot] != 0) slot = (slot + 1) & mask;
    custom_slots_[slot] = static_cast<std::uint32_t>(custom_.size());
    top_.push_back(-1);
    return kKnownTags + static_cast<std::uint32_t>(custom_.size()) - 1;
  }

  void grow_custom_slots() {
    std::size_t size = std::max<std::size_t>(64, custom_slots_.size() * 2);
    custom_slots_.assign(size, 0);
    for (std::size_t i = 0; i < custom_.size(); ++i) {
      std::size_t slot = custom_[i].hash & (size - 1);
      while (custom_slots_[slot] != 0) slot = (slot + 1) & (size - 1);
      custom_slots_[slot] = static_cast<std::uint32_t>(i + 1);
    }
  }

  // --- the stack of open elements ---

  void push(pugi::xml_node node, std::uint32_t tag, bool real) {
    auto index = static_cast<std::int32_t>(stack_.size());
    Open open{node, tag, top_[tag], {}, real};
    if (stack_.empty()) open.floors.fill(-1);
    else open.floors = stack_.back().floors;
    const TagInfo& tag_info = info(tag);
    for (std::size_t k = 1; k <= tag_info.level; ++k) open.floors[k] = index;
    if (tag_info.level >= kBlock && tag != id(Tag::address) && tag != id(Tag::div) && tag != id(Tag::p))
      open.floors[kListFloor] = index;
    if (tag_info.level >= kCell || tag == id(Tag::button)) open.floors[kButtonFloor] = index;
    top_[tag] = index;
    if (real) ++real_depth_;
    stack_.push_back(open);
  }

  void pop() {
    const Open& open = stack_.back();
    top_[open.tag] = open.below_same;
    if (open.real) --real_depth_;
    stack_.pop_back();
  }

  // Pops elements until the one at `index` is gone.
  void pop_to(std::int32_t index) {
    while (static_cast<std::int32_t>(stack_.size()) > index) pop();
  }

  std::int32_t floor(std::size_t k) const { return stack_.back().floors[k]; }
  std::uint32_t current() const { return stack_.back().tag; }

  // --- building ---

  // A new element under `parent`, or a null node when the node cap is reached.
  pugi::xml_node create(pugi::xml_node parent, std::uint32_t tag) {
    if (count_ >= max_nodes_) {
      document_.truncated = true;
      stopped_ = true;
      return {};
    }
    ++count_;
    pugi::xml_node element = parent.append_child(name_of(tag));
    add_attributes(element, false);
    return element;
  }

  void add_attributes(pugi::xml_node element, bool merge) {
    for (const Attribute& a : attributes_) {
      const char* name = attribute_text_.data() + a.name;
      if (merge && element.attribute(name)) continue;
      const char* value = a.value != nullptr ? a.value : attribute_text_.data() + a.value_offset;
      element.append_attribute(name).set_value(value, a.value_size);
    }
  }

  void enter_body() {
    if (mode_ == Mode::in_head) pop();  // head
    mode_ = Mode::in_body;
    body_ = html_.append_child("body");
    ++count_;
    push(body_, id(Tag::body), true);
  }

  void flush_text() {
    if (pending_.empty()) return;
    if (mode_ != Mode::in_body) {
      if (is_blank(pending_)) {
        pending_.clear();
        return;
      }
      enter_body();
    }
    const Open& top = stack_.back();
    if (top.real && (info(top.tag).flags & kNoBlankText) != 0 && is_blank(pending_)) {
      pending_.clear();
      return;
    }
    append_text_node(top.node, pending_);
    pending_.clear();
  }

  void append_text_node(pugi::xml_node parent, std::string_view text) {
    if (text.empty() || stopped_) return;
    if (count_ >= max_nodes_) {
      document_.truncated = true;
      stopped_ = true;
      return;
    }
    ++count_;
    parent.append_child(pugi::node_pcdata).set_value(text.data(), text.size());
  }

  // --- tokens ---

  // At a '<'.
  void markup() {
    const char* q = p_ + 1;
    if (q >= end_) {
      pending_.push_back('<');
      p_ = end_;
      return;
    }
    if (is_alpha(*q)) return start_tag();
    if (*q == '/') {
      if (q + 1 < end_ && is_alpha(q[1])) return end_tag();
      if (q + 1 >= end_) {
        pending_.append("</");
        p_ = end_;
        return;
      }
      return skip_past_gt(q + 1);  // "</>" or a bogus comment such as "</ x>"
    }
    if (*q == '!') {
      std::string_view rest(q, static_cast<std::size_t>(end_ - q));
      if (rest.starts_with("!--")) return comment();
      if (rest.starts_with("![CDATA[")) {
        auto close = rest.find("]]>");
        p_ = close == std::string_view::npos ? end_ : q + close + 3;
        return;
      }
      return skip_past_gt(q + 1);  // doctype and other declarations
    }
    if (*q == '?') return skip_past_gt(q + 1);  // processing instruction
    pending_.push_back('<');                     // "a < b": a '<' that starts nothing is text
    p_ = q;
  }

  void skip_past_gt(const char* from) {
    const auto* gt = static_cast<const char*>(std::memchr(from, '>', static_cast<std::size_t>(end_ - from)));
    p_ = gt != nullptr ? gt + 1 : end_;
  }

  void comment() {
    const char* body = p_ + 4;
    std::string_view rest(body, static_cast<std::size_t>(end_ - body));
    if (rest.starts_with(">")) {  // <!-->
      p_ = body + 1;
      return;
    }
    if (rest.starts_with("->")) {  // <!--->
      p_ = body + 2;
      return;
    }
    auto close = rest.find("-->");
    p_ = close == std::string_view::npos ? end_ : body + close + 3;  // unterminated: a comment to the end
  }

  void start_tag() {
    const char* q = p_ + 1;
    const char* name_begin = q;
    while (q < end_ && kTagNameChar[static_cast<unsigned char>(*q)] != 0) ++q;
    std::uint32_t tag = lookup(name_begin, q, true);
    attributes_.clear();
    attribute_text_.clear();
    bool self_closing = false;
    while (true) {
      while (q < end_ && (is_space(*q) || (*q == '/' && !(q + 1 < end_ && q[1] == '>')))) ++q;
      if (q >= end_) {  // a tag cut by the end of the page is dropped
        p_ = end_;
        return;
      }
      if (*q == '>') {
        ++q;
        break;
      }
      if (*q == '/') {
        self_closing = true;
        q += 2;
        break;
      }
      q = attribute(q);
      if (q == nullptr) {  // an attribute value cut by the end of the page
        p_ = end_;
        return;
      }
    }
    p_ = q;
    open_element(tag, self_closing);
  }

  // Reads one attribute starting at `q` (not whitespace, '/' or '>'); returns
  // where the tag goes on, or nullptr at the end of the input.
  const char* attribute(const char* q) {
    const char* name_begin = q++;  // a first '=' belongs to the name
    while (q < end_ && kAttributeNameEnd[static_cast<unsigned char>(*q)] == 0) ++q;
    const char* name_end = q;
    while (q < end_ && is_space(*q)) ++q;
    const char* value = q;
    const char* value_end = q;
    if (q < end_ && *q == '=') {
      ++q;
      while (q < end_ && is_space(*q)) ++q;
      if (q >= end_) return nullptr;
      if (*q == '"' || *q == '\'') {
        const auto* close = static_cast<const char*>(std::memchr(q + 1, *q, static_cast<std::size_t>(end_ - q - 1)));
        if (close == nullptr) return nullptr;
        value = q + 1;
        value_end = close;
        q = close + 1;
      } else {
        value = q;
        while (q < end_ && kUnquotedValueEnd[static_cast<unsigned char>(*q)] == 0) ++q;
        value_end = q;
      }
    }
    if (attributes_.size() >= kMaxAttributes) return q;
    std::size_t name = attribute_text_.size();
    for (const char* c = name_begin; c < name_end; ++c) attribute_text_.push_back(ascii_lower(*c));
    attribute_text_.push_back('\0');
    std::string_view name_view(attribute_text_.data() + name, static_cast<std::size_t>(name_end - name_begin));
    for (const Attribute& a : attributes_) {
      if (std::string_view(attribute_text_.data() + a.name) == name_view) {  // duplicates: the first wins
        attribute_text_.resize(name);
        return q;
      }
    }
    auto size = static_cast<std::size_t>(value_end - value);
    if (std::memchr(value, '&', size) == nullptr) {
      attributes_.push_back({name, value, 0, size});
    } else {
      std::size_t offset = attribute_text_.size();
      append_text(attribute_text_, value, value_end, kVerbatimText, true);
      attributes_.push_back({name, nullptr, offset, attribute_text_.size() - offset});
    }
    return q;
  }

  std::string_view attribute_value(std::string_view name) const {
    for (const Attribute& a : attributes_) {
      if (std::string_view(attribute_text_.data() + a.name) != name) continue;
      const char* value = a.value != nullptr ? a.value : attribute_text_.data() + a.value_offset;
      return {value, a.value_size};
    }
    return {};
  }

  void end_tag() {
    const char* q = p_ + 2;
    const char* name_begin = q;
    while (q < end_ && kTagNameChar[static_cast<unsigned char>(*q)] != 0) ++q;
    std::uint32_t tag = lookup(name_begin, q, false);
    const auto* gt = static_cast<const char*>(std::memchr(q, '>', static_cast<std::size_t>(end_ - q)));
    if (gt == nullptr) {  // cut by the end of the page
      p_ = end_;
      return;
    }
    p_ = gt + 1;
    if (tag != kNoTag) close_element(tag);
  }

  // --- tree construction ---

  void open_element(std::uint32_t tag, bool self_closing) {
    flush_text();
    if (stopped_) return;
    if (tag == id(Tag::html)) return add_attributes(html_, true);
    if (tag == id(Tag::head)) {
      if (mode_ == Mode::in_head) add_attributes(head_, true);
      return;
    }
    if (tag == id(Tag::body)) {
      if (!body_) enter_body();
      return add_attributes(body_, true);
    }
    const TagInfo& tag_info = info(tag);
    pugi::xml_node parent;
    if (mode_ != Mode::in_body && (tag_info.flags & kHeadContent) != 0) {
      parent = head_;
    } else {
      if (mode_ != Mode::in_body) enter_body();
      close_implied(tag, tag_info);
      parent = stack_.back().node;
    }
    switch (tag_info.content) {
      case Content::normal:
        if (self_closing) {  // <div/>: libxml2 and XHTML-minded authors read it as empty
          if (real_depth_ < max_depth_) create(parent, tag);
          else document_.flattened = true;
          return;
        }
        return open(parent, tag);
      case Content::empty:
        if (real_depth_ < max_depth_) create(parent, tag);
        else document_.flattened = true;
        return;
      case Content::foreign:
      case Content::dropped: {
        bool closes_itself = self_closing && tag != id(Tag::script) && tag != id(Tag::style);
        bool json_ld = tag == id(Tag::script) && attribute_value("type").find("ld+json") != std::string_view::npos;
        pugi::xml_node element;
        if (real_depth_ < max_depth_) element = create(parent, tag);
        else document_.flattened = true;
        if (closes_itself) return;
        const char* close = find_end_tag(p_, end_, info(tag).name);
        if (close == nullptr) close = end_;  // unterminated: the rest of the page is its content
        if (json_ld && element) append_text_node(element, std::string_view(p_, static_cast<std::size_t>(close - p_)));
        p_ = close;  // the end tag is then read, and ignored, like any stray one
        return;
      }
      case Content::literal: {
        pugi::xml_node element;
        if (real_depth_ < max_depth_) element = create(parent, tag);
        else document_.flattened = true;
        const char* close = tag == id(Tag::plaintext) ? nullptr : find_end_tag(p_, end_, info(tag).name);
        if (close == nullptr) close = end_;
        append_text_node(element ? element : parent, std::string_view(p_, static_cast<std::size_t>(close - p_)));
        p_ = close;
        return;
      }
      case Content::rcdata: {
        pugi::xml_node element;
        if (real_depth_ < max_depth_) element = create(parent, tag);
        else document_.flattened = true;
        if (self_closing) return;
        const char* close = find_end_tag(p_, end_, info(tag).name);
        if (close == nullptr) {
          // Unterminated: browsers would make the rest of the page the title;
          // ending it at the next tag keeps the article.
          const auto* lt = static_cast<const char*>(std::memchr(p_, '<', static_cast<std::size_t>(end_ - p_)));
          close = lt != nullptr ? lt : end_;
        }
        std::string text;
        append_text(text, p_, close, (tag_info.flags & kPreformatted) != 0 ? kVerbatimText : kCollapsedText, false);
        append_text_node(element ? element : parent, text);
        p_ = close;
        return;
      }
    }
  }

  // Opens a container element: a new open element, flattened past max_depth.
  void open(pugi::xml_node parent, std::uint32_t tag) {
    if (stack_.size() >= kMaxOpenElements) {
      document_.flattened = true;
      return;
    }
    if (real_depth_ >= max_depth_) {
      document_.flattened = true;
      push(parent, tag, false);
      return;
    }
    pugi::xml_node element = create(parent, tag);
    if (element) push(element, tag, true);
  }

  // The end tags a start tag implies (HTML5's, where they shape the text).
  void close_implied(std::uint32_t tag, const TagInfo& tag_info) {
    switch (known(tag)) {
      case Tag::li:
        close_list_item(id(Tag::li), id(Tag::li));
        break;
      case Tag::dd:
      case Tag::dt:
        close_list_item(id(Tag::dd), id(Tag::dt));
        break;
      case Tag::option:
        if (current() == id(Tag::option)) pop();
        break;
      case Tag::optgroup:
        if (current() == id(Tag::option)) pop();
        if (current() == id(Tag::optgroup)) pop();
        break;
      case Tag::tr:
        close_table_part({id(Tag::tr), id(Tag::td), id(Tag::th)});
        break;
      case Tag::td:
      case Tag::th:
        close_table_part({id(Tag::td), id(Tag::th)});
        break;
      case Tag::thead:
      case Tag::tbody:
      case Tag::tfoot:
        close_table_part({id(Tag::thead), id(Tag::tbody), id(Tag::tfoot), id(Tag::tr), id(Tag::td), id(Tag::th)});
        break;
      case Tag::a: {
        // <a> inside an open <a>: the first one ends (unless a block lies between).
        std::int32_t open_a = top_[id(Tag::a)];
        if (open_a >= 0 && floor(kBlock) < open_a) pop_to(open_a);
        break;
      }
      case Tag::button: {
        std::int32_t open_button = top_[id(Tag::button)];
        if (open_button >= 0 && floor(kCell) < open_button) pop_to(open_button);
        break;
      }
      default:
        break;
    }
    if ((tag_info.flags & kClosesP) != 0) {
      std::int32_t open_p = top_[id(Tag::p)];
      if (open_p >= 0 && floor(kButtonFloor) < open_p) pop_to(open_p);
    }
    if ((tag_info.flags & kHeading) != 0 && (info(current()).flags & kHeading) != 0) pop();
  }

  // <li> closes the open li (<dd>/<dt> the open dd or dt) unless a special
  // element other than address, div and p lies between.
  void close_list_item(std::uint32_t first, std::uint32_t second) {
    std::int32_t boundary = floor(kListFloor);
    if (boundary < 0) return;
    std::uint32_t tag = stack_[static_cast<std::size_t>(boundary)].tag;
    if (tag == first || tag == second) pop_to(boundary);
  }

  // A row, cell or row group start closes the open one of `parts` in the
  // nearest table (with everything left open inside it).
  void close_table_part(std::initializer_list<std::uint32_t> parts) {
    std::int32_t table = top_[id(Tag::table)];
    std::int32_t lowest = -1;
    for (std::uint32_t part : parts) {
      std::int32_t index = top_[part];
      if (index > table && (lowest < 0 || index < lowest)) lowest = index;
    }
    if (lowest >= 0) pop_to(lowest);
  }

  void close_element(std::uint32_t tag) {
    flush_text();
    if (stopped_) return;
    switch (known(tag)) {
      case Tag::html:
      case Tag::body:
        return;  // content after </body> or </html> still belongs to the body
      case Tag::head:
        if (mode_ == Mode::in_head) {
          pop();
          mode_ = Mode::after_head;
        }
        return;
      case Tag::br:  // </br> is read as <br>, as browsers do
        attributes_.clear();
        return open_element(tag, true);
      default:
        break;
    }
    if (mode_ != Mode::in_body) return;
    const TagInfo& tag_info = info(tag);
    std::int32_t index = top_[tag];
    if ((tag_info.flags & kHeading) != 0)  // </h2> closes an open h3 too
      for (Tag heading : {Tag::h1, Tag::h2, Tag::h3, Tag::h4, Tag::h5, Tag::h6})
        index = std::max(index, top_[id(heading)]);
    if (index < 0) return;  // not open: ignored (a stray </p> included)
    if (tag_info.level < kRoot && floor(tag_info.level + 1u) > index) return;  // scoped out
    pop_to(index);
  }

  const char* p_;
  const char* end_;
  HtmlDocument& document_;
  std::size_t max_depth_;
  std::size_t max_nodes_;

  pugi::xml_node html_, head_, body_;
  Mode mode_ = Mode::in_head;
  std::vector<Open> stack_;
  std::vector<std::int32_t> top_;  // per tag id: index of its topmost open element, or -1
  std::size_t real_depth_ = 0;     // open elements that exist in the DOM
  std::size_t count_ = 0;          // elements and texts created
  bool stopped_ = false;           // the node cap was reached

  std::string pending_;  // text not yet appended, so that text around comments is one node
  std::string name_;     // the lower-cased name being looked up
  std::vector<Attribute> attributes_;
  std::string attribute_text_;

  std::vector<std::uint32_t> custom_slots_;  // open-addressed: custom index + 1, 0 empty
  std::vector<CustomName> custom_;
  std::string custom_text_;
};

}  // namespace

void build_html_tree(std::string_view utf8, HtmlDocument& document, const HtmlOptions& options) {
  TreeBuilder(utf8, document, options).run();
}

}  // namespace newsd::parsers
