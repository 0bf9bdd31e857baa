#pragma once
// HtmlDocument: an HTML page turned into a pugixml DOM that XPath can query.
// parse_html() decodes the bytes to UTF-8 in the WHATWG order (BOM, HTTP
// charset, <meta charset> / http-equiv in the first bytes, then uchardet) and
// builds the pugixml tree with newsd's own tree builder (or gumbo / libxml2,
// whose trees are copied into pugixml). The
// caller owns the returned document; nothing refers back to the input bytes.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace newsd::parsers {

// Which HTML parser builds the tree. All three end in the same pugixml DOM.
enum class HtmlParser {
  gumbo,    // HTML5 tree construction (the spec's algorithm); slower, and quadratic in nesting depth
  libxml2,  // libxml2's HTML parser (HTML4-era repair rules)
  native,   // newsd's own tokenizer and tree builder (html_tree_builder.hpp): the fastest, and linear on any input
};

// True when this build has the parser (only HtmlParser::libxml2 can be missing; it falls back to gumbo).
bool html_parser_available(HtmlParser parser);

// How pages are parsed, and the bounds that keep hostile pages (10 MB of
// tags, 10,000 nested levels, binary served as text/html) from costing
// unbounded time or memory.
struct HtmlOptions {
  std::size_t max_bytes = 16u << 20;      // larger inputs are refused (too_large)
  std::size_t max_depth = 256;            // deeper elements are flattened into their ancestor at this depth
  std::size_t max_nodes = 1'000'000;      // elements + texts copied into the DOM; the rest is dropped
  HtmlParser parser = HtmlParser::native;
};

// Where the charset decision came from, for logs and the extraction detail.
enum class CharsetSource { bom, http, meta, detected, assumed };
std::string_view to_string(CharsetSource source);

struct CharsetDecision {
  std::string charset;   // lower-case label, e.g. "utf-8", "windows-1256"
  CharsetSource source = CharsetSource::assumed;
};

// The charset of page bytes in the WHATWG order. Pure.
CharsetDecision detect_html_charset(std::string_view bytes, std::string_view content_type);

enum class HtmlError {
  empty,        // no bytes
  too_large,    // more than HtmlOptions::max_bytes
  binary,       // the bytes are not text (NULs, image/zip/pdf magic...)
  unparsable,   // the HTML parser gave up (out of memory)
};
std::string_view to_string(HtmlError error);

struct HtmlDocument {
  pugi::xml_document dom;      // <html> is dom.document_element()
  CharsetDecision charset;
  bool flattened = false;      // nesting deeper than max_depth was flattened
  bool truncated = false;      // max_nodes was reached; the tail of the page is missing
  std::size_t node_count = 0;
};

struct HtmlParseResult {
  std::unique_ptr<HtmlDocument> document;  // set on success
  HtmlError error{};                       // meaningful only when !document
  std::string detail;
};

// Decodes and parses a page. content_type is the HTTP Content-Type (may be empty).
HtmlParseResult parse_html(std::string_view bytes, std::string_view content_type,
                           const HtmlOptions& options = {});

// Already-UTF-8 markup into a DOM (used for fragments and by tests).
HtmlParseResult parse_html_utf8(std::string_view utf8, const HtmlOptions& options = {});

// The markup with the content of script (except JSON-LD), style, svg,
// noscript and template elements and of comments removed, the elements
// themselves kept with their attributes. None of it is ever article text,
// and it is often most of a page's bytes, which gumbo's and libxml2's
// tokenizers would otherwise walk one character at a time. (The native parser
// skips this content itself and does not need it.)
std::string drop_raw_text_content(std::string_view utf8);

// Where the "</name" closing a raw-text element (script, style, title...)
// starts in `markup`, searching from `from`: the name (given in lower case)
// matched in any case and followed by '>', '/', a space or the end. npos
// when the element is never closed.
std::size_t find_raw_text_end(std::string_view markup, std::size_t from, std::string_view lower_name);

// The '>' closing a tag whose name ends before `pos`, skipping quoted
// attribute values; npos when the markup ends, or another '<' comes, first
// (an unterminated tag running into the next one).
std::size_t tag_end(std::string_view markup, std::size_t pos);

// Text of a DOM subtree as one line: entities already decoded by the parser,
// directional marks stripped, whitespace normalised. Skips script/style etc.
std::string dom_text(pugi::xml_node node);

// Text of a DOM subtree as paragraphs: block elements (p, div, li, h1-h6,
// br, tr, ...; html_elements.hpp) end a paragraph, table cells are words apart; each paragraph whitespace-normalised, empty ones
// dropped. `skip` (optional) says which elements to leave out entirely.
using NodeFilter = bool (*)(pugi::xml_node, const void* context);
std::vector<std::string> dom_paragraphs(pugi::xml_node node, NodeFilter skip = nullptr,
                                        const void* context = nullptr);

}  // namespace newsd::parsers
