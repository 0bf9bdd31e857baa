#pragma once
// Feed and sitemap bytes to UTF-8 text: a byte-order mark, then UTF-16/32
// sniffed from how '<' is encoded, then the HTTP charset for XML media types
// (RFC 7303), the XML declaration, the HTTP charset; stale labels on UTF-8
// bytes are overruled and undeclared legacy bytes are guessed. Pure.
#include <string>
#include <string_view>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

struct DecodedDocument {
  std::string text;   // valid UTF-8
  std::string notes;  // charset mistakes found, "; "-separated; empty when none
};

DecodedDocument decode_document(std::string_view bytes, const FeedSource& source);

}  // namespace newsd::parsers
