#pragma once
// The recovery pre-pass for feeds that are not well-formed XML: the repairs
// that are safe to make on the text before an XML parser sees it, and the
// parse that applies them (shared by the feed and sitemap readers). Pure.
#include <string>
#include <string_view>

#include <pugixml.hpp>

namespace newsd::parsers {

// A document after repair_xml().
struct XmlRepair {
  std::string text;   // the repaired document, UTF-8
  std::string notes;  // what was repaired, "; "-separated; empty when nothing needed it
};

// Takes a UTF-8 document and:
// - strips junk before the XML declaration (a PHP warning, a stray byte),
// - decodes HTML named entities XML does not define (&nbsp; &hellip;) to UTF-8,
// - escapes bare '&' and references to entities nobody defines,
// - maps numeric references to windows-1252 C1 code points (&#150;) to the
//   characters browsers show, and drops references to characters XML forbids.
// CDATA sections, comments, processing instructions and the DOCTYPE are left
// alone, so markup carried in CDATA is kept byte for byte.
XmlRepair repair_xml(std::string text);

// The second line of recovery, for a document the XML parser still rejected:
// rebalances its tags. An end tag that closes nothing open is dropped; one
// that closes an ancestor first closes the elements left open inside it; a
// '<' that starts no tag is escaped; a document that stops mid-way (truncated)
// loses its unfinished tag and gets its open elements closed. Linear time.
XmlRepair balance_tags(std::string_view text);

// How parse_recovered_xml() went.
struct XmlRecovery {
  std::string notes;    // what was repaired and where the parser gave up; empty for a well-formed document
  bool has_markup = false;  // the text holds a '<' at all
  std::string failure;  // why there is no root element, when there is none
};

// Parses a UTF-8 document into `document` after repair_xml(); when pugixml
// still rejects it, parses balance_tags()' output instead; when even that
// fails, keeps what was read before the error. The DOCTYPE is skipped, never
// expanded, so entity bombs and external entities are inert.
XmlRecovery parse_recovered_xml(std::string utf8_document, pugi::xml_document& document);

}  // namespace newsd::parsers
