#include <gtest/gtest.h>

#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

using namespace std::string_view_literals;

TEST(TextCodec, SniffsByteOrderMarks) {
  EXPECT_EQ(sniff_bom("\xEF\xBB\xBF<rss>"sv)->charset, "UTF-8");
  EXPECT_EQ(sniff_bom("\xEF\xBB\xBF<rss>"sv)->length, 3u);
  EXPECT_EQ(sniff_bom("\xFF\xFE<\0"sv)->charset, "UTF-16LE");
  EXPECT_EQ(sniff_bom("\xFE\xFF\0<"sv)->charset, "UTF-16BE");
  EXPECT_EQ(sniff_bom("\xFF\xFE\0\0<\0\0\0"sv)->charset, "UTF-32LE");
  EXPECT_EQ(sniff_bom("\0\0\xFE\xFF"sv)->charset, "UTF-32BE");
  EXPECT_FALSE(sniff_bom("<rss>"));
  EXPECT_FALSE(sniff_bom(""));
}

TEST(TextCodec, CharsetFromContentType) {
  EXPECT_EQ(charset_from_content_type("text/xml; charset=UTF-8"), "utf-8");
  EXPECT_EQ(charset_from_content_type("application/rss+xml;charset=\"windows-1256\""), "windows-1256");
  EXPECT_EQ(charset_from_content_type("text/html; boundary=x; Charset = ISO-8859-6 "), "iso-8859-6");
  EXPECT_EQ(charset_from_content_type("text/xml"), "");
  EXPECT_EQ(charset_from_content_type(""), "");
}

TEST(TextCodec, ConvertsArabicCharsets) {
  // "سلام" in windows-1256 and ISO-8859-6.
  EXPECT_EQ(to_utf8("\xD3\xE1\xC7\xE3", "windows-1256"), "سلام");
  EXPECT_EQ(to_utf8("\xD3\xE4\xC7\xE5", "iso-8859-6"), "سلام");
  EXPECT_EQ(to_utf8("\xD3\xE1\xC7\xE3", "cp1256"), "سلام");
}

TEST(TextCodec, Latin1IsWindows1252AsInWhatwg) {
  EXPECT_EQ(to_utf8("caf\xE9", "iso-8859-1"), "café");
  EXPECT_EQ(to_utf8("\x93quoted\x94", "latin1"), "“quoted”");
  EXPECT_EQ(to_utf8("\x96", "us-ascii"), "–");
}

TEST(TextCodec, UnderscoreSpellingsOfLabels) {
  EXPECT_EQ(to_utf8("\x80", "windows_1252"), "\u20AC");
  EXPECT_EQ(to_utf8("\x80", "WINDOWS_1251"), "\u0402");
}

TEST(TextCodec, Utf16And32) {
  EXPECT_EQ(to_utf8("<\0a\0"sv, "UTF-16LE"), "<a");
  EXPECT_EQ(to_utf8("\0<\0a"sv, "utf-16be"), "<a");
  EXPECT_EQ(to_utf8("<\0\0\0"sv, "UTF-32LE"), "<");
  EXPECT_EQ(to_utf8("<\0a"sv, "UTF-16LE"), "<\xEF\xBF\xBD") << "a truncated code unit becomes U+FFFD";
}

TEST(TextCodec, UnknownCharsetIsUtf8) {
  EXPECT_EQ(to_utf8("h\xC3\xA9", "no-such-charset"), "hé");
  EXPECT_EQ(to_utf8("h\xE9", ""), "h\xEF\xBF\xBD");
}

TEST(TextCodec, SanitizeUtf8) {
  EXPECT_EQ(sanitize_utf8("ok"), "ok");
  EXPECT_EQ(sanitize_utf8("a\x01" "b\tc\n"), "ab\tc\n");
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong";
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD") << "surrogate";
  EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80").find("\xF4"), std::string::npos) << "past U+10FFFF";
  EXPECT_EQ(sanitize_utf8("سلام"), "سلام");
  const Utf8Census arabic = utf8_census("سلام\x01 ok");
  EXPECT_EQ(arabic.multibyte, 4u);
  EXPECT_EQ(arabic.invalid, 0u);
  EXPECT_EQ(arabic.controls, 1u);
  EXPECT_EQ(utf8_census("\xD3\xE1\xC7\xE3").invalid, 4u) << "windows-1256 is not UTF-8";
  EXPECT_EQ(utf8_census("a long plain ASCII line\nwith\ta newline").controls, 0u);
}

TEST(TextCodec, MislabelledUtf8) {
  const Utf8Census utf8 = utf8_census("Sanci\xC3\xB3n");
  EXPECT_TRUE(is_mislabelled_utf8("ISO-8859-15", utf8));
  EXPECT_TRUE(is_mislabelled_utf8("gb2312", utf8));
  EXPECT_FALSE(is_mislabelled_utf8("UTF-8", utf8));
  EXPECT_FALSE(is_mislabelled_utf8("utf-16le", utf8)) << "a wide label is another mistake";
  EXPECT_FALSE(is_mislabelled_utf8("", utf8));
  EXPECT_FALSE(is_mislabelled_utf8("windows-1256", utf8_census("\xD3\xE1\xC7\xE3"))) << "real legacy bytes";
  EXPECT_FALSE(is_mislabelled_utf8("windows-1256", utf8_census("plain ASCII"))) << "nothing says UTF-8";
}

}  // namespace
}  // namespace newsd::parsers
