#pragma once
// Plain text out of an HTML fragment (a feed item's content or description):
// tags dropped, entities decoded, block elements (p, div, br, li, h1-h6,
// blockquote...) become paragraph breaks; script/style dropped. Paragraphs are
// whitespace-normalised and joined by "\n\n". Pure function.
#include <string>
#include <string_view>

namespace newsd::parsers {

std::string html_fragment_to_text(std::string_view html);

// Collapses runs of Unicode whitespace to one space, trims both ends, drops
// bidi controls (LRM, RLM, ALM, embeddings, isolates) and returns the text in
// Unicode Normalization Form C.
std::string normalize_whitespace(std::string_view text);

}  // namespace newsd::parsers
