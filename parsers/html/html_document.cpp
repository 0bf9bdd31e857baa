#include "parsers/html/html_document.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <vector>

#include <gumbo.h>
#include <uchardet/uchardet.h>

// libxml2 is optional at build time: without it every parse goes through gumbo.
#if __has_include(<libxml/HTMLparser.h>)
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#define NEWSD_HAVE_LIBXML2 1
#else
#define NEWSD_HAVE_LIBXML2 0
#endif

#include "parsers/text/ascii.hpp"
#include "parsers/html/html_elements.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/html/html_tree_builder.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

// How far into the page <meta charset> is looked for. WHATWG says 1024 bytes;
// real pages put long comments and inline scripts first, so look further.
constexpr std::size_t kMetaPrescanBytes = 4096;
// uchardet does not get better past this much text, only slower.
constexpr std::size_t kDetectorSampleBytes = 64u << 10;

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (ascii_lower(s[i]) != prefix[i]) return false;
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '"' || s.front() == '\'')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '"' || s.back() == '\'')) s.remove_suffix(1);
  return s;
}

// WHATWG "get an encoding" fix-ups for a label found in the document itself.
std::string normalize_meta_label(std::string label) {
  if (label.rfind("utf-16", 0) == 0) return "utf-8";  // a page cannot really be UTF-16 if we could read its meta
  if (label == "x-user-defined") return "windows-1252";
  if (label == "utf8") return "utf-8";
  return label;
}

// The charset parameter inside a content="text/html; charset=..." value.
std::string charset_in_content(std::string_view content) {
  std::string lowered = lower_ascii(content);
  auto pos = lowered.find("charset");
  if (pos == std::string::npos) return {};
  pos += 7;
  while (pos < lowered.size() && is_space(lowered[pos])) ++pos;
  if (pos >= lowered.size() || lowered[pos] != '=') return {};
  ++pos;
  auto end = pos;
  while (end < lowered.size() && lowered[end] != ';') ++end;
  return std::string(trim(std::string_view(lowered).substr(pos, end - pos)));
}

// The charset a <meta> tag declares (the tag body after "<meta"), or
// nullopt when it declares none.
std::optional<std::string> meta_tag_charset(std::string_view tag) {
  std::string charset, content;
  bool http_equiv_content_type = false;
  std::size_t p = 0;
  while (p < tag.size()) {
    while (p < tag.size() && (is_space(tag[p]) || tag[p] == '/')) ++p;
    auto name_start = p;
    while (p < tag.size() && !is_space(tag[p]) && tag[p] != '=' && tag[p] != '/') ++p;
    std::string name = lower_ascii(tag.substr(name_start, p - name_start));
    while (p < tag.size() && is_space(tag[p])) ++p;
    std::string_view value;
    if (p < tag.size() && tag[p] == '=') {
      ++p;
      while (p < tag.size() && is_space(tag[p])) ++p;
      if (p < tag.size() && (tag[p] == '"' || tag[p] == '\'')) {
        char quote = tag[p++];
        auto end = tag.find(quote, p);
        if (end == std::string_view::npos) end = tag.size();
        value = tag.substr(p, end - p);
        p = end + 1;
      } else {
        auto start = p;
        while (p < tag.size() && !is_space(tag[p])) ++p;
        value = tag.substr(start, p - start);
      }
    }
    if (name.empty()) {
      ++p;
      continue;
    }
    if (name == "charset") charset = lower_ascii(trim(value));
    else if (name == "content") content = std::string(value);
    else if (name == "http-equiv") http_equiv_content_type = lower_ascii(trim(value)) == "content-type";
  }
  if (!charset.empty()) return normalize_meta_label(charset);
  if (http_equiv_content_type) {
    auto from_content = charset_in_content(content);
    if (!from_content.empty()) return normalize_meta_label(from_content);
  }
  return std::nullopt;
}

// A simplified WHATWG prescan: <meta charset=...> or
// <meta http-equiv=content-type content="...charset=...">, skipping comments.
std::string prescan_meta_charset(std::string_view bytes) {
  bytes = bytes.substr(0, std::min(bytes.size(), kMetaPrescanBytes));
  std::size_t i = 0;
  while (i < bytes.size()) {
    auto lt = bytes.find('<', i);
    if (lt == std::string_view::npos) break;
    auto rest = bytes.substr(lt);
    if (rest.substr(0, 4) == "<!--") {
      auto end = bytes.find("-->", lt + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    if (!istarts_with(rest, "<meta") || rest.size() < 6 || !(is_space(rest[5]) || rest[5] == '/')) {
      i = lt + 1;
      continue;
    }
    auto gt = bytes.find('>', lt);
    if (gt == std::string_view::npos) break;
    // An answer, even an unusable label, ends the prescan.
    if (auto charset = meta_tag_charset(bytes.substr(lt + 5, gt - lt - 5))) return *std::move(charset);
    i = gt + 1;
  }
  return {};
}

// True when every multi-byte sequence in the sample is well-formed UTF-8; a
// sequence cut by the sample's end counts as well-formed.
bool looks_like_utf8(std::string_view s, bool& saw_non_ascii) {
  saw_non_ascii = false;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    saw_non_ascii = true;
    std::size_t n = (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2 : (c >= 0xF0 && c <= 0xF4) ? 3 : 0;
    if (n == 0) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return true;
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

// Owns a uchardet handle for the duration of one detection.
class CharsetDetector {
 public:
  CharsetDetector() : handle_(uchardet_new()) {}
  ~CharsetDetector() {
    if (handle_ != nullptr) uchardet_delete(handle_);
  }
  CharsetDetector(const CharsetDetector&) = delete;
  CharsetDetector& operator=(const CharsetDetector&) = delete;

  std::string detect(std::string_view sample) {
    if (handle_ == nullptr) return {};
    if (uchardet_handle_data(handle_, sample.data(), sample.size()) != 0) return {};
    uchardet_data_end(handle_);
    const char* name = uchardet_get_charset(handle_);
    return name != nullptr ? lower_ascii(name) : std::string{};
  }

 private:
  uchardet_t handle_;
};

bool is_binary(std::string_view bytes) {
  static constexpr std::string_view kMagics[] = {
      "\x89PNG", "GIF8", "\xFF\xD8\xFF", "%PDF", "PK\x03\x04", "\x1F\x8B", "RIFF", "\x7F" "ELF", "OggS", "ID3", "BZh",
  };
  for (auto magic : kMagics)
    if (bytes.substr(0, magic.size()) == magic) return true;
  auto sample = bytes.substr(0, std::min<std::size_t>(bytes.size(), 4096));
  auto controls = std::count_if(sample.begin(), sample.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 && u != '\n' && u != '\r' && u != '\t' && u != '\f';
  });
  // Text has essentially no C0 controls; a few stray ones are tolerated.
  return controls * 20 > static_cast<long>(sample.size()) && controls > 8;
}

// Bump allocator for gumbo: gumbo makes many small allocations and frees them
// all at the end, so one arena is faster, and dropping it replaces
// gumbo_destroy_output's recursive walk (which deep nesting would turn into a
// stack overflow).
class GumboArena {
 public:
  GumboArena() = default;
  GumboArena(const GumboArena&) = delete;
  GumboArena& operator=(const GumboArena&) = delete;
  ~GumboArena() {
    for (void* block : blocks_) std::free(block);
  }

  void* allocate(std::size_t size) {
    size = (size + 15) & ~std::size_t{15};
    if (size > kBlockSize / 4) {
      void* big = std::malloc(size);
      if (big != nullptr) blocks_.push_back(big);
      return big;
    }
    if (used_ + size > kBlockSize || current_ == nullptr) {
      current_ = static_cast<char*>(std::malloc(kBlockSize));
      if (current_ == nullptr) return nullptr;
      blocks_.push_back(current_);
      used_ = 0;
    }
    void* out = current_ + used_;
    used_ += size;
    return out;
  }

  static void* allocate_cb(void* self, std::size_t size) { return static_cast<GumboArena*>(self)->allocate(size); }
  static void free_cb(void*, void*) {}

 private:
  static constexpr std::size_t kBlockSize = 256u << 10;
  std::vector<void*> blocks_;
  char* current_ = nullptr;
  std::size_t used_ = 0;
};

// A gumbo parse whose memory lives in its arena; the output dies with it.
class GumboParse {
 public:
  explicit GumboParse(std::string_view utf8) {
    GumboOptions options = kGumboDefaultOptions;
    options.allocator = &GumboArena::allocate_cb;
    options.deallocator = &GumboArena::free_cb;
    options.userdata = &arena_;
    options.max_errors = 0;  // errors are not used; recording them costs time
    output_ = gumbo_parse_with_options(&options, utf8.data(), utf8.size());
  }
  GumboParse(const GumboParse&) = delete;
  GumboParse& operator=(const GumboParse&) = delete;
  const GumboOutput* output() const { return output_; }

 private:
  GumboArena arena_;  // declared first: outlives output_
  GumboOutput* output_ = nullptr;
};

std::string element_name(const GumboElement& element) {
  if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
  GumboStringPiece piece = element.original_tag;
  gumbo_tag_from_original_text(&piece);
  std::string name;
  name.reserve(piece.length);
  for (std::size_t i = 0; i < piece.length; ++i) {
    char c = ascii_lower(piece.data[i]);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' || c == '.')
      name.push_back(c);
    else
      break;
  }
  return name.empty() ? std::string("unknown") : name;
}

// Raw-text elements whose content is never article text; JSON-LD scripts
// are the exception because structured metadata reads them.
bool keeps_children(const GumboElement& element) {
  switch (element.tag) {
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
      return false;
    case GUMBO_TAG_SCRIPT: {
      const GumboAttribute* type = gumbo_get_attribute(&element.attributes, "type");
      return type != nullptr && std::strstr(type->value, "ld+json") != nullptr;
    }
    default:
      return true;
  }
}

struct PendingNode {
  const GumboNode* node;
  pugi::xml_node parent;
  std::size_t depth;
};

// Copies gumbo's tree into pugixml without recursion, flattening elements
// nested deeper than max_depth into their ancestor at that depth.
void copy_tree(const GumboOutput& output, HtmlDocument& document, const HtmlOptions& options) {
  std::vector<PendingNode> stack;
  stack.push_back({output.root, document.dom, 0});
  std::size_t count = 0;
  while (!stack.empty()) {
    PendingNode pending = stack.back();
    stack.pop_back();
    if (count >= options.max_nodes) {
      document.truncated = true;
      break;
    }
    const GumboNode* node = pending.node;
    switch (node->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        pending.parent.append_child(pugi::node_pcdata).set_value(node->v.text.text);
        ++count;
        break;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE: {
        const GumboElement& element = node->v.element;
        pugi::xml_node target = pending.parent;
        std::size_t depth = pending.depth;
        if (depth < options.max_depth) {
          target = pending.parent.append_child(element_name(element).c_str());
          ++count;
          for (unsigned i = 0; i < element.attributes.length; ++i) {
            auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
            target.append_attribute(attribute->name).set_value(attribute->value);
          }
          ++depth;
        } else {
          document.flattened = true;
        }
        if (!keeps_children(element)) break;
        for (unsigned i = element.children.length; i-- > 0;)
          stack.push_back({static_cast<const GumboNode*>(element.children.data[i]), target, depth});
        break;
      }
      default:  // comments and the document node itself never reach here as children worth keeping
        break;
    }
  }
  document.node_count = count;
}

constexpr std::string_view kDroppedContentElements[] = {"script", "style", "svg", "noscript", "template"};
constexpr std::string_view kVerbatimElements[] = {"pre", "textarea", "listing", "xmp"};

// Appends markup with runs of ASCII whitespace shortened to one character:
// they render as one space anyway, and each is a token to the HTML parser.
void append_collapsed(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t run = i;
    while (run < s.size() && !is_space(s[run])) ++run;
    out.append(s.data() + i, run - i);
    if (run == s.size()) break;
    std::size_t end = run + 1;
    while (end < s.size() && is_space(s[end])) ++end;
    // Keep a newline as the one character: it ends <br>-less lines in plain-text-ish markup.
    char kept = s[run];
    for (std::size_t k = run; k < end; ++k)
      if (s[k] == '\n') kept = '\n';
    out.push_back(kept == '\r' || kept == '\f' || kept == '\t' ? ' ' : kept);
    i = end;
  }
}

std::string_view element_at(std::string_view s, std::size_t lt, const auto& names) {
  for (std::string_view name : names) {
    if (!iequals_ascii(s.substr(lt + 1, name.size()), name)) continue;
    auto after = lt + 1 + name.size();
    if (after < s.size() && (is_space(s[after]) || s[after] == '>' || s[after] == '/')) return name;
  }
  return {};
}

}  // namespace

std::string drop_raw_text_content(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t copied = 0;  // s[copied..] not yet copied
  std::size_t i = 0;
  while (true) {
    auto lt = s.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= s.size()) break;
    if (s.compare(lt, 4, "<!--") == 0) {
      auto end = s.find("-->", lt + 4);
      append_collapsed(out, s.substr(copied, lt - copied));
      copied = i = (end == std::string_view::npos) ? s.size() : end + 3;
      continue;
    }
    std::string_view dropped = element_at(s, lt, kDroppedContentElements);
    std::string_view verbatim = dropped.empty() ? element_at(s, lt, kVerbatimElements) : std::string_view{};
    if (dropped.empty() && verbatim.empty()) {
      i = lt + 1;
      continue;
    }
    auto gt = s.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string_view start_tag = s.substr(lt, gt + 1 - lt);
    bool self_closed = start_tag.size() >= 2 && start_tag[start_tag.size() - 2] == '/' && dropped == "svg";
    bool json_ld = dropped == "script" && lower_ascii(start_tag).find("ld+json") != std::string::npos;
    std::string_view name = dropped.empty() ? verbatim : dropped;
    auto end = self_closed ? std::string_view::npos : find_raw_text_end(s, gt + 1, name);
    if (self_closed || json_ld || !verbatim.empty()) {
      // Kept as written: JSON-LD is read by structured metadata; <pre> keeps its spacing.
      append_collapsed(out, s.substr(copied, lt - copied));
      std::size_t keep_to = self_closed ? gt + 1 : end == std::string_view::npos ? s.size() : end;
      out.append(s.substr(lt, keep_to - lt));
      copied = i = keep_to;
      continue;
    }
    append_collapsed(out, s.substr(copied, gt + 1 - copied));
    if (end == std::string_view::npos) {  // unterminated: the rest of the page is its content
      copied = i = s.size();
      break;
    }
    copied = i = end;  // the end tag itself is copied with what follows
  }
  append_collapsed(out, s.substr(std::min(copied, s.size())));
  return out;
}

std::size_t tag_end(std::string_view text, std::size_t pos) {
  char quote = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i;
    } else if (c == '<') {
      return std::string_view::npos;  // an unterminated tag running into the next one
    }
  }
  return std::string_view::npos;
}

std::size_t find_raw_text_end(std::string_view markup, std::size_t from, std::string_view lower_name) {
  for (auto lt = markup.find('<', from); lt != std::string_view::npos; lt = markup.find('<', lt + 1)) {
    auto after = lt + 2 + lower_name.size();
    if (after > markup.size() || markup[lt + 1] != '/' ||
        !iequals_ascii(markup.substr(lt + 2, lower_name.size()), lower_name))
      continue;
    if (after == markup.size() || is_space(markup[after]) || markup[after] == '>' || markup[after] == '/') return lt;
  }
  return std::string_view::npos;
}

std::string_view to_string(CharsetSource source) {
  switch (source) {
    case CharsetSource::bom: return "bom";
    case CharsetSource::http: return "http";
    case CharsetSource::meta: return "meta";
    case CharsetSource::detected: return "detected";
    case CharsetSource::assumed: return "assumed";
  }
  return "assumed";
}

std::string_view to_string(HtmlError error) {
  switch (error) {
    case HtmlError::empty: return "empty";
    case HtmlError::too_large: return "too_large";
    case HtmlError::binary: return "binary";
    case HtmlError::unparsable: return "unparsable";
  }
  return "unparsable";
}

CharsetDecision detect_html_charset(std::string_view bytes, std::string_view content_type) {
  if (auto bom = sniff_bom(bytes)) return {lower_ascii(bom->charset), CharsetSource::bom};
  CharsetDecision declared;
  if (auto http = charset_from_content_type(content_type); !http.empty()) declared = {lower_ascii(http), CharsetSource::http};
  else if (auto meta = prescan_meta_charset(bytes); !meta.empty()) declared = {meta, CharsetSource::meta};
  if (!declared.charset.empty()) {
    bool maybe_stale = declared.charset != "utf-8" && declared.charset != "utf8";  // saves the census on UTF-8 pages
    if (maybe_stale && is_mislabelled_utf8(declared.charset, utf8_census(bytes))) return {"utf-8", CharsetSource::detected};
    return declared;
  }
  auto sample = bytes.substr(0, std::min(bytes.size(), kDetectorSampleBytes));
  bool non_ascii = false;
  // Valid UTF-8 with non-ASCII text is UTF-8 for all practical purposes and
  // cheaper to confirm than to detect.
  if (looks_like_utf8(sample, non_ascii)) return {"utf-8", non_ascii ? CharsetSource::detected : CharsetSource::assumed};
  auto detected = CharsetDetector().detect(sample);
  if (detected.empty() || detected == "ascii") return {"utf-8", CharsetSource::assumed};
  return {detected, CharsetSource::detected};
}

#if NEWSD_HAVE_LIBXML2
namespace {

// Owns a libxml2 document for the duration of the copy.
class LibXmlParse {
 public:
  explicit LibXmlParse(std::string_view utf8) {
    // Recover from errors silently, never touch the network, allow deep trees
    // (the copy flattens them), keep text nodes compact.
    int flags = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                HTML_PARSE_COMPACT | XML_PARSE_HUGE;
    if (utf8.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()))
      doc_ = htmlReadMemory(utf8.data(), static_cast<int>(utf8.size()), nullptr, "UTF-8", flags);
  }
  ~LibXmlParse() {
    if (doc_ != nullptr) xmlFreeDoc(doc_);
  }
  LibXmlParse(const LibXmlParse&) = delete;
  LibXmlParse& operator=(const LibXmlParse&) = delete;
  xmlNode* root() const { return doc_ != nullptr ? xmlDocGetRootElement(doc_) : nullptr; }

 private:
  htmlDocPtr doc_ = nullptr;
};

const char* text_of(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

bool keeps_children(const xmlNode* element) {
  std::string_view name = text_of(element->name);
  if (name == "style" || name == "noscript" || name == "template") return false;
  if (name != "script") return true;
  for (const xmlAttr* a = element->properties; a != nullptr; a = a->next)
    if (std::string_view(text_of(a->name)) == "type" && a->children != nullptr &&
        std::string_view(text_of(a->children->content)).find("ld+json") != std::string_view::npos)
      return true;
  return false;
}

struct PendingXmlNode {
  const xmlNode* node;
  pugi::xml_node parent;
  std::size_t depth;
};

// The libxml2 tree into pugixml, with the same flattening and node cap as
// the gumbo copy.
void copy_tree(const xmlNode* root, HtmlDocument& document, const HtmlOptions& options) {
  std::vector<PendingXmlNode> stack{{root, document.dom, 0}};
  std::size_t count = 0;
  std::string value;
  while (!stack.empty()) {
    PendingXmlNode pending = stack.back();
    stack.pop_back();
    if (count >= options.max_nodes) {
      document.truncated = true;
      break;
    }
    const xmlNode* node = pending.node;
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
      pending.parent.append_child(pugi::node_pcdata).set_value(text_of(node->content));
      ++count;
      continue;
    }
    if (node->type != XML_ELEMENT_NODE) continue;
    pugi::xml_node target = pending.parent;
    std::size_t depth = pending.depth;
    if (depth < options.max_depth) {
      target = pending.parent.append_child(text_of(node->name));
      ++count;
      for (const xmlAttr* a = node->properties; a != nullptr; a = a->next) {
        value.clear();
        for (const xmlNode* part = a->children; part != nullptr; part = part->next) value += text_of(part->content);
        target.append_attribute(text_of(a->name)).set_value(value.c_str());
      }
      ++depth;
    } else {
      document.flattened = true;
    }
    if (!keeps_children(node)) continue;
    std::size_t first = stack.size();
    for (const xmlNode* child = node->children; child != nullptr; child = child->next)
      stack.push_back({child, target, depth});
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first), stack.end());
  }
  document.node_count = count;
}

}  // namespace
#endif

bool html_parser_available(HtmlParser parser) { return parser != HtmlParser::libxml2 || NEWSD_HAVE_LIBXML2; }

namespace {

// gumbo's tree construction scans the stack of open elements for every tag,
// so 100,000 unclosed levels take minutes. Before gumbo sees a page, start
// and end tags nested deeper than this (counted naively: start tags minus end
// tags, void elements aside) are taken out; their text stays.
constexpr std::size_t kGumboMaxNesting = 2048;

constexpr std::string_view kVoidElements[] = {"area", "base", "br", "col", "embed", "hr", "img", "input",
                                              "link", "meta", "source", "track", "wbr", "param", "keygen"};

bool is_void_element(std::string_view s, std::size_t name_start) {
  auto end = name_start;
  while (end < s.size() && !is_space(s[end]) && s[end] != '>' && s[end] != '/') ++end;
  std::string name = lower_ascii(s.substr(name_start, end - name_start));
  return std::find(std::begin(kVoidElements), std::end(kVoidElements), name) != std::end(kVoidElements);
}

// The markup with tags nested deeper than `max_depth` removed; empty when
// nothing is that deep (the common case costs one scan and no copy).
std::string cap_nesting(std::string_view s, std::size_t max_depth) {
  std::string out;
  std::size_t depth = 0, copied = 0;
  bool capping = false;
  for (auto lt = s.find('<'); lt != std::string_view::npos && lt + 1 < s.size(); lt = s.find('<', lt + 1)) {
    char c = s[lt + 1];
    bool end_tag = c == '/';
    bool start_tag = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!end_tag && !(start_tag && !is_void_element(s, lt + 1))) continue;
    bool too_deep = end_tag ? depth > max_depth : depth + 1 > max_depth;
    if (end_tag && depth > 0) --depth;
    if (start_tag) ++depth;
    if (!too_deep) continue;
    auto gt = s.find('>', lt);
    if (gt == std::string_view::npos) break;
    if (!capping) {
      out.reserve(s.size());
      capping = true;
    }
    out.append(s.substr(copied, lt - copied));
    copied = gt + 1;
    lt = gt;
  }
  if (!capping) return {};
  out.append(s.substr(copied));
  return out;
}

}  // namespace

HtmlParseResult parse_html_utf8(std::string_view utf8, const HtmlOptions& options) {
  HtmlParseResult result;
  if (options.parser == HtmlParser::native) {
    auto document = std::make_unique<HtmlDocument>();
    document->charset = {"utf-8", CharsetSource::assumed};
    build_html_tree(utf8, *document, options);
    result.document = std::move(document);
    return result;
  }
#if NEWSD_HAVE_LIBXML2
  if (options.parser == HtmlParser::libxml2) {
    LibXmlParse parse(utf8);
    auto document = std::make_unique<HtmlDocument>();
    document->charset = {"utf-8", CharsetSource::assumed};
    if (const xmlNode* root = parse.root()) {
      copy_tree(root, *document, options);
    } else {
      // libxml2 returns no document for markup-free text; an empty page is still a page.
      document->dom.append_child("html").append_child("body");
    }
    result.document = std::move(document);
    return result;
  }
#endif
  std::string capped = cap_nesting(utf8, kGumboMaxNesting);
  GumboParse parse(capped.empty() ? utf8 : std::string_view(capped));
  if (parse.output() == nullptr || parse.output()->root == nullptr) {
    result.error = HtmlError::unparsable;
    result.detail = "the HTML parser returned no tree";
    return result;
  }
  auto document = std::make_unique<HtmlDocument>();
  document->charset = {"utf-8", CharsetSource::assumed};
  copy_tree(*parse.output(), *document, options);
  document->flattened = document->flattened || !capped.empty();
  result.document = std::move(document);
  return result;
}

HtmlParseResult parse_html(std::string_view bytes, std::string_view content_type, const HtmlOptions& options) {
  HtmlParseResult result;
  if (bytes.empty()) {
    result.error = HtmlError::empty;
    result.detail = "no bytes";
    return result;
  }
  if (bytes.size() > options.max_bytes) {
    result.error = HtmlError::too_large;
    result.detail = "page of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                    std::to_string(options.max_bytes);
    return result;
  }
  auto charset = detect_html_charset(bytes, content_type);
  if (charset.source != CharsetSource::bom && is_binary(bytes)) {
    result.error = HtmlError::binary;
    result.detail = "the bytes are not text";
    return result;
  }
  std::string_view payload = bytes;
  if (charset.source == CharsetSource::bom) payload.remove_prefix(sniff_bom(bytes)->length);
  // Markup delimiters are ASCII in every charset pages use except UTF-16/32
  // and the ISO-2022 family, so the raw-text content can go before decoding,
  // and the decoder sees a third of the bytes.
  bool ascii_delimiters = charset.charset.rfind("utf-16", 0) != 0 && charset.charset.rfind("utf-32", 0) != 0 &&
                          charset.charset.rfind("iso-2022", 0) != 0;
  std::string utf8;
  if (options.parser == HtmlParser::native) utf8 = to_utf8(payload, charset.charset);  // it skips raw text itself
  else if (ascii_delimiters) utf8 = to_utf8(drop_raw_text_content(payload), charset.charset);
  else utf8 = drop_raw_text_content(to_utf8(payload, charset.charset));
  result = parse_html_utf8(utf8, options);
  if (result.document) result.document->charset = std::move(charset);
  return result;
}

namespace {

// Accumulates inline text into paragraphs while walking a subtree.
class ParagraphBuilder {
 public:
  ParagraphBuilder(NodeFilter skip, const void* context) : skip_(skip), context_(context) {}

  void walk(pugi::xml_node node) {
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
        current_ += child.value();
        continue;
      }
      if (child.type() != pugi::node_element) continue;
      std::string_view name = child.name();
      if (is_non_content_element(name)) continue;
      if (skip_ != nullptr && skip_(child, context_)) continue;
      // Inline elements add nothing: browsers render <b>a</b>b as "ab".
      // Cells of a row are words apart; the row ends the paragraph.
      const bool cell = is_table_cell(name);
      const bool block = !cell && is_block_element(name);
      if (block) flush();
      if (cell) current_ += ' ';
      walk(child);
      if (block) flush();
      if (cell) current_ += ' ';
    }
  }

  std::vector<std::string> finish() {
    flush();
    return std::move(paragraphs_);
  }

 private:
  void flush() {
    if (current_.empty()) return;
    auto text = normalize_whitespace(current_);
    if (!text.empty()) paragraphs_.push_back(std::move(text));
    current_.clear();
  }

  NodeFilter skip_;
  const void* context_;
  std::string current_;
  std::vector<std::string> paragraphs_;
};

}  // namespace

std::string dom_text(pugi::xml_node node) {
  ParagraphBuilder builder(nullptr, nullptr);
  builder.walk(node);
  std::string out;
  for (auto& paragraph : builder.finish()) {
    if (!out.empty()) out += ' ';
    out += paragraph;
  }
  return out;
}

std::vector<std::string> dom_paragraphs(pugi::xml_node node, NodeFilter skip, const void* context) {
  ParagraphBuilder builder(skip, context);
  builder.walk(node);
  return builder.finish();
}

}  // namespace newsd::parsers
