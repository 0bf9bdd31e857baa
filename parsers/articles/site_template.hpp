#pragma once
// SiteTemplate: declarative extraction rules for one site or one theme,
// written in TOML (see templates/*.toml): XPath 1.0 or simple CSS selectors
// for each article field, the nodes to drop from the body, and which pages it
// applies to (hosts, or an XPath that recognises the theme). SiteTemplateSet
// owns the loaded templates and picks the one that applies to a page. The
// templates are parsed once at start-up; applying one is pure and read-only.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

namespace newsd::parsers {

// One compiled selector, with the text it was written as (for errors and logs).
struct TemplateSelector {
  std::string source;        // as written in the template
  pugi::xpath_query query;   // compiled XPath (CSS is translated first)
};

using SelectorList = std::vector<TemplateSelector>;  // tried in order; the first that yields something wins

struct SiteTemplate {
  std::string name;                       // "wafaamagazine"; extraction.method is "template:" + name
  std::vector<std::string> hosts;         // "example.com" also matches its subdomains
  SelectorList detect;                    // applies to any host whose page matches one of these
  std::chrono::minutes utc_offset{0};     // zone of visible dates printed without one
  SelectorList title, body, authors, published, updated, section, breadcrumbs, tags, image, site_name, summary;
  SelectorList drop;                      // removed from the body (ads, share buttons, related posts...)
  SelectorList article_links;             // on section/listing pages: links to articles
};

struct TemplateParseResult {
  std::optional<SiteTemplate> site_template;
  std::vector<std::string> errors;        // "origin:line:column: what was expected", all of them
};

// Parses one template; `origin` names it in errors (usually its file path).
TemplateParseResult parse_site_template(std::string_view toml_text, std::string_view origin);

// A CSS selector (type, .class, #id, [attr], [attr=v], [attr*=v], [attr^=v],
// [attr$=v], descendant and child combinators, "," groups) as XPath 1.0.
// Empty optional when the selector uses something else.
std::optional<std::string> css_to_xpath(std::string_view css);

class SiteTemplateSet {
 public:
  void add(SiteTemplate site_template);

  // The template for a page: by name when the source names one, else by the
  // URL's host, else the first whose `detect` selectors match the page.
  const SiteTemplate* find(std::string_view name) const;
  const SiteTemplate* match(std::string_view url, const pugi::xml_document& dom) const;

  std::size_t size() const { return templates_.size(); }
  bool empty() const { return templates_.empty(); }

 private:
  std::vector<SiteTemplate> templates_;
};

// What a template's selectors found on a page, as text; dates still as
// printed (the extractor parses them against the fetch time).
struct TemplateFields {
  std::string title;
  std::vector<std::string> body;          // paragraphs, dropped nodes left out
  std::vector<std::string> authors;
  std::string published;
  std::string updated;
  std::string section;
  std::vector<std::string> breadcrumbs;
  std::vector<std::string> tags;
  std::string image;                      // as written (may be relative)
  std::string site_name;
  std::string summary;
};

TemplateFields apply_site_template(const SiteTemplate& site_template, const pugi::xml_document& dom);

// The article links a listing page holds by the template's article_links
// selectors (hrefs as written; may be relative).
std::vector<std::string> template_article_links(const SiteTemplate& site_template, const pugi::xml_document& dom);

}  // namespace newsd::parsers
