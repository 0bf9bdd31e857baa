#pragma once
// The HTML5 named character references, for feeds that use HTML entities
// (&nbsp; &hellip; &eacute;) that XML does not define. A constant table.
#include <optional>
#include <string_view>

namespace newsd::parsers {

// The UTF-8 text `&name;` stands for in HTML5; empty when HTML has no such entity.
std::optional<std::string_view> html_entity(std::string_view name);

}  // namespace newsd::parsers
