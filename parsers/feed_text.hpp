#pragma once
// Field-level reading shared by the XML and JSON feed readers: people from
// "email (Name)" strings, dates, the first image of an HTML fragment. Pure.
#include <string>
#include <string_view>

#include "parsers/feed.hpp"

namespace newsd::parsers {

// "Name (email)", "email (Name)", "Name <email>", "email", "Name".
Person parse_person(std::string_view text);

// The date as written (trimmed) and, when it names one, the instant.
FeedDate make_feed_date(std::string_view raw);

// The src of the first <img> in an HTML fragment; empty when there is none.
// A cheap scan, not a parse: it is run on every item without an image.
std::string first_image_src(std::string_view html);

// Leading and trailing ASCII whitespace removed.
std::string_view trim_ascii(std::string_view text);

}  // namespace newsd::parsers
