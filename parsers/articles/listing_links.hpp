#pragma once
// A section (listing) page's article links: what `kind = "html"` sources
// publish. Pure.
#include <string>
#include <string_view>
#include <vector>

#include "parsers/articles/site_template.hpp"

namespace newsd::parsers {

// Article links on a listing page: the template's article_links when one
// applies, else a heuristic (same site, article-like paths; no navigation,
// tag, category, author, pagination, feed or share links). Absolute URLs,
// each once, in page order. Pure.
std::vector<std::string> find_article_links(std::string_view page_utf8_or_bytes,
                                            std::string_view content_type,
                                            std::string_view page_url,
                                            const SiteTemplateSet& templates,
                                            std::string_view template_name);

// Whether a URL path looks like an article rather than navigation. Pure.
bool looks_like_article_path(std::string_view url, std::string_view site_host);

}  // namespace newsd::parsers
