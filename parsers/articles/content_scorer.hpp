#pragma once
// ContentScorer: finds a page's main text without knowing the site, in the
// manner of readability and trafilatura. Elements are scored bottom-up from
// their paragraphs (text length, commas, link density) and their class/id
// hints; the best container and its related siblings are kept, then
// boilerplate inside them (share bars, related links, ads, captions of
// widgets, high-link-density blocks) is left out. Pure and read-only on the DOM.
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace newsd::parsers {

struct MainContent {
  pugi::xml_node container;                // the top candidate (empty when nothing scored)
  std::vector<std::string> paragraphs;     // the body, boilerplate removed
  double score = 0;
};

struct ContentHints {
  std::string_view title;                  // a heading equal to the title is not part of the body
};

MainContent find_main_content(const pugi::xml_document& dom, const ContentHints& hints = {});

// Picks between the DOM's main content and a JSON-LD articleBody: the DOM
// keeps paragraph breaks and is preferred unless it clearly missed the text.
std::string choose_body(const std::vector<std::string>& dom_paragraphs, std::string_view json_ld_body);

// Number of Unicode code points that are not whitespace (a length that
// treats Arabic and Latin alike).
std::size_t visible_length(std::string_view text);

}  // namespace newsd::parsers
