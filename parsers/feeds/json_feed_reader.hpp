#pragma once
// The JSON half of parse_feed(): JSON Feed 1.0 and 1.1 (jsonfeed.org) read
// with Boost.JSON into a Feed. Pure.
#include <string_view>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

FeedResult read_json_feed(std::string_view utf8_document, const FeedSource& source);

}  // namespace newsd::parsers
