#pragma once
// Article extraction: page bytes + URL + headers in, an Article out. The
// order is a site template when one applies (extraction.method
// "template:NAME"), then structured data ("jsonld": the page's JSON-LD
// article carries the body), then the generic main-content scorer
// ("generic"); metadata a template does not give is filled from structured
// data. Pure: the fetch time is passed in, templates are read-only.
#include <string>
#include <string_view>

#include "parsers/articles/article.hpp"
#include "parsers/html/html_document.hpp"
#include "parsers/articles/site_template.hpp"

namespace newsd::parsers {

struct PageInput {
  std::string_view bytes;
  std::string url;            // where the page was fetched from (after redirects); may be empty
  std::string content_type;   // HTTP Content-Type, may carry charset=
  TimePoint fetched_at{};     // resolves relative dates ("منذ ساعتين")
  std::string source;         // configured source id, copied into the article
  std::string template_name;  // the source's configured template; empty: match by host / theme
  bool url_is_final = false;  // `url` is the article's identity (newsd extract --url): <link rel=canonical> does not replace it
};

struct ExtractOptions {
  HtmlOptions html;
  const SiteTemplateSet* templates = nullptr;  // not owned; may be null
};

enum class ExtractError {
  empty,        // no bytes
  too_large,    // over HtmlOptions::max_bytes
  binary,       // not text
  unparsable,   // no DOM could be built
};
std::string_view to_string(ExtractError error);

struct ExtractResult {
  std::optional<Article> article;  // set on success; article->body is empty when the page has no article text
  ExtractError error{};            // meaningful only when !article
  std::string detail;              // why it failed, or notes on a success (charset, flattening)
};

ExtractResult extract_article(const PageInput& page, const ExtractOptions& options = {});

// Extraction from an already-built DOM (lets benchmarks time the parse separately).
Article extract_article_from_dom(const HtmlDocument& document, const PageInput& page, const ExtractOptions& options);

}  // namespace newsd::parsers
