#pragma once
// Instants as texts state them, and back: the dates feeds, pages and HTTP
// headers write (RFC 822 / 1123 and their sloppy variants, RFC 850,
// asctime, ISO 8601 / W3C-DTF, the Arabic forms of news sites) read into a
// StatedTime, and RFC 3339 written out. One reader and one writer for every
// layer. Pure functions.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace newsd::parsers {

using TimePoint = std::chrono::sys_seconds;

// An instant and the UTC offset its source stated it in: "Mon, 04 May 2020
// 00:30:00 +0700" is 2020-05-03T17:30:00Z at +07:00. Records print it in that
// offset so the reader's day survives; everything that compares, sorts or
// schedules uses `utc` alone. Offset zero means UTC was stated (Z, GMT, UT,
// +00:00) or nothing was, and prints as Z.
struct StatedTime {
  TimePoint utc{};
  std::chrono::minutes offset{0};  // east of UTC
  // Reckoned from the fetch time ("2 hours ago"): the same page read later
  // gives another instant, so it says nothing about whether the page changed.
  bool relative = false;

  // The same instant stated the same way. No ordering: order by `utc`.
  bool operator==(const StatedTime&) const = default;
};

// Parses a date string of any form found in feeds (RFC 822 variants, ISO 8601,
// Arabic month names and digits) with the offset it states: a numeric one,
// a named zone (EST, CEST, ...), else UTC. Empty when it names no instant.
std::optional<StatedTime> parse_feed_date(std::string_view text);

// RFC 3339 UTC with a trailing Z: 2021-05-19T21:12:41Z.
std::string format_rfc3339(TimePoint t);

// RFC 3339 in the stated offset: 2020-05-04T00:30:00+07:00, or with a
// trailing Z when the offset is zero.
std::string format_rfc3339(const StatedTime& t);

// An HTTP-date (Date, Expires, Last-Modified, Retry-After): IMF-fixdate,
// RFC 850 or asctime, read by parse_feed_date, which covers all three (and
// honours a zone other than GMT where a server wrongly sends one).
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// RFC 3339 UTC with milliseconds, for logs: 2021-05-19T21:12:41.042Z.
std::string format_rfc3339_millis(std::chrono::system_clock::time_point t);

}  // namespace newsd::parsers
