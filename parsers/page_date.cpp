#include "parsers/page_date.hpp"

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

// Digits, alef variants, diacritics and punctuation are normalised first so
// that the tables below need one spelling per word.
std::string normalize_date_text(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    auto next = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0;
    if (c == 0xD9 && next >= 0xA0 && next <= 0xA9) {  // Arabic-Indic digits U+0660..U+0669
      out.push_back(static_cast<char>('0' + (next - 0xA0)));
      ++i;
    } else if (c == 0xDB && next >= 0xB0 && next <= 0xB9) {  // Extended Arabic-Indic U+06F0..U+06F9
      out.push_back(static_cast<char>('0' + (next - 0xB0)));
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

// Month names after normalize_date_text (alef variants folded to ا).
constexpr NamedValue kArabicMonths[] = {
    {"شباط", 2}, {"اذار", 3}, {"نيسان", 4}, {"ايار", 5}, {"حزيران", 6}, {"تموز", 7}, {"اب", 8}, {"ايلول", 9},
    {"يناير", 1}, {"فبراير", 2}, {"مارس", 3}, {"ابريل", 4}, {"مايو", 5}, {"يونيو", 6}, {"يونيه", 6},
    {"يوليو", 7}, {"يوليه", 7}, {"اغسطس", 8}, {"سبتمبر", 9}, {"اكتوبر", 10}, {"نوفمبر", 11}, {"ديسمبر", 12},
    {"جانفي", 1}, {"فيفري", 2}, {"افريل", 4}, {"ماي", 5}, {"جوان", 6}, {"جويلية", 7}, {"اوت", 8},
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

int month_of(std::string_view word) {
  for (auto [name, value] : kArabicMonths)
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

// Levantine two-word months: كانون الثاني / كانون الاول / تشرين الاول / تشرين الثاني.
int two_word_month(std::string_view first, std::string_view second) {
  bool second_is_first = second == "الاول";
  bool second_is_second = second == "الثاني";
  if (first == "كانون") return second_is_second ? 1 : second_is_first ? 12 : 0;
  if (first == "تشرين") return second_is_first ? 10 : second_is_second ? 11 : 0;
  return 0;
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

std::optional<TimePoint> relative_date(std::vector<Token>& tokens, const PageDateContext& context) {
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
    return context.now - seconds(count * unit->seconds);
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
    if (i + 1 < tokens.size()) month = two_word_month(tokens[i].text, tokens[i + 1].text);
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

std::optional<TimePoint> parse_visible_date(std::string_view text, const PageDateContext& context);

}  // namespace

std::optional<TimePoint> parse_page_date(std::string_view text, const PageDateContext& context) {
  if (text.size() > 512) text = text.substr(0, 512);  // a date is short; anything longer is a paragraph
  // Page forms first: parse_feed_date reads a date without a zone as UTC,
  // where a page means the site's local time.
  if (auto page = parse_visible_date(text, context)) return page;
  return parse_feed_date(text);
}

namespace {

std::optional<TimePoint> parse_visible_date(std::string_view text, const PageDateContext& context) {
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
  return time_point_cast<seconds>(local - zone.value_or(context.utc_offset));
}

}  // namespace
}  // namespace newsd::parsers
