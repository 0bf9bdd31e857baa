#include "parsers/text/text_codec.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "parsers/text/ascii.hpp"

namespace newsd::parsers {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// WHATWG encoding labels whose meaning differs from iconv's, or that iconv
// does not know. Browsers decode "iso-8859-1" as windows-1252 (the C1 range
// holds curly quotes and dashes in real feeds), and so do we.
struct CharsetAlias {
  std::string_view label;
  std::string_view iconv_name;
};
constexpr std::array<CharsetAlias, 41> kAliases{{
    {"ansi_x3.4-1968", "WINDOWS-1252"},
    {"arabic", "ISO-8859-6"},
    {"ascii", "WINDOWS-1252"},
    {"asmo-708", "ISO-8859-6"},
    {"big5", "BIG5-HKSCS"},
    {"cp1252", "WINDOWS-1252"},
    {"cp1256", "WINDOWS-1256"},
    {"cp819", "WINDOWS-1252"},
    {"csisolatin1", "WINDOWS-1252"},
    {"csisolatinarabic", "ISO-8859-6"},
    {"ecma-114", "ISO-8859-6"},
    {"euc-kr", "CP949"},
    {"gb2312", "GBK"},
    {"ibm819", "WINDOWS-1252"},
    {"iso-8859-1", "WINDOWS-1252"},
    {"iso-8859-11", "WINDOWS-874"},
    {"iso-8859-6-e", "ISO-8859-6"},
    {"iso-8859-6-i", "ISO-8859-6"},
    {"iso-8859-9", "WINDOWS-1254"},
    {"iso-ir-100", "WINDOWS-1252"},
    {"iso8859-1", "WINDOWS-1252"},
    {"iso88591", "WINDOWS-1252"},
    {"iso_8859-1", "WINDOWS-1252"},
    {"iso_8859-1:1987", "WINDOWS-1252"},
    {"ks_c_5601-1987", "CP949"},
    {"l1", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"},
    {"latin5", "WINDOWS-1254"},
    {"ms932", "CP932"},
    {"shift_jis", "CP932"},
    {"sjis", "CP932"},
    {"tis-620", "WINDOWS-874"},
    {"unicode", "UTF-16LE"},
    {"unicode-1-1-utf-8", "UTF-8"},
    {"us-ascii", "WINDOWS-1252"},
    {"utf-16", "UTF-16LE"},
    {"utf8", "UTF-8"},
    {"windows-31j", "CP932"},
    {"x-cp1252", "WINDOWS-1252"},
    {"x-cp1256", "WINDOWS-1256"},
    {"x-sjis", "CP932"},
}};
static_assert(std::is_sorted(kAliases.begin(), kAliases.end(),
                             [](const CharsetAlias& a, const CharsetAlias& b) { return a.label < b.label; }));

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"' || s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '"' || s.back() == '\''))
    s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  return out;
}

// The iconv name for a label; empty for UTF-8 (which needs no conversion).
std::string iconv_name_for(std::string_view charset) {
  std::string label = lower_trimmed(charset);
  if (label.empty() || label == "utf-8") return {};
  auto find = [](const std::string& l) {
    const auto* it = std::lower_bound(kAliases.begin(), kAliases.end(), l,
                                      [](const CharsetAlias& a, const std::string& x) { return a.label < x; });
    return it != kAliases.end() && it->label == l ? it : nullptr;
  };
  const auto* alias = find(label);
  if (!alias && label.find('_') != std::string::npos) {
    // "windows_1252", "utf_8": Python's spelling, which iconv does not know.
    std::replace(label.begin(), label.end(), '_', '-');
    alias = find(label);
  }
  std::string name = alias ? std::string(alias->iconv_name) : label;
  return name == "UTF-8" || name == "utf-8" ? std::string{} : name;
}

// Charsets whose first 128 code points are ASCII, so pure-ASCII input needs no conversion.
bool is_ascii_compatible(std::string_view iconv_name) {
  return !(iconv_name.starts_with("UTF-16") || iconv_name.starts_with("utf-16") ||
           iconv_name.starts_with("UTF-32") || iconv_name.starts_with("utf-32") ||
           iconv_name.starts_with("ucs-") || iconv_name.starts_with("utf-7") ||
           iconv_name.starts_with("iso-2022"));
}

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};
using IconvHandle = std::unique_ptr<void, IconvCloser>;

// Minimum bytes to skip over an undecodable sequence of this charset.
std::size_t code_unit_size(std::string_view iconv_name) {
  if (iconv_name.starts_with("UTF-32") || iconv_name.starts_with("utf-32")) return 4;
  if (iconv_name.starts_with("UTF-16") || iconv_name.starts_with("utf-16")) return 2;
  return 1;
}

std::optional<std::string> convert_with_iconv(std::string_view bytes, const std::string& iconv_name) {
  iconv_t raw = iconv_open("UTF-8", iconv_name.c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  IconvHandle cd(raw);
  const std::size_t unit = code_unit_size(iconv_name);

  std::string out;
  out.resize(bytes.size() * 2 + 16);
  // iconv's interface is not const-correct; it never writes through the input pointer.
  char* in = const_cast<char*>(bytes.data());
  std::size_t in_left = bytes.size();
  std::size_t used = 0;
  while (in_left > 0) {
    char* dst = out.data() + used;
    std::size_t out_left = out.size() - used;
    std::size_t rc = iconv(raw, &in, &in_left, &dst, &out_left);
    used = out.size() - out_left;
    if (rc != static_cast<std::size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
    } else if (errno == EILSEQ) {
      if (out.size() - used < kReplacement.size()) out.resize(out.size() * 2);
      std::memcpy(out.data() + used, kReplacement.data(), kReplacement.size());
      used += kReplacement.size();
      std::size_t skip = std::min(unit, in_left);
      in += skip;
      in_left -= skip;
    } else {  // EINVAL: an incomplete sequence at the end of the input.
      if (out.size() - used < kReplacement.size()) out.resize(out.size() + kReplacement.size());
      std::memcpy(out.data() + used, kReplacement.data(), kReplacement.size());
      used += kReplacement.size();
      break;
    }
  }
  out.resize(used);
  return out;
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not valid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

bool is_dropped_control(unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; }

}  // namespace

std::optional<ByteOrderMark> sniff_bom(std::string_view bytes) {
  auto starts = [&](std::string_view prefix) { return bytes.substr(0, prefix.size()) == prefix; };
  using namespace std::string_view_literals;
  if (starts("\xEF\xBB\xBF"sv)) return ByteOrderMark{"UTF-8", 3};
  // UTF-32LE's BOM begins with UTF-16LE's, so it is tested first.
  if (starts("\xFF\xFE\x00\x00"sv)) return ByteOrderMark{"UTF-32LE", 4};
  if (starts("\x00\x00\xFE\xFF"sv)) return ByteOrderMark{"UTF-32BE", 4};
  if (starts("\xFF\xFE"sv)) return ByteOrderMark{"UTF-16LE", 2};
  if (starts("\xFE\xFF"sv)) return ByteOrderMark{"UTF-16BE", 2};
  return std::nullopt;
}

std::string charset_from_content_type(std::string_view content_type) {
  std::size_t pos = 0;
  while ((pos = content_type.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view param = content_type.substr(pos);
    param = param.substr(0, param.find(';'));
    while (!param.empty() && (param.front() == ' ' || param.front() == '\t')) param.remove_prefix(1);
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name = lower_trimmed(param.substr(0, eq));
    if (name == "charset") return lower_trimmed(param.substr(eq + 1));
  }
  return {};
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  const std::string name = iconv_name_for(charset);
  if (name.empty()) return sanitize_utf8(bytes);
  if (is_ascii_compatible(name) &&
      std::all_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return sanitize_utf8(bytes);
  std::optional<std::string> converted = convert_with_iconv(bytes, name);
  if (!converted) return sanitize_utf8(bytes);
  // iconv passes C0 controls through; the contract is the same as sanitize_utf8's.
  return sanitize_utf8(*converted);
}

bool is_mislabelled_utf8(std::string_view charset, const Utf8Census& census) {
  std::string name = lower_ascii(charset);
  bool unicode = name == "utf-8" || name == "utf8" || name.rfind("utf-16", 0) == 0 || name.rfind("utf16", 0) == 0 ||
                 name.rfind("utf-32", 0) == 0 || name.rfind("utf32", 0) == 0;
  return !name.empty() && !unicode && census.multibyte > 0 && census.invalid == 0;
}

Utf8Census utf8_census(std::string_view bytes) {
  Utf8Census census;
  const char* data = bytes.data();
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size) {
    // Eight ASCII bytes at a time; only words holding a byte below ' ' (most
    // often a newline or tab) are looked at byte by byte.
    while (i + 8 <= size) {
      std::uint64_t word;
      std::memcpy(&word, data + i, 8);
      constexpr std::uint64_t kHigh = 0x8080808080808080ull;
      if ((word & kHigh) != 0) break;
      if (((word - 0x2020202020202020ull) & ~word & kHigh) != 0)
        for (std::size_t k = 0; k < 8; ++k)
          if (is_dropped_control(static_cast<unsigned char>(data[i + k]))) ++census.controls;
      i += 8;
    }
    if (i >= size) break;
    const auto c = static_cast<unsigned char>(data[i]);
    if (c < 0x80) {
      if (is_dropped_control(c)) ++census.controls;
      ++i;
      continue;
    }
    // Two-byte sequences (Arabic, Cyrillic, Greek, accented Latin) inline.
    if (c >= 0xC2 && c <= 0xDF && i + 1 < size && (static_cast<unsigned char>(data[i + 1]) & 0xC0) == 0x80) {
      ++census.multibyte;
      i += 2;
      continue;
    }
    const std::size_t n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      ++census.invalid;
      ++i;
    } else {
      ++census.multibyte;
      i += n;
    }
  }
  return census;
}

std::size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

void append_utf8(std::string& out, char32_t cp) {
  char bytes[4];
  out.append(bytes, encode_utf8(cp, bytes));
}

std::string sanitize_utf8(std::string_view text) {
  // Fast path: most input is already clean and is copied once.
  const Utf8Census census = utf8_census(text);
  if (census.invalid == 0 && census.controls == 0) return std::string(text);
  std::size_t i = 0;
  std::string out;
  out.reserve(text.size() + 16);
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (!is_dropped_control(c)) out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace newsd::parsers
