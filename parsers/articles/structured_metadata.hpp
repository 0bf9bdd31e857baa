#pragma once
// StructuredMetadata: what a page says about itself in machine-readable form
// — JSON-LD (NewsArticle, Article, ReportageNewsArticle, ... also inside
// @graph), OpenGraph and article:* meta, Dublin Core, itemprop microdata,
// <time datetime>, <html lang>, <link rel=canonical>. Each field holds the
// most trustworthy source's value; empty when the page says nothing. Pure.
#include <optional>
#include <string>
#include <vector>

#include <pugixml.hpp>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

struct StructuredMetadata {
  std::string title;             // JSON-LD headline (else name), <meta name=headline>, og:title, twitter:title, dc.title, itemprop headline
  std::string headline;          // the JSON-LD headline, else <meta name|itemprop="headline">
  std::string og_title;          // og:title alone
  std::string twitter_title;     // twitter:title alone
  std::string document_title;    // <title>
  std::string body;              // JSON-LD articleBody (plain text, as published)
  std::string description;       // og:description, description, JSON-LD description
  std::vector<std::string> authors;
  std::optional<StatedTime> published_at;
  std::optional<StatedTime> updated_at;
  std::string section;
  std::vector<std::string> breadcrumbs;  // JSON-LD BreadcrumbList, else breadcrumb markup (nav#breadcrumb, .breadcrumb...)
  std::vector<std::string> tags;
  std::string image;
  std::string site_name;
  std::string language;          // primary BCP 47 subtag, lower-case ("ar", "en")
  std::string canonical_url;     // <link rel=canonical>, else og:url (as written; may be relative)
  bool has_article_jsonld = false;  // a JSON-LD object of an article type was found
  // Elements that look like a printed date (<time>, class or id with
  // date/time/publish), in document order, for the extractor to parse when
  // the metadata gives no date. They point into the DOM that was read.
  std::vector<pugi::xml_node> date_elements;
  // Elements that may print the headline: <h1>, <h2> and itemprop=headline,
  // in document order (at most kMaxHeadingElements), for the extractor to
  // choose from. They point into the DOM that was read.
  std::vector<pugi::xml_node> heading_elements;
};

inline constexpr std::size_t kMaxHeadingElements = 256;

StructuredMetadata read_structured_metadata(const pugi::xml_document& dom);

// "ar_LB", "en-US", "EN" -> "ar", "en"; empty when it is not a language tag.
std::string primary_language(std::string_view tag);

// Splits a byline ("By A and B", "A, B & C") into names; drops URLs and handles.
std::vector<std::string> split_authors(std::string_view byline);

}  // namespace newsd::parsers
