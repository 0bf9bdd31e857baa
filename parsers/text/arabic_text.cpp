#include "parsers/text/arabic_text.hpp"

namespace newsd::parsers {
namespace {

struct NamedMonth {
  std::string_view name;  // as fold_arabic_spelling() leaves it
  int month;
};

constexpr NamedMonth kArabicMonths[] = {
    // Egypt and the Gulf (transliterated Latin months)
    {"يناير", 1}, {"فبراير", 2}, {"مارس", 3}, {"ابريل", 4}, {"مايو", 5}, {"يونيو", 6}, {"يونيه", 6},
    {"يوليو", 7}, {"يوليه", 7}, {"اغسطس", 8}, {"سبتمبر", 9}, {"اكتوبر", 10}, {"نوفمبر", 11}, {"ديسمبر", 12},
    // The Levant (Syriac), one word
    {"شباط", 2}, {"اذار", 3}, {"نيسان", 4}, {"ايار", 5}, {"حزيران", 6}, {"تموز", 7}, {"اب", 8}, {"ايلول", 9},
    // The Maghreb (from French)
    {"جانفي", 1}, {"فيفري", 2}, {"افريل", 4}, {"ماي", 5}, {"جوان", 6}, {"جويليه", 7}, {"اوت", 8},
};

// Arabic letters (U+0600..U+06FF) are two bytes led by D8..DB.
bool starts_arabic(std::string_view word) {
  return !word.empty() && static_cast<unsigned char>(word[0]) >= 0xD8 && static_cast<unsigned char>(word[0]) <= 0xDB;
}

}  // namespace

int arabic_indic_digit_at(std::string_view text, std::size_t i) {
  if (i + 1 >= text.size()) return -1;
  const auto b0 = static_cast<unsigned char>(text[i]);
  const auto b1 = static_cast<unsigned char>(text[i + 1]);
  if ((b0 != 0xD9 && b0 != 0xDB) || (b1 & 0xC0) != 0x80) return -1;
  return arabic_indic_digit(static_cast<char32_t>(((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu)));
}

std::string fold_arabic_spelling(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(word[i]);
    if (i + 1 < word.size() && (b0 == 0xD8 || b0 == 0xD9)) {
      const auto b1 = static_cast<unsigned char>(word[i + 1]);
      const unsigned cp = ((b0 & 0x1Fu) << 6) | (b1 & 0x3Fu);
      ++i;
      if (cp == 0x623 || cp == 0x625 || cp == 0x622) {
        out.append("\xD8\xA7");  // ا
      } else if (cp == 0x629) {
        out.append("\xD9\x87");  // ه
      } else if (cp == 0x649) {
        out.append("\xD9\x8A");  // ي
      } else if (cp == 0x640 || (cp >= 0x64B && cp <= 0x652)) {
        // tatweel and harakat carry no meaning for matching
      } else {
        out.push_back(static_cast<char>(b0));
        out.push_back(static_cast<char>(b1));
      }
      continue;
    }
    out.push_back(static_cast<char>(b0));
  }
  return out;
}

int arabic_month(std::string_view word) {
  if (!starts_arabic(word)) return 0;
  const std::string folded = fold_arabic_spelling(word);
  for (const auto& [name, month] : kArabicMonths)
    if (folded == name) return month;
  return 0;
}

int arabic_two_word_month(std::string_view first, std::string_view second) {
  if (!starts_arabic(first)) return 0;
  const std::string head = fold_arabic_spelling(first);
  if (head != "كانون" && head != "تشرين") return 0;
  const std::string ordinal = fold_arabic_spelling(second);
  const bool first_one = ordinal == "الاول";
  const bool second_one = ordinal == "الثاني";
  if (head == "كانون") return second_one ? 1 : first_one ? 12 : 0;
  return first_one ? 10 : second_one ? 11 : 0;
}

}  // namespace newsd::parsers
