#pragma once
// The XML half of parse_feed(): RSS 0.90-0.94 and 2.0, RSS 1.0 (RDF), Atom 0.3
// and 1.0 read with pugixml into a Feed, after the recovery pre-pass of
// xml_recovery.hpp. Pure.
#include <string>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

// Reads a feed from a document already decoded to UTF-8. `notes` are repairs
// made before (charset mistakes); they end up in Feed::malformed.
FeedResult read_xml_feed(std::string utf8_document, const FeedSource& source, std::string notes);

}  // namespace newsd::parsers
