#pragma once
// The language of a record, read from its own text by Compact Language
// Detector 2, with what the item or page declares as hints. One detector for
// feed items (article_from_feed_item) and pages (extract_article). Pure: CLD2
// keeps no state between calls and is thread safe.
#include <cstddef>
#include <string>
#include <string_view>

namespace newsd::parsers {

struct LanguageHints {
  // The language the item or page declares (the item's, else the feed's
  // <language>; <html lang>, else og:locale, else Content-Language), in any
  // spelling of a tag: "ar", "en-US", "en_us", "EN". Empty when none.
  std::string_view declared;
  // The article's URL: a country domain (".ir", ".de") nudges the detector.
  std::string_view url;
};

// Letters (not bytes: an Arabic letter is two) the text needs before it may
// overrule a declared language: a headline alone is too short to be sure.
inline constexpr std::size_t kMinLettersToOverrule = 40;

// Only this much of the text is read: a headline and a paragraph settle the
// language, and CLD2's cost grows with the length (≈ 20 µs per item at 512
// bytes, 65 µs at 2 KB: bench/feed_parse_bench).
inline constexpr std::size_t kMaxDetectedBytes = 512;

// `text` is plain UTF-8 with markup already stripped (title and summary or
// body). The detected language when CLD2 calls it reliable on at least
// kMinLettersToOverrule letters (kept in the declared spelling when both name
// the same language: "nb" for CLD2's "no"); otherwise the declared language;
// otherwise empty, never a guess. The result is a BCP 47 tag: a primary
// subtag ("ar", "fa", "he" — never CLD2's "iw"), or "zh-Hant" for
// traditional Chinese.
std::string detect_language(std::string_view text, const LanguageHints& hints = {});

}  // namespace newsd::parsers
