#pragma once
// Article identity: the canonical form of an article URL, the stable id
// derived from it (the Kafka key), and the fingerprint of a body. Pure.
#include <string>
#include <string_view>

namespace newsd::parsers {

// Lower-case scheme and host, default port dropped, fragment dropped,
// tracking parameters (utm_*, fbclid, gclid, ...) removed, percent-encoding
// normalised. Returns the input unchanged when it is not an absolute URL.
std::string canonical_url(std::string_view url);

// 32 hex digits: the first 128 bits of SHA-256 over `text`.
std::string hex_digest(std::string_view text);

// The id of an article found at `url` (canonicalised here).
std::string article_id_for_url(std::string_view url);

// The id of an item that has no usable URL: its GUID, scoped by source.
std::string article_id_for_guid(std::string_view source, std::string_view guid);

// Fingerprint of a body for duplicate detection: hex digest of the text with
// whitespace and case folded.
std::string content_hash(std::string_view body);

}  // namespace newsd::parsers
