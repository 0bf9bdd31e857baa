#pragma once
// The HTML5 named character references, for feeds that use HTML entities
// (&nbsp; &hellip; &eacute;) that XML does not define. A constant table.
#include <cstdint>
#include <optional>
#include <string_view>

namespace newsd::parsers {

// The UTF-8 text `&name;` stands for in HTML5; empty when HTML has no such entity.
std::optional<std::string_view> html_entity(std::string_view name);

// True for the names HTML also reads without their ';' (&amp, &nbsp,
// &copy...: the entities of HTML 3.2), given without '&' or ';'.
bool is_legacy_html_entity(std::string_view name);

// The code point a numeric reference &#N; stands for in HTML: 128..159 read
// as windows-1252 (&#150; is an en dash), NUL, surrogates and values past
// U+10FFFF as U+FFFD.
char32_t html_numeric_reference(std::uint32_t value);

}  // namespace newsd::parsers
