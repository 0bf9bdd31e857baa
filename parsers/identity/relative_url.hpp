#pragma once
// Resolution of the relative URLs feeds are full of (links, enclosures,
// images) against a base URL, per RFC 3986 section 5. Pure.
#include <string>
#include <string_view>

namespace newsd::parsers {

// `reference` resolved against `base`; the reference trimmed and unchanged
// when it is already absolute, when the base is not an absolute URL, or when
// either does not parse.
std::string resolve_relative_url(std::string_view base, std::string_view reference);

// True when `reference` carries its own scheme ("https:", "mailto:").
bool has_url_scheme(std::string_view reference);

}  // namespace newsd::parsers
