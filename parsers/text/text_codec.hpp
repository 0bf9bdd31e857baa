#pragma once
// Text decoding shared by the feed and page parsers: charset names to UTF-8,
// byte-order marks, Content-Type charsets. Pure functions.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace newsd::parsers {

struct ByteOrderMark {
  std::string_view charset;  // "UTF-8", "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"
  std::size_t length;        // bytes to skip
};

// The BOM at the start of bytes, if any.
std::optional<ByteOrderMark> sniff_bom(std::string_view bytes);

// The charset= parameter of a Content-Type header value, lower-cased; empty if none.
std::string charset_from_content_type(std::string_view content_type);

// Converts bytes in `charset` (any name iconv knows, WHATWG labels such as
// "windows-1256" or "latin1" included; empty means UTF-8) to valid UTF-8.
// Invalid sequences become U+FFFD; never fails. An unknown charset is treated
// as UTF-8 (then sanitised).
std::string to_utf8(std::string_view bytes, std::string_view charset);

// How much of some bytes reads as UTF-8: the valid multi-byte sequences, the
// bytes that belong to no valid sequence, and the C0 controls sanitize_utf8()
// drops. One pass; tells clean UTF-8 (nothing to do), UTF-8 with a few bad
// bytes, and text in a legacy charset apart.
struct Utf8Census {
  std::size_t multibyte = 0;
  std::size_t invalid = 0;
  std::size_t controls = 0;
};
Utf8Census utf8_census(std::string_view bytes);

// True when bytes labelled `charset` are really UTF-8: the label names a
// legacy charset (not UTF-8, -16 or -32) and the bytes are valid UTF-8 with
// non-ASCII text, which legacy-charset text practically never is. Servers
// and templates keep such stale labels (Apache's ISO-8859-1 default, a
// GB2312 meta tag) after the content moved to UTF-8.
bool is_mislabelled_utf8(std::string_view charset, const Utf8Census& census);

// Valid UTF-8: invalid sequences replaced by U+FFFD, C0 controls other than
// tab, newline and carriage return removed.
std::string sanitize_utf8(std::string_view text);

// One code point as UTF-8: written to `out` (room for 4 bytes), returning
// the length; or appended to a string.
std::size_t encode_utf8(char32_t cp, char* out);
void append_utf8(std::string& out, char32_t cp);

}  // namespace newsd::parsers
