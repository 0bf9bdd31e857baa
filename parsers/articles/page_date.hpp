#pragma once
// Visible dates as article pages print them: "20 أيار 2021", "١٩ مايو ٢٠٢١ - ٩:١٢ م",
// "منذ ساعتين", "May 19, 2021 9:12 PM EDT", "19. Mai 2021, 21:12 Uhr",
// "19/05/2021". Standard forms (ISO 8601, RFC 822) go through parse_feed_date.
// Pure: relative forms are resolved against the `now` the caller passes.
#include <chrono>
#include <optional>
#include <string_view>

#include <pugixml.hpp>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {

struct PageDateContext {
  TimePoint now{};                          // the fetch time; resolves "2 hours ago" and a missing year
  std::chrono::minutes utc_offset{0};       // the site's zone, for dates printed without one
};

// The instant a visible date names, with the offset it was printed in (else
// the site's zone; Z for relative dates, resolved against `now`), or empty
// when the text holds no date.
std::optional<StatedTime> parse_page_date(std::string_view text, const PageDateContext& context);

// The date printed next to the page's headline `h1`, for pages that mark it
// up with nothing a parser can find (no <time>, no date class, no metadata):
// the first short text after it (within a few dozen text nodes, so the
// byline and not the body), else just before it (a dateline above the
// headline), that reads as a date between 1995 and the fetch time.
std::optional<StatedTime> date_near_headline(pugi::xml_node h1, const PageDateContext& context);

}  // namespace newsd::parsers
