#include "parsers/text/arabic_text.hpp"

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

TEST(ArabicText, IndicDigits) {
  EXPECT_EQ(arabic_indic_digit(U'\u0660'), 0);
  EXPECT_EQ(arabic_indic_digit(U'\u0669'), 9);
  EXPECT_EQ(arabic_indic_digit(U'\u06F4'), 4) << "Extended Arabic-Indic (Persian)";
  EXPECT_EQ(arabic_indic_digit(U'4'), -1);
  EXPECT_EQ(arabic_indic_digit(U'\u066B'), -1) << "the decimal separator is no digit";
  const std::string text = "x\u0663\u06F7";
  EXPECT_EQ(arabic_indic_digit_at(text, 0), -1);
  EXPECT_EQ(arabic_indic_digit_at(text, 1), 3);
  EXPECT_EQ(arabic_indic_digit_at(text, 3), 7);
  EXPECT_EQ(arabic_indic_digit_at(text, 4), -1) << "the middle of a sequence";
}

TEST(ArabicText, MonthsOfEveryRegionInEverySpelling) {
  EXPECT_EQ(arabic_month("يناير"), 1);
  EXPECT_EQ(arabic_month("إبريل"), 4);
  EXPECT_EQ(arabic_month("يونية"), 6) << "ة read as ه";
  EXPECT_EQ(arabic_month("آذار"), 3);
  EXPECT_EQ(arabic_month("آب"), 8);
  EXPECT_EQ(arabic_month("أيـار"), 5) << "tatweel";
  EXPECT_EQ(arabic_month("جانفي"), 1);
  EXPECT_EQ(arabic_month("جويلية"), 7);
  EXPECT_EQ(arabic_month("أوت"), 8);
  EXPECT_EQ(arabic_month("كانون"), 0) << "needs its ordinal";
  EXPECT_EQ(arabic_month("may"), 0);
  EXPECT_EQ(arabic_month(""), 0);
  EXPECT_EQ(arabic_two_word_month("كانون", "الثاني"), 1);
  EXPECT_EQ(arabic_two_word_month("تشرين", "الأول"), 10);
  EXPECT_EQ(arabic_two_word_month("تشرين", "الثاني"), 11);
  EXPECT_EQ(arabic_two_word_month("كانون", "الأوّل"), 12) << "with a shadda";
  EXPECT_EQ(arabic_two_word_month("كانون", "2020"), 0);
  EXPECT_EQ(arabic_two_word_month("شباط", "الأول"), 0);
}

}  // namespace
}  // namespace newsd::parsers
