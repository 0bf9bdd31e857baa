#pragma once
// Arabic-script numbers and month names as news sites write dates: the
// Arabic-Indic digits and the month names of Egypt and the Gulf
// (transliterated: يناير), the Levant (Syriac: كانون الثاني, شباط) and the
// Maghreb (from French: جانفي). One table for the feed and the page date
// readers. Pure functions.
#include <cstddef>
#include <string>
#include <string_view>

namespace newsd::parsers {

// 0-9 for an Arabic-Indic digit (U+0660..U+0669) or an Extended
// Arabic-Indic one (U+06F0..U+06F9, Persian and Urdu); -1 otherwise.
constexpr int arabic_indic_digit(char32_t c) {
  if (c >= 0x660 && c <= 0x669) return static_cast<int>(c - 0x660);
  if (c >= 0x6F0 && c <= 0x6F9) return static_cast<int>(c - 0x6F0);
  return -1;
}

// The same for the UTF-8 at text[i]: 0-9 when an Arabic-Indic digit (two
// bytes) starts there, else -1.
int arabic_indic_digit_at(std::string_view text, std::size_t i);

// The spelling variants Arabic words come in folded to one: أ إ آ → ا,
// ة → ه, ى → ي; tatweel and short-vowel marks (harakat) dropped.
std::string fold_arabic_spelling(std::string_view word);

// The month (1-12) an Arabic word names, in any of the spellings
// fold_arabic_spelling() folds; 0 when it names none. The Levantine
// كانون and تشرين name a month only with the ordinal after them: see
// arabic_two_word_month().
int arabic_month(std::string_view word);

// The month of the Levantine two-word names كانون الثاني (1), تشرين الأول
// (10), تشرين الثاني (11), كانون الأول (12); 0 when the words are not one.
int arabic_two_word_month(std::string_view first, std::string_view second);

}  // namespace newsd::parsers
