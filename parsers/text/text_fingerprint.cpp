#include "parsers/text/text_fingerprint.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

#include "parsers/text/arabic_text.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

// FNV-1a, the word hash (finished by mix64).
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;

// What one code point becomes.
enum class Kind { letter, remove, separator, paragraph };

struct Mapped {
  Kind kind;
  char32_t cp = 0;            // for letters: the normalised code point
  const char* ascii = nullptr;  // for letters folding to more than one ASCII letter
};

// Base letters of U+0100-U+017F (Latin Extended-A); '?' marks the two
// ligatures handled apart (IJ, OE).
constexpr std::string_view kLatinExtendedA =
    "aaaaaa" "cccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "??" "jj" "kkk"
    "llllllllll" "nnnnnnn" "nn" "oooooo" "??" "rrrrrr" "ssssssss" "tttttt" "uuuuuuuuuuuu" "ww"
    "yyy" "zzzzzz" "s";
static_assert(kLatinExtendedA.size() == 0x80);

// Base letters of U+00C0-U+00FF; '*' = multi-letter, '_' = not a letter.
constexpr std::string_view kLatin1 =
    "aaaaaa*ceeeeiiii" "dnooooo_ouuuuy**" "aaaaaa*ceeeeiiii" "dnooooo_ouuuuy*y";
static_assert(kLatin1.size() == 0x40);

Mapped map_code_point(char32_t c) {
  // ASCII
  if (c < 0x80) {
    if (c >= 'A' && c <= 'Z') return {Kind::letter, c + 0x20};
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return {Kind::letter, c};
    if (c == '\'') return {Kind::remove};
    if (c == '\n' || c == '\r' || c == '\v' || c == '\f') return {Kind::paragraph};
    return {Kind::separator};
  }
  // Latin-1 supplement
  if (c < 0xC0) {
    if (c == 0xAD) return {Kind::remove};  // soft hyphen
    if (c == 0x85) return {Kind::paragraph};
    if (c == 0xAA) return {Kind::letter, 'a'};
    if (c == 0xBA) return {Kind::letter, 'o'};
    return {Kind::separator};
  }
  if (c < 0x100) {
    char base = kLatin1[c - 0xC0];
    if (base == '_') return {Kind::separator};
    if (base == '*') {
      if (c == 0xC6 || c == 0xE6) return {Kind::letter, 0, "ae"};
      if (c == 0xDE || c == 0xFE) return {Kind::letter, 0, "th"};
      return {Kind::letter, 0, "ss"};  // ß
    }
    return {Kind::letter, static_cast<char32_t>(base)};
  }
  if (c < 0x180) {
    char base = kLatinExtendedA[c - 0x100];
    if (base == '?') return {Kind::letter, 0, (c == 0x132 || c == 0x133) ? "ij" : "oe"};
    return {Kind::letter, static_cast<char32_t>(base)};
  }
  // A few Latin Extended-B letters common in news (Romanian, Vietnamese).
  if (c == 0x218 || c == 0x219) return {Kind::letter, 's'};
  if (c == 0x21A || c == 0x21B) return {Kind::letter, 't'};
  if (c == 0x1A0 || c == 0x1A1) return {Kind::letter, 'o'};
  if (c == 0x1AF || c == 0x1B0) return {Kind::letter, 'u'};
  // Combining diacritical marks
  if (c >= 0x300 && c <= 0x36F) return {Kind::remove};
  // Greek and Cyrillic capitals
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return {Kind::letter, c + 0x20};
  if (c == 0x3C2) return {Kind::letter, 0x3C3};  // final sigma
  if (c >= 0x410 && c <= 0x42F) return {Kind::letter, c + 0x20};
  if (c >= 0x400 && c <= 0x40F) return {Kind::letter, c + 0x50};
  // Arabic
  if (c >= 0x600 && c <= 0x6FF) {
    if ((c >= 0x64B && c <= 0x65F) || c == 0x670 || c == 0x640) return {Kind::remove};
    if ((c >= 0x6D6 && c <= 0x6DC) || (c >= 0x6DF && c <= 0x6E8) || (c >= 0x6EA && c <= 0x6ED))
      return {Kind::remove};
    switch (c) {
      case 0x623: case 0x625: case 0x622: case 0x671: case 0x672: case 0x673:
        return {Kind::letter, 0x627};  // alef
      case 0x649: case 0x626: case 0x6CC:
        return {Kind::letter, 0x64A};  // yeh
      case 0x629:
        return {Kind::letter, 0x647};  // heh
      case 0x624:
        return {Kind::letter, 0x648};  // waw
      case 0x6A9:
        return {Kind::letter, 0x643};  // kaf
      case 0x60C: case 0x60D: case 0x61B: case 0x61F: case 0x66A: case 0x66B: case 0x66C: case 0x66D:
      case 0x6D4: case 0x6DD: case 0x6DE: case 0x6E9:
        return {Kind::separator};
      default:
        break;
    }
    if (const int digit = arabic_indic_digit(c); digit >= 0) return {Kind::letter, static_cast<char32_t>('0' + digit)};
    if (c >= 0x600 && c <= 0x605) return {Kind::remove};  // number signs, formatting
    return {Kind::letter, c};
  }
  // General punctuation, spaces, quotes, dashes; apostrophes join.
  if (c >= 0x2000 && c <= 0x206F) {
    if (c == 0x2019 || c == 0x2018) return {Kind::remove};
    if (c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060 || (c >= 0x200E && c <= 0x200F) ||
        (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069))
      return {Kind::remove};  // zero-width and bidi controls
    if (c == 0x2028 || c == 0x2029) return {Kind::paragraph};
    return {Kind::separator};
  }
  if (c == 0xFEFF || (c >= 0xFE00 && c <= 0xFE0F)) return {Kind::remove};
  if ((c >= 0x2070 && c <= 0x2BFF) ||   // super/subscripts, currency, arrows, math, symbols, dingbats
      (c >= 0x3000 && c <= 0x303F) ||   // CJK punctuation
      (c >= 0xFD3E && c <= 0xFD3F) ||   // ornate parentheses
      (c >= 0xFE10 && c <= 0xFE6F) ||   // vertical / small forms
      (c >= 0xFF00 && c <= 0xFF0F) ||   // fullwidth punctuation
      (c >= 0x1F000 && c <= 0x1FAFF))   // emoji, pictographs
    return {Kind::separator};
  return {Kind::letter, c};
}

// Next code point of `text` at `i`; a malformed byte reads as U+FFFD.
char32_t next_code_point(std::string_view text, std::size_t& i) {
  auto c = static_cast<unsigned char>(text[i]);
  int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= text.size()) {
    ++i;
    return extra == 0 ? c : 0xFFFD;
  }
  char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
  for (int k = 1; k <= extra; ++k) {
    auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
    if ((next & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

// Walks the normalised words of `text`: sink.letter(bytes) for each piece of
// a word's normal form, sink.end_word() after each word, sink.end_paragraph()
// at each paragraph break. Printable ASCII, most of the bytes of most text,
// skips the code-point mapping.
template <typename Sink>
void walk_words(std::string_view text, Sink& sink) {
  char utf8[4];
  for (std::size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
      std::size_t run = i + 1;
      while (run < text.size() && ((text[run] >= 'a' && text[run] <= 'z') || (text[run] >= '0' && text[run] <= '9'))) ++run;
      sink.letter(text.substr(i, run - i));
      i = run;
      continue;
    }
    char32_t cp = next_code_point(text, i);
    Mapped mapped = cp == 0xFFFD ? Mapped{Kind::separator} : map_code_point(cp);
    switch (mapped.kind) {
      case Kind::letter:
        if (mapped.ascii) {
          sink.letter(mapped.ascii);
        } else {
          sink.letter(std::string_view(utf8, encode_utf8(mapped.cp, utf8)));
        }
        break;
      case Kind::remove:
        break;
      case Kind::separator:
        sink.end_word();
        break;
      case Kind::paragraph:
        sink.end_word();
        sink.end_paragraph();
        break;
    }
  }
  sink.end_word();
  sink.end_paragraph();
}

using Paragraph = std::vector<std::string>;

// The normalised words of `text`, paragraph by paragraph (empty ones skipped).
std::vector<Paragraph> tokenize(std::string_view text) {
  struct Collect {
    std::vector<Paragraph> paragraphs{1};
    std::string word;
    void letter(std::string_view bytes) { word += bytes; }
    void end_word() {
      if (!word.empty()) paragraphs.back().push_back(std::move(word));
      word.clear();
    }
    void end_paragraph() {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
    }
  } collect;
  walk_words(text, collect);
  if (collect.paragraphs.back().empty()) collect.paragraphs.pop_back();
  return std::move(collect.paragraphs);
}

// Byte b of kSpread[x] is bit b of x.
constexpr std::array<std::uint64_t, 256> kSpread = [] {
  std::array<std::uint64_t, 256> table{};
  for (std::size_t x = 0; x < 256; ++x)
    for (std::size_t b = 0; b < 8; ++b) table[x] |= static_cast<std::uint64_t>((x >> b) & 1) << (8 * b);
  return table;
}();

// Counts, for each of the 64 bits, how many added values have it set. Eight
// counters share a 64-bit word (one per byte) for up to 255 values, so one
// value costs eight additions rather than sixty-four.
class BitCounter {
 public:
  void add(std::uint64_t value) {
    for (std::size_t b = 0; b < 8; ++b) lanes_[b] += kSpread[(value >> (8 * b)) & 0xFF];
    ++total_;
    if (++pending_ == 255) flush();
  }
  // The bits set in more than half of the values.
  std::uint64_t majority() {
    flush();
    std::uint64_t out = 0;
    for (std::size_t bit = 0; bit < 64; ++bit)
      if (2 * counts_[bit] > total_) out |= std::uint64_t{1} << bit;
    return out;
  }

 private:
  void flush() {
    for (std::size_t b = 0; b < 8; ++b) {
      for (std::size_t k = 0; k < 8; ++k) counts_[8 * b + k] += (lanes_[b] >> (8 * k)) & 0xFF;
      lanes_[b] = 0;
    }
    pending_ = 0;
  }
  std::array<std::uint64_t, 8> lanes_{};
  std::array<std::uint64_t, 64> counts_{};
  std::uint64_t total_ = 0;
  unsigned pending_ = 0;
};

std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::string normalize_text(std::string_view utf8) {
  std::string out;
  for (const auto& paragraph : tokenize(utf8)) {
    if (!out.empty()) out.push_back('\n');
    for (std::size_t i = 0; i < paragraph.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out += paragraph[i];
    }
  }
  return out;
}

std::uint64_t hash64(std::string_view bytes) {
  std::uint64_t h = kFnvOffset;
  for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
  return mix64(h);
}

std::uint64_t text_digest(std::string_view utf8) {
  std::string words;
  for (const auto& paragraph : tokenize(utf8))
    for (const auto& word : paragraph) {
      if (!words.empty()) words.push_back(' ');
      words += word;
    }
  std::uint64_t digest = hash64(words);
  return digest == 0 ? 1 : digest;
}

std::uint64_t simhash(std::string_view utf8) { return body_fingerprint(utf8).simhash; }

namespace {

// Each bit is set when more than half of the shingles' hashes have it
// (the +1/-1 vote of SimHash, as a count of ones).
std::uint64_t shingle_simhash(const std::vector<std::uint64_t>& words) {
  BitCounter ones;
  auto vote = [&](std::uint64_t h) { ones.add(h); };
  if (words.size() < kShingleWords) {
    std::uint64_t h = 0;
    for (auto w : words) h = mix64(h ^ w);
    vote(h);
  }
  for (std::size_t i = 0; i + kShingleWords <= words.size(); ++i) {
    // Shingle hash: order-sensitive combination of its word hashes.
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (std::size_t k = 0; k < kShingleWords; ++k) h = mix64(h ^ std::rotl(words[i + k], static_cast<int>(21 * k)));
    vote(h);
  }
  return ones.majority();
}

}  // namespace

BodyFingerprint body_fingerprint(std::string_view utf8) {
  // The words' hashes (hash64 of each normalised word, computed as the word
  // streams by) and each paragraph's word count.
  struct Hashes {
    std::vector<std::uint64_t> words;
    std::vector<std::size_t> paragraph_sizes{0};
    std::uint64_t h = kFnvOffset;
    bool in_word = false;
    void letter(std::string_view bytes) {
      for (unsigned char c : bytes) h = (h ^ c) * kFnvPrime;
      in_word = true;
    }
    void end_word() {
      if (!in_word) return;
      words.push_back(mix64(h));
      ++paragraph_sizes.back();
      h = kFnvOffset;
      in_word = false;
    }
    void end_paragraph() {
      if (paragraph_sizes.back() != 0) paragraph_sizes.push_back(0);
    }
  } hashes;
  hashes.words.reserve(utf8.size() / 6);
  walk_words(utf8, hashes);
  std::size_t total = hashes.words.size(), body = 0;
  for (std::size_t size : hashes.paragraph_sizes)
    if (size >= kFurnitureMaxWords) body += size;
  if (total < kMinFingerprintWords) return {0, total};
  // Leave furniture out unless the text is all short paragraphs. Shingles
  // run across paragraph breaks and carry equal weight, so a copy that
  // merges or splits paragraphs (a feed's flat text vs the page's) still
  // lands within a few bits. (Weighting shingles by paragraph length
  // resists longer furniture better but loses most merged copies.)
  const bool skip_furniture = body >= 2 * kFurnitureMaxWords;
  std::vector<std::uint64_t> words;
  if (skip_furniture) {
    words.reserve(body);
    std::size_t at = 0;
    for (std::size_t size : hashes.paragraph_sizes) {
      if (size >= kFurnitureMaxWords)
        words.insert(words.end(), hashes.words.begin() + static_cast<std::ptrdiff_t>(at),
                     hashes.words.begin() + static_cast<std::ptrdiff_t>(at + size));
      at += size;
    }
  } else {
    words = std::move(hashes.words);
  }
  std::uint64_t out = shingle_simhash(words);
  return {out == 0 ? 1 : out, total};
}

int hamming_distance(std::uint64_t a, std::uint64_t b) { return std::popcount(a ^ b); }

std::string content_hash(std::string_view body) { return format_content_hash(simhash(body)); }

std::string format_content_hash(std::uint64_t fingerprint) {
  if (fingerprint == 0) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, fingerprint >>= 4) out[i] = kHex[fingerprint & 0xf];
  return out;
}

TitleWords title_words(std::string_view utf8) {
  std::vector<std::uint32_t> hashes;
  for (const auto& paragraph : tokenize(utf8))
    for (const auto& word : paragraph) {
      auto h = static_cast<std::uint32_t>(hash64(word) >> 32);
      hashes.push_back(h == 0 ? 1 : h);  // 0 marks an unused slot
    }
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  TitleWords out{};
  std::copy_n(hashes.begin(), std::min(hashes.size(), kTitleWords), out.begin());
  return out;
}

std::uint64_t content_hash_value(std::string_view hex) {
  if (hex.size() != 16) return 0;
  std::uint64_t value = 0;
  for (char c : hex) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return 0;
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

}  // namespace newsd::parsers
