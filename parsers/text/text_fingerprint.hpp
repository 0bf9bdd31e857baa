#pragma once
// Text fingerprints for recognising the same story at another URL or from
// another source: a normalisation that forgets what varies between copies
// of one text (diacritics, letter variants, case, punctuation, furniture),
// a 64-bit digest of the normalised text (titles) and a 64-bit SimHash over
// word shingles (bodies). Pure; no locale, no ICU.
//
// Normalisation, per code point:
//   Arabic   tashkeel U+064B-U+065F, superscript alef U+0670, Quranic marks
//            U+06D6-U+06ED and tatweel U+0640 removed;
//            alef forms أ إ آ ٱ (and U+0672/U+0673) -> ا;  ى -> ي;  ة -> ه;
//            ؤ -> و;  ئ -> ي;  Persian ی -> ي, ک -> ك;  a bare hamza ء is
//            kept (it is a letter; dropping it would merge distinct words).
//            Choosing ة -> ه and ى -> ي (not the reverse) follows common
//            Arabic IR practice: writers drop the dots, rarely add them.
//   digits   Arabic-Indic U+0660-U+0669 and Persian U+06F0-U+06F9 -> 0-9.
//   Latin    case folded; accents removed (Latin-1 and Latin Extended-A
//            precomposed letters map to their base letter, ß -> ss,
//            æ -> ae, œ -> oe; combining marks U+0300-U+036F dropped), so a
//            precomposed and a decomposed "é" both become "e". No full NFC:
//            rarer precomposed letters (Vietnamese, U+1E00-) stay as they are.
//   Greek, Cyrillic: simple upper -> lower case.
//   Apostrophes (' ’) join (don't -> dont); ZWJ/ZWNJ, soft hyphen, BOM,
//   variation selectors vanish; every other punctuation, symbol and space
//   separates words; line breaks separate paragraphs.
// Scripts written without spaces (CJK) come out as long tokens: they still
// compare exactly, but near-duplicate recall there is poor.
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

namespace newsd::parsers {

// Words per shingle of the SimHash.
inline constexpr std::size_t kShingleWords = 3;
// Paragraphs with fewer words than this are taken for furniture ("Share on
// Facebook", "Advertisement", "Read more: ...", bylines, copyright lines)
// and left out of the SimHash, unless that would leave too little text.
inline constexpr std::size_t kFurnitureMaxWords = 12;
// A text with fewer words than this has no SimHash (0): too short to tell
// a copy from a coincidence.
inline constexpr std::size_t kMinFingerprintWords = 8;

// The normalised text: words separated by one space, paragraphs by '\n'.
std::string normalize_text(std::string_view utf8);

// 64-bit hash of bytes: FNV-1a finished with the MurmurHash3 mixer, so every
// output bit depends on every input bit (SimHash needs that; FNV alone has
// weak high bits).
std::uint64_t hash64(std::string_view bytes);

// Digest of the normalised words (paragraph breaks ignored): equal for two
// titles that differ only in what normalisation forgets. Never 0.
std::uint64_t text_digest(std::string_view utf8);

// 64-bit SimHash over kShingleWords-word shingles of the normalised text,
// furniture paragraphs left out. 0 when the text has fewer than
// kMinFingerprintWords words. Copies of one text differ in few bits; a
// Hamming distance <= 3 is the usual near-duplicate threshold. Measured on
// synthetic 300-word bodies, the share of copies within 3 bits: furniture
// lines under kFurnitureMaxWords 100%, a dateline added 93%, paragraphs
// merged 92%, one word changed 70%, one extra 15-word furniture line 30%;
// unrelated texts 0% (mean distance 32). Longer bodies do better.
std::uint64_t simhash(std::string_view utf8);

// simhash() and the number of normalised words, from one walk of the text.
struct BodyFingerprint {
  std::uint64_t simhash = 0;
  std::size_t words = 0;
};
BodyFingerprint body_fingerprint(std::string_view utf8);

// The record's content_hash: simhash(body) as 16 hex digits; empty when the
// body is too short to fingerprint.
std::string content_hash(std::string_view body);

// A SimHash as the record's content_hash (empty for 0).
std::string format_content_hash(std::uint64_t simhash);

// The SimHash a content_hash names (0 for an empty or malformed one).
std::uint64_t content_hash_value(std::string_view hex);

int hamming_distance(std::uint64_t a, std::uint64_t b);

// A headline as a small set of words: the 32-bit hashes of its distinct
// normalised words, sorted, at most kTitleWords of them (the rest 0). Two
// headlines of one story often differ (a wire story retitled, a kicker
// added), yet share most of their words; two stories behind the same teaser
// body share few. title_overlap() tells them apart.
inline constexpr std::size_t kTitleWords = 16;
using TitleWords = std::array<std::uint32_t, kTitleWords>;
TitleWords title_words(std::string_view utf8);

// Dice coefficient of two sorted ranges of distinct values: 1 for the same
// values, 0 for none shared or when either is empty.
template <typename Range>
double dice_coefficient(const Range& a, const Range& b) {
  if (std::empty(a) || std::empty(b)) return 0.0;
  std::size_t shared = 0;
  for (auto ia = std::begin(a), ib = std::begin(b); ia != std::end(a) && ib != std::end(b);) {
    if (*ia < *ib) ++ia;
    else if (*ib < *ia) ++ib;
    else ++shared, ++ia, ++ib;
  }
  return 2.0 * static_cast<double>(shared) / static_cast<double>(std::size(a) + std::size(b));
}

// Dice coefficient of two title word sets (zero slots ignored): 1 for the
// same words, 0 for none in common or when either is empty. Inline, so that
// the story memory's store uses it without linking the parsers.
inline double title_overlap(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) {
  auto used = [](std::span<const std::uint32_t> words) {
    std::size_t n = 0;
    while (n < words.size() && words[n] != 0) ++n;
    return words.first(n);
  };
  return dice_coefficient(used(a), used(b));
}

}  // namespace newsd::parsers
