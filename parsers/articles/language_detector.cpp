#include "parsers/articles/language_detector.hpp"

#include <array>
#include <cctype>
#include <cstdio>  // compact_lang_det.h uses FILE without including it
#include <utility>

#include <boost/url/parse.hpp>
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "parsers/text/ascii.hpp"
#include "parsers/articles/structured_metadata.hpp"

namespace newsd::parsers {
namespace {

// A language tag as newsd publishes it: the primary subtag, with the codes
// ISO 639 withdrew (which CLD2 and some feeds still write) replaced, and
// traditional Chinese kept apart as BCP 47 writes it. Empty when `tag` is
// not a language tag.
std::string bcp47_language(std::string_view tag) {
  std::string primary = primary_language(tag);
  if (primary == "zh") {
    const std::string lower = lower_ascii(tag);
    std::size_t start = 2;
    while (start < lower.size()) {
      std::size_t end = lower.find_first_of("-_", start + 1);
      if (end == std::string::npos) end = lower.size();
      std::string_view subtag = std::string_view(lower).substr(start + 1, end - start - 1);
      if (subtag == "hans") break;
      if (subtag == "hant" || subtag == "tw" || subtag == "hk" || subtag == "mo") return "zh-Hant";
      start = end;
    }
    return primary;
  }
  constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kReplaced{{
      {"iw", "he"}, {"in", "id"}, {"ji", "yi"}, {"jw", "jv"}, {"mo", "ro"}}};
  for (const auto& [old_code, code] : kReplaced)
    if (primary == old_code) return std::string(code);
  return primary;
}

// The country-code top-level domain of the URL's host ("ir" for
// https://www.bbc.ir/...), CLD2's tld_hint; empty for generic domains.
std::string country_domain(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->host_type() != boost::urls::host_type::name) return {};
  std::string_view host = parsed->encoded_host();
  std::string_view tld = host.substr(host.rfind('.') + 1);
  if (tld.size() != 2 || !std::isalpha(static_cast<unsigned char>(tld[0])) ||
      !std::isalpha(static_cast<unsigned char>(tld[1])))
    return {};
  return lower_ascii(tld);
}

// The longest prefix of at most `max_bytes` that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::size_t count_letters(std::string_view text) {
  std::size_t letters = 0;
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    if (c >= 0 && u_isalpha(c)) ++letters;
  }
  return letters;
}

// A language CLD2 named, as a BCP 47 tag; empty for "unknown" and for the
// script-only and joke pseudo-languages of its extended set (xx-Arab, zzp).
std::string detected_tag(CLD2::Language language) {
  if (language == CLD2::UNKNOWN_LANGUAGE || language == CLD2::TG_UNKNOWN_LANGUAGE ||
      language >= CLD2::X_BORK_BORK_BORK)
    return {};
  return bcp47_language(CLD2::LanguageCode(language));
}

}  // namespace

std::string detect_language(std::string_view text, const LanguageHints& hints) {
  const std::string declared = bcp47_language(hints.declared);
  text = utf8_prefix(text, kMaxDetectedBytes);

  const std::string tld = country_domain(hints.url);
  // The declared language and the country domain are priors inside CLD2's
  // scoring: they tip close calls (Croatian or Bosnian, Norwegian or
  // Danish) and never outvote clear text. content_language_hint would do
  // the same as language_hint.
  const CLD2::Language declared_language =
      declared.empty() ? CLD2::UNKNOWN_LANGUAGE : CLD2::GetLanguageFromName(declared.c_str());
  CLD2::CLDHints cld_hints{nullptr, tld.empty() ? nullptr : tld.c_str(), CLD2::UNKNOWN_ENCODING, declared_language};
  CLD2::Language top3[3];
  int percent3[3];
  double normalized_score3[3];
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix_bytes = 0;
  const CLD2::Language found = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      text.data(), static_cast<int>(text.size()), /*is_plain_text=*/true, &cld_hints, /*flags=*/0, top3,
      percent3, normalized_score3, /*resultchunkvector=*/nullptr, &text_bytes, &reliable,
      &valid_prefix_bytes);

  // CLD2 calls a headline reliable from a dozen letters, but a feed that
  // says "fr" knows better than three English words: short text never
  // overrules what is declared, and with nothing declared it gives no
  // language rather than a guess.
  std::string detected = reliable ? detected_tag(found) : std::string{};
  if (detected.empty() || count_letters(text) < kMinLettersToOverrule) return declared;
  // The text confirming the declared language keeps its tag, the more
  // precise one: CLD2 says "no" where the page says Bokmål, "nb".
  return found == declared_language ? declared : detected;
}

}  // namespace newsd::parsers
