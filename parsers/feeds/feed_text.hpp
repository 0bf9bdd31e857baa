#pragma once
// Field-level reading shared by the XML and JSON feed readers: people from
// "email (Name)" strings, dates, the first image of an HTML fragment. Pure.
#include <string>
#include <string_view>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

// "Name (email)", "email (Name)", "Name <email>", "email", "Name".
Person parse_person(std::string_view text);

// The date as written (trimmed) and, when it names one, the instant.
FeedDate make_feed_date(std::string_view raw);

// The src of the first <img> in an HTML fragment; empty when there is none.
// A cheap scan, not a parse: it is run on every item without an image.
std::string first_image_src(std::string_view html);

// Text with its C1 controls (U+0080..U+009F) read the way browsers read them.
// They never stand for themselves in a feed: they come from &#146; (which
// HTML reads through windows-1252 as U+2019) or from windows-1252 bytes
// decoded as Latin-1, and a run of them with Latin-1 letters is usually UTF-8
// decoded as Latin-1 ("&#226;&#128;&#166;" for "…"). Such a run is decoded as
// the UTF-8 it spells when it spells valid UTF-8; otherwise each control is
// mapped through windows-1252. Text without C1 controls is returned as is.
std::string repair_c1_controls(std::string text);

// Leading and trailing ASCII whitespace removed.
std::string_view trim_ascii(std::string_view text);

}  // namespace newsd::parsers
