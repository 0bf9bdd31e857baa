#include "parsers/articles/page_date.hpp"

#include "parsers/html/html_document.hpp"
#include "parsers/html/html_elements.hpp"
#include "parsers/text/arabic_text.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace newsd::parsers {
namespace {

using namespace std::chrono;
using Month = std::chrono::month;
using Day = std::chrono::day;

// Lower case of a U+0100..U+017F letter: the block pairs capitals with the
// next code point, at even positions except in U+0139..U+0148 and U+0179..U+017E.
char32_t latin_extended_a_lower(char32_t cp) {
  bool odd_capitals = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
  bool paired = cp <= 0x137 || (cp >= 0x139 && cp <= 0x148) || (cp >= 0x14A && cp <= 0x177) || (cp >= 0x179 && cp <= 0x17E);
  if (paired && (cp % 2 == 1) == odd_capitals) return cp + 1;
  return cp;
}

// Digits, alef variants, diacritics and punctuation are normalised first so
// that the tables below need one spelling per word.
std::string normalize_date_text(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    auto next = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0;
    if (int digit = arabic_indic_digit_at(in, i); digit >= 0) {
      out.push_back(static_cast<char>('0' + digit));
      ++i;
    } else if (c == 0xD8 && (next == 0xA3 || next == 0xA5 || next == 0xA2)) {  // أ إ آ -> ا
      out += "\xD8\xA7";
      ++i;
    } else if (c == 0xD9 && next >= 0x8B && next <= 0x92) {  // harakat and tanween
      ++i;
    } else if (c == 0xD8 && next == 0x8C) {  // Arabic comma
      out.push_back(',');
      ++i;
    } else if (c == 0xD9 && (next == 0xAB || next == 0xAC)) {  // Arabic decimal / thousands separators
      ++i;
    } else if (c == 0xD9 && next == 0x80) {  // tatweel
      ++i;
    } else if (c == 0xC2 && next == 0xA0) {  // no-break space
      out.push_back(' ');
      ++i;
    } else if (c == 0xE2 && (next == 0x80 || next == 0x81) && i + 2 < in.size()) {
      // General punctuation (dashes, spaces, bidi marks) separates tokens.
      out.push_back(' ');
      i += 2;
    } else if (c >= 'A' && c <= 'Z') {
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (c == 0xD0 && next >= 0x90 && next <= 0x9F) {  // Cyrillic А..П -> а..п
      out.push_back(static_cast<char>(0xD0));
      out.push_back(static_cast<char>(next + 0x20));
      ++i;
    } else if (c == 0xD0 && next >= 0xA0 && next <= 0xAF) {  // Cyrillic Р..Я -> р..я
      out.push_back(static_cast<char>(0xD1));
      out.push_back(static_cast<char>(next - 0x20));
      ++i;
    } else if (c == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97) {  // À..Þ -> à..þ
      out.push_back(static_cast<char>(c));
      out.push_back(static_cast<char>(next + 0x20));
      ++i;
    } else if ((c == 0xC4 || c == 0xC5) && next >= 0x80 && next <= 0xBF) {  // Latin Extended-A: Č, Ł, Ř, Ş, Ž...
      char32_t cp = (static_cast<char32_t>(c & 0x1F) << 6) | (next & 0x3F);
      if (cp == 0x130) {
        out.push_back('i');  // Turkish İ
      } else {
        out.push_back(static_cast<char>(0xC0 | (latin_extended_a_lower(cp) >> 6)));
        out.push_back(static_cast<char>(0x80 | (latin_extended_a_lower(cp) & 0x3F)));
      }
      ++i;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

enum class TokenKind { number, word, punct };

struct Token {
  TokenKind kind;
  std::string text;
  int value = 0;        // numbers
  int digits = 0;       // numbers
  bool used = false;
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < s.size() && tokens.size() < 64) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= '0' && c <= '9') {
      Token t{TokenKind::number, {}};
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (t.digits < 9) t.value = t.value * 10 + (s[i] - '0');
        ++t.digits;
        t.text.push_back(s[i++]);
      }
      tokens.push_back(std::move(t));
    } else if ((c >= 'a' && c <= 'z') || c >= 0x80) {
      Token t{TokenKind::word, {}};
      while (i < s.size()) {
        auto d = static_cast<unsigned char>(s[i]);
        if (!((d >= 'a' && d <= 'z') || d >= 0x80)) break;
        t.text.push_back(s[i++]);
      }
      tokens.push_back(std::move(t));
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
    } else {
      tokens.push_back({TokenKind::punct, std::string(1, s[i++])});
    }
  }
  return tokens;
}

struct NamedValue {
  std::string_view name;
  int value;
};

// Full Latin-script month names; abbreviations match as prefixes of these.
constexpr NamedValue kLatinMonths[] = {
    {"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6}, {"july", 7},
    {"august", 8}, {"september", 9}, {"october", 10}, {"november", 11}, {"december", 12},
    {"januar", 1}, {"jänner", 1}, {"februar", 2}, {"märz", 3}, {"mai", 5}, {"juni", 6}, {"juli", 7},
    {"oktober", 10}, {"dezember", 12},
    {"janvier", 1}, {"février", 2}, {"fevrier", 2}, {"mars", 3}, {"avril", 4}, {"juin", 6}, {"juillet", 7},
    {"août", 8}, {"aout", 8}, {"septembre", 9}, {"octobre", 10}, {"novembre", 11}, {"décembre", 12},
    {"enero", 1}, {"febrero", 2}, {"marzo", 3}, {"abril", 4}, {"mayo", 5}, {"junio", 6}, {"julio", 7},
    {"agosto", 8}, {"septiembre", 9}, {"setiembre", 9}, {"octubre", 10}, {"noviembre", 11}, {"diciembre", 12},
    {"gennaio", 1}, {"febbraio", 2}, {"aprile", 4}, {"maggio", 5}, {"giugno", 6}, {"luglio", 7},
    {"settembre", 9}, {"ottobre", 10}, {"dicembre", 12},
    {"janeiro", 1}, {"fevereiro", 2}, {"março", 3}, {"maio", 5}, {"junho", 6}, {"julho", 7}, {"setembro", 9},
    {"outubro", 10}, {"dezembro", 12},
    {"januari", 1}, {"februari", 2}, {"maart", 3}, {"mei", 5}, {"augustus", 8},
};

// Month names matched whole only: as prefixes, short forms of these would
// read everyday words ("sie", "lip", "kas") as months.
constexpr NamedValue kWholeWordMonths[] = {
    // Swedish, Danish, Norwegian
    {"maj", 5}, {"augusti", 8}, {"marts", 3}, {"desember", 12},
    // Turkish
    {"ocak", 1}, {"şubat", 2}, {"mart", 3}, {"nisan", 4}, {"mayıs", 5}, {"haziran", 6}, {"temmuz", 7},
    {"ağustos", 8}, {"eylül", 9}, {"ekim", 10}, {"kasım", 11}, {"aralık", 12},
    // Polish, nominative and genitive ("12 marca 2021")
    {"styczeń", 1}, {"stycznia", 1}, {"luty", 2}, {"lutego", 2}, {"marzec", 3}, {"marca", 3},
    {"kwiecień", 4}, {"kwietnia", 4}, {"maja", 5}, {"czerwiec", 6}, {"czerwca", 6}, {"lipiec", 7},
    {"lipca", 7}, {"sierpień", 8}, {"sierpnia", 8}, {"wrzesień", 9}, {"września", 9},
    {"październik", 10}, {"października", 10}, {"listopad", 11}, {"listopada", 11}, {"grudzień", 12},
    {"grudnia", 12},
    // Czech, genitive
    {"ledna", 1}, {"února", 2}, {"března", 3}, {"dubna", 4}, {"května", 5}, {"června", 6},
    {"července", 7}, {"srpna", 8}, {"září", 9}, {"října", 10}, {"listopadu", 11}, {"prosince", 12},
    // Russian and Ukrainian, nominative and genitive
    {"январь", 1}, {"января", 1}, {"февраль", 2}, {"февраля", 2}, {"март", 3}, {"марта", 3},
    {"апрель", 4}, {"апреля", 4}, {"май", 5}, {"мая", 5}, {"июнь", 6}, {"июня", 6}, {"июль", 7},
    {"июля", 7}, {"август", 8}, {"августа", 8}, {"сентябрь", 9}, {"сентября", 9}, {"октябрь", 10},
    {"октября", 10}, {"ноябрь", 11}, {"ноября", 11}, {"декабрь", 12}, {"декабря", 12},
    {"січня", 1}, {"лютого", 2}, {"березня", 3}, {"квітня", 4}, {"травня", 5}, {"червня", 6},
    {"липня", 7}, {"серпня", 8}, {"вересня", 9}, {"жовтня", 10}, {"листопада", 11}, {"грудня", 12},
};

int month_of(std::string_view word) {
  if (int month = arabic_month(word)) return month;
  for (auto [name, value] : kWholeWordMonths)
    if (word == name) return value;
  if (word.size() < 3 || static_cast<unsigned char>(word[0]) >= 0x80) return 0;
  int found = 0;
  for (auto [name, value] : kLatinMonths) {
    if (name.substr(0, word.size()) != word) continue;
    if (found != 0 && found != value) return 0;  // an ambiguous abbreviation
    found = value;
  }
  return found;
}

struct RelativeUnit {
  std::string_view name;
  int seconds;
  int implied_count;  // 0: needs a number; 1 or 2: the word itself says how many (Arabic singular/dual)
};

constexpr RelativeUnit kRelativeUnits[] = {
    {"ثانية", 1, 1}, {"ثانيه", 1, 1}, {"ثوان", 1, 0}, {"ثواني", 1, 0}, {"ثانيتين", 1, 2}, {"ثانيتان", 1, 2},
    {"دقيقة", 60, 1}, {"دقيقه", 60, 1}, {"دقائق", 60, 0}, {"دقايق", 60, 0}, {"دقيقتين", 60, 2}, {"دقيقتان", 60, 2},
    {"ساعة", 3600, 1}, {"ساعه", 3600, 1}, {"ساعات", 3600, 0}, {"ساعتين", 3600, 2}, {"ساعتان", 3600, 2},
    {"يوم", 86400, 1}, {"ايام", 86400, 0}, {"يومين", 86400, 2}, {"يومان", 86400, 2},
    {"اسبوع", 604800, 1}, {"اسابيع", 604800, 0}, {"اسبوعين", 604800, 2}, {"اسبوعان", 604800, 2},
    {"شهر", 2592000, 1}, {"اشهر", 2592000, 0}, {"شهور", 2592000, 0}, {"شهرين", 2592000, 2}, {"شهران", 2592000, 2},
    {"سنة", 31536000, 1}, {"سنه", 31536000, 1}, {"سنوات", 31536000, 0}, {"سنتين", 31536000, 2},
    {"عام", 31536000, 1}, {"اعوام", 31536000, 0}, {"عامين", 31536000, 2},
    {"second", 1, 0}, {"seconds", 1, 0}, {"sec", 1, 0}, {"secs", 1, 0}, {"minute", 60, 0}, {"minutes", 60, 0},
    {"min", 60, 0}, {"mins", 60, 0}, {"hour", 3600, 0}, {"hours", 3600, 0}, {"hr", 3600, 0}, {"hrs", 3600, 0},
    {"day", 86400, 0}, {"days", 86400, 0}, {"week", 604800, 0}, {"weeks", 604800, 0},
    {"month", 2592000, 0}, {"months", 2592000, 0}, {"year", 31536000, 0}, {"years", 31536000, 0},
    {"minuten", 60, 0}, {"stunde", 3600, 0}, {"stunden", 3600, 0}, {"tag", 86400, 0}, {"tagen", 86400, 0},
    {"woche", 604800, 0}, {"wochen", 604800, 0},
    {"heure", 3600, 0}, {"heures", 3600, 0}, {"jour", 86400, 0}, {"jours", 86400, 0},
    {"semaine", 604800, 0}, {"semaines", 604800, 0},
    {"minuto", 60, 0}, {"minutos", 60, 0}, {"hora", 3600, 0}, {"horas", 3600, 0}, {"día", 86400, 0},
    {"días", 86400, 0}, {"dia", 86400, 0}, {"dias", 86400, 0}, {"semana", 604800, 0}, {"semanas", 604800, 0},
    {"minuti", 60, 0}, {"ora", 3600, 0}, {"ore", 3600, 0}, {"giorno", 86400, 0}, {"giorni", 86400, 0},
};

constexpr std::string_view kRelativeMarkers[] = {"منذ", "قبل", "ago", "vor", "hace", "fa", "il", "há"};
constexpr std::string_view kYesterday[] = {"امس", "البارحة", "yesterday", "gestern", "hier", "ayer", "ieri", "ontem"};
constexpr std::string_view kToday[] = {"اليوم", "today", "heute", "hoy", "oggi", "hoje"};
constexpr std::string_view kPm[] = {"pm", "م", "مساء", "مساءا", "عصرا", "ظهرا", "ليلا"};
constexpr std::string_view kAm[] = {"am", "ص", "صباحا", "صباح", "فجرا"};

constexpr NamedValue kZoneOffsets[] = {  // minutes east of UTC
    {"utc", 0}, {"gmt", 0}, {"z", 0}, {"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
    {"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420}, {"bst", 60}, {"cet", 60}, {"cest", 120},
    {"mez", 60}, {"mesz", 120}, {"eet", 120}, {"eest", 180}, {"msk", 180}, {"jst", 540}, {"aest", 600},
    {"aedt", 660}, {"غرينتش", 0}, {"غرينيتش", 0},
};

template <std::size_t N>
bool in_list(const std::string_view (&list)[N], std::string_view word) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

bool is_punct(const Token& t, char c) { return t.kind == TokenKind::punct && t.text[0] == c; }

std::optional<StatedTime> relative_date(std::vector<Token>& tokens, const PageDateContext& context) {
  bool marker = false;
  for (auto& t : tokens)
    if (t.kind == TokenKind::word && in_list(kRelativeMarkers, t.text)) marker = true;
  if (!marker) return std::nullopt;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != TokenKind::word) continue;
    auto unit = std::find_if(std::begin(kRelativeUnits), std::end(kRelativeUnits),
                             [&](const RelativeUnit& u) { return u.name == tokens[i].text; });
    if (unit == std::end(kRelativeUnits)) continue;
    long count = unit->implied_count;
    if (i > 0 && tokens[i - 1].kind == TokenKind::number) count = tokens[i - 1].value;
    else if (i > 0 && (tokens[i - 1].text == "a" || tokens[i - 1].text == "an" || tokens[i - 1].text == "one"))
      count = 1;
    if (count <= 0 && unit->implied_count == 0) continue;
    // Resolved against the fetch time, which is UTC: the page stated no offset.
    return StatedTime{context.now - seconds(count * unit->seconds), minutes{0}, true};
  }
  return std::nullopt;
}

struct Clock {
  int hour = 0, minute = 0, second = 0;
  bool found = false;
};

Clock find_time(std::vector<Token>& tokens) {
  Clock clock;
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i) {
    auto& h = tokens[i];
    if (h.kind != TokenKind::number || h.used || h.digits > 2) continue;
    bool colon = is_punct(tokens[i + 1], ':');
    bool french_h = tokens[i + 1].kind == TokenKind::word && tokens[i + 1].text == "h";
    auto& m = tokens[i + 2];
    if (!(colon || french_h) || m.kind != TokenKind::number || m.digits != 2) continue;
    if (h.value > 24 || m.value > 59) continue;
    clock = {h.value, m.value, 0, true};
    h.used = m.used = true;
    std::size_t next = i + 3;
    if (next + 1 < tokens.size() && is_punct(tokens[next], ':') && tokens[next + 1].kind == TokenKind::number &&
        tokens[next + 1].value < 61) {
      clock.second = tokens[next + 1].value;
      tokens[next + 1].used = true;
      next += 2;
    }
    // am/pm right after the time: "9:12 PM", "9:12 م", "p.m."
    bool pm = false, am = false;
    for (std::size_t k = next; k < tokens.size() && k < next + 3; ++k) {
      const auto& t = tokens[k];
      if (t.kind != TokenKind::word) continue;
      if (in_list(kPm, t.text) || (t.text == "p" && k + 2 < tokens.size() && tokens[k + 2].text == "m")) pm = true;
      if (in_list(kAm, t.text) || (t.text == "a" && k + 2 < tokens.size() && tokens[k + 2].text == "m")) am = true;
      break;
    }
    if (pm && clock.hour < 12) clock.hour += 12;
    if (am && clock.hour == 12) clock.hour = 0;
    if (clock.hour == 24) clock.hour = 0;
    return clock;
  }
  return clock;
}

std::optional<minutes> find_zone(const std::vector<Token>& tokens) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const auto& t = tokens[i];
    // "+0300", "+03:00", "GMT+3", "UTC-05:00" after a time
    if ((is_punct(t, '+') || is_punct(t, '-')) && i + 1 < tokens.size() && tokens[i + 1].kind == TokenKind::number &&
        !tokens[i + 1].used && i > 0 &&
        (tokens[i - 1].used || (tokens[i - 1].kind == TokenKind::word && (tokens[i - 1].text == "gmt" ||
                                                                         tokens[i - 1].text == "utc")))) {
      int sign = t.text[0] == '-' ? -1 : 1;
      const auto& n = tokens[i + 1];
      int hours = 0, mins = 0;
      if (n.digits == 4) {
        hours = n.value / 100;
        mins = n.value % 100;
      } else if (n.digits <= 2) {
        hours = n.value;
        if (i + 3 < tokens.size() && is_punct(tokens[i + 2], ':') && tokens[i + 3].kind == TokenKind::number)
          mins = tokens[i + 3].value;
      } else {
        continue;
      }
      if (hours > 14 || mins > 59) continue;
      return minutes(sign * (hours * 60 + mins));
    }
    if (t.kind == TokenKind::word) {
      for (auto [name, offset] : kZoneOffsets)
        if (t.text == name) {
          bool followed_by_offset = i + 1 < tokens.size() && (is_punct(tokens[i + 1], '+') || is_punct(tokens[i + 1], '-'));
          if (!followed_by_offset) return minutes(offset);
        }
    }
  }
  return std::nullopt;
}

struct CivilDate {
  int year = 0, month = 0, day = 0;
};

int full_year(const Token& t) {
  if (t.digits == 4 && t.value >= 1900 && t.value <= 2200) return t.value;
  if (t.digits == 2) return t.value < 70 ? 2000 + t.value : 1900 + t.value;
  return 0;
}

std::optional<CivilDate> numeric_date(std::vector<Token>& tokens) {
  for (std::size_t i = 0; i + 4 < tokens.size(); ++i) {
    auto &a = tokens[i], &s1 = tokens[i + 1], &b = tokens[i + 2], &s2 = tokens[i + 3], &c = tokens[i + 4];
    if (a.kind != TokenKind::number || b.kind != TokenKind::number || c.kind != TokenKind::number) continue;
    if (a.used || b.used || c.used || s1.kind != TokenKind::punct || s2.kind != TokenKind::punct) continue;
    if (s1.text != s2.text || (s1.text != "/" && s1.text != "." && s1.text != "-")) continue;
    CivilDate d;
    if (a.digits == 4) {
      d = {a.value, b.value, c.value};
    } else if (c.digits == 4 || c.digits == 2) {
      d = {full_year(c), b.value, a.value};
      // Day-first is the norm outside the US; a middle value over 12 can only be a day.
      if (b.value > 12 && a.value <= 12) d = {full_year(c), a.value, b.value};
    } else {
      continue;
    }
    if (d.year == 0 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31) continue;
    a.used = b.used = c.used = true;
    return d;
  }
  return std::nullopt;
}

bool skippable(const Token& t) {
  if (t.kind == TokenKind::punct) return t.text == "." || t.text == "," || t.text == "-" || t.text == "/";
  return t.text == "de" || t.text == "del" || t.text == "st" || t.text == "nd" || t.text == "rd" ||
         t.text == "th" || t.text == "of" || t.text == "er" || t.text == "le";
}

int day_value(const Token& t) { return (t.kind == TokenKind::number && !t.used && t.digits <= 2 && t.value >= 1 && t.value <= 31) ? t.value : 0; }

std::optional<CivilDate> month_name_date(std::vector<Token>& tokens, const PageDateContext& context) {
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i].kind != TokenKind::word) continue;
    int month = 0;
    std::size_t last = i;
    if (i + 1 < tokens.size()) month = arabic_two_word_month(tokens[i].text, tokens[i + 1].text);
    if (month != 0) last = i + 1;
    else month = month_of(tokens[i].text);
    if (month == 0) continue;
    CivilDate d{0, month, 0};
    std::size_t day_index = tokens.size();
    // The day just before the month ("20 أيار", "19. Mai", "19 de mayo"), else just after ("May 19").
    for (std::size_t k = i, steps = 0; k-- > 0 && steps < 3; ++steps) {
      if (int v = day_value(tokens[k])) {
        d.day = v;
        day_index = k;
        break;
      }
      if (!skippable(tokens[k])) break;
    }
    if (d.day == 0) {
      for (std::size_t k = last + 1, steps = 0; k < tokens.size() && steps < 3; ++k, ++steps) {
        if (int v = day_value(tokens[k])) {
          d.day = v;
          day_index = k;
          break;
        }
        if (!skippable(tokens[k])) break;
      }
    }
    if (d.day == 0) continue;
    tokens[day_index].used = true;
    for (std::size_t k = last + 1; k < tokens.size() && k < last + 6; ++k) {
      if (tokens[k].kind == TokenKind::number && !tokens[k].used && tokens[k].digits == 4 && full_year(tokens[k])) {
        d.year = tokens[k].value;
        tokens[k].used = true;
        break;
      }
    }
    if (d.year == 0 && day_index < i) {
      for (std::size_t k = day_index; k-- > 0 && k + 4 > day_index;)
        if (tokens[k].kind == TokenKind::number && tokens[k].digits == 4 && full_year(tokens[k])) {
          d.year = tokens[k].value;
          tokens[k].used = true;
          break;
        }
    }
    if (d.year == 0) {
      // No year printed: the most recent such date not after the fetch.
      year_month_day today{floor<days>(context.now)};
      d.year = static_cast<int>(today.year());
      year_month_day candidate{year{d.year}, Month(d.month), Day(d.day)};
      if (candidate.ok() && sys_days(candidate) > floor<days>(context.now) + days(1)) --d.year;
    }
    return d;
  }
  return std::nullopt;
}

std::optional<StatedTime> parse_visible_date(std::string_view text, const PageDateContext& context);

}  // namespace

std::optional<StatedTime> parse_page_date(std::string_view text, const PageDateContext& context) {
  if (text.size() > 512) text = text.substr(0, 512);  // a date is short; anything longer is a paragraph
  // Page forms first: parse_feed_date reads a date without a zone as UTC,
  // where a page means the site's local time.
  if (auto page = parse_visible_date(text, context)) return page;
  return parse_feed_date(text);
}

namespace {

std::optional<StatedTime> parse_visible_date(std::string_view text, const PageDateContext& context) {
  auto tokens = tokenize(normalize_date_text(text));
  if (tokens.empty()) return std::nullopt;
  if (auto relative = relative_date(tokens, context)) return relative;

  Clock clock = find_time(tokens);
  auto zone = find_zone(tokens);
  std::optional<CivilDate> date = numeric_date(tokens);
  if (!date) date = month_name_date(tokens, context);
  if (!date) {
    bool yesterday = false, today = false;
    for (const auto& t : tokens) {
      if (t.kind != TokenKind::word) continue;
      yesterday = yesterday || in_list(kYesterday, t.text);
      today = today || in_list(kToday, t.text);
    }
    if (!yesterday && !today) return std::nullopt;
    auto local_now = context.now + context.utc_offset;
    year_month_day ymd{floor<days>(local_now) - days(yesterday ? 1 : 0)};
    date = CivilDate{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                     static_cast<int>(static_cast<unsigned>(ymd.day()))};
  }
  year_month_day ymd{year{date->year}, Month(static_cast<unsigned>(date->month)), Day(static_cast<unsigned>(date->day))};
  if (!ymd.ok()) return std::nullopt;
  auto local = sys_days(ymd) + hours(clock.hour) + minutes(clock.minute) + seconds(clock.second);
  // The zone printed with the date, else the site's: both are what the page means.
  const minutes offset = zone.value_or(context.utc_offset);
  return StatedTime{time_point_cast<seconds>(local - offset), offset};
}

}  // namespace
namespace {

// Text nodes read on each side of the headline, and the longest text that
// can be a dateline rather than a sentence of the article.
constexpr int kTextNodesAfterHeadline = 40;
constexpr int kTextNodesBeforeHeadline = 8;
constexpr std::size_t kMaxDatelineBytes = 160;

// The next node in document order; `descend` = false skips node's subtree.
pugi::xml_node following(pugi::xml_node node, bool descend) {
  if (descend && node.first_child()) return node.first_child();
  while (node && !node.next_sibling()) node = node.parent();
  return node ? node.next_sibling() : pugi::xml_node{};
}

// The previous node in document order.
pugi::xml_node preceding(pugi::xml_node node) {
  if (!node.previous_sibling()) return node.parent();
  node = node.previous_sibling();
  while (node.last_child()) node = node.last_child();
  return node;
}

bool inside_non_content(pugi::xml_node node) {
  for (auto p = node.parent(); p; p = p.parent())
    if (p.type() == pugi::node_element && is_non_content_element(p.name())) return true;
  return false;
}

// A date in the text of `node` (a text node) or of its parent element when
// that is short: "Published on <b>March 12, 2021</b>" reads as a whole.
std::optional<StatedTime> dateline(pugi::xml_node text_node, const PageDateContext& context) {
  std::string_view own = text_node.value();
  if (own.size() > kMaxDatelineBytes) return std::nullopt;
  std::optional<StatedTime> date;
  if (pugi::xml_node parent = text_node.parent(); parent && !inside_non_content(text_node)) {
    std::string whole = dom_text(parent);
    if (whole.size() <= kMaxDatelineBytes) date = parse_page_date(whole, context);
  }
  if (!date) date = parse_page_date(own, context);
  if (!date) return std::nullopt;
  auto earliest = sys_days(year{1995} / 1 / 1);
  if (date->utc < earliest) return std::nullopt;
  if (context.now != TimePoint{} && date->utc > context.now + hours(24)) return std::nullopt;
  return date;
}

}  // namespace

std::optional<StatedTime> date_near_headline(pugi::xml_node h1, const PageDateContext& context) {
  if (!h1) return std::nullopt;
  int seen = 0;
  for (pugi::xml_node node = following(h1, false); node && seen < kTextNodesAfterHeadline;) {
    if (node.type() == pugi::node_element && is_non_content_element(node.name())) {
      node = following(node, false);
      continue;
    }
    if (node.type() == pugi::node_pcdata &&
        std::string_view(node.value()).find_first_not_of(" \t\r\n") != std::string_view::npos) {
      ++seen;
      if (auto date = dateline(node, context)) return date;
    }
    node = following(node, true);
  }
  seen = 0;
  for (pugi::xml_node node = preceding(h1); node && seen < kTextNodesBeforeHeadline; node = preceding(node)) {
    if (node.type() != pugi::node_pcdata || inside_non_content(node)) continue;
    if (std::string_view(node.value()).find_first_not_of(" \t\r\n") == std::string_view::npos) continue;
    ++seen;
    if (auto date = dateline(node, context)) return date;
  }
  return std::nullopt;
}

}  // namespace newsd::parsers
