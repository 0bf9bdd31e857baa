// parse_feed(): bytes to UTF-8 (charset per RFC 7303, document_decoder.hpp),
// then the format by content alone: JSON Feed when the document is a JSON
// object, else XML.
#include "parsers/text/ascii.hpp"
#include "parsers/feeds/document_decoder.hpp"
#include "parsers/feeds/feed.hpp"
#include "parsers/feeds/feed_text.hpp"
#include "parsers/feeds/json_feed_reader.hpp"
#include "parsers/feeds/xml_feed_reader.hpp"

namespace newsd::parsers {

std::string_view to_string(FeedError error) {
  switch (error) {
    case FeedError::empty:
      return "empty";
    case FeedError::not_a_feed:
      return "not_a_feed";
    case FeedError::unreadable:
      return "unreadable";
  }
  return "unknown";
}

FeedResult parse_feed(std::string_view bytes, const FeedSource& source) {
  if (trim_ascii(bytes).empty()) {
    FeedResult result;
    result.error = FeedError::empty;
    result.detail = "no bytes";
    return result;
  }
  DecodedDocument document = decode_document(bytes, source);
  const std::string_view text = trim_ascii(document.text);
  if (text.empty()) {
    FeedResult result;
    result.error = FeedError::empty;
    result.detail = "no text after decoding";
    return result;
  }
  if (text.front() == '{') {
    FeedResult result = read_json_feed(text, source);
    if (result.feed) result.feed->malformed = std::move(document.notes);
    return result;
  }
  return read_xml_feed(std::move(document.text), source, std::move(document.notes));
}

}  // namespace newsd::parsers
