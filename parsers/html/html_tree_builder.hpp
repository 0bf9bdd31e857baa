#pragma once
// HtmlTreeBuilder: newsd's own HTML tokenizer and tree builder
// (HtmlParser::native). One pass over UTF-8 markup that builds the pugixml
// DOM directly, with the conventions of the libxml2 and gumbo copies: lower-case
// names, decoded attribute values, text as node_pcdata, no comments, the
// content of script (except JSON-LD), style, svg, noscript, template, iframe,
// noembed and noframes skipped (xmp and plaintext content is kept as literal
// text, since browsers show it), <html> holding <head> and <body>.
//
// It is not the HTML5 tree-construction algorithm: it keeps the implied end
// tags that shape article text (p, li, dt/dd, option, table rows and cells,
// head) and scoped end tags (a stray </span> does not close a <div>, a stray
// </div> does not close a table cell), and leaves out what only changes the
// look of a page (foster parenting, reconstruction of formatting elements).
// Every step is O(1) amortised per byte, whatever the nesting or the junk.
#include <string_view>

#include "parsers/html/html_document.hpp"

namespace newsd::parsers {

// Builds `document.dom` (which must be empty) from `utf8`, flattening elements
// nested deeper than options.max_depth and stopping at options.max_nodes;
// sets document.flattened, truncated and node_count. The document keeps no
// reference to `utf8`.
void build_html_tree(std::string_view utf8, HtmlDocument& document, const HtmlOptions& options);

}  // namespace newsd::parsers
