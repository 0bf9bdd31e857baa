// Dates as feeds write them: RFC 822/1123 and their sloppy variants, ISO 8601 /
// W3C-DTF, and the Arabic forms of news sites (Levantine, Egyptian and
// Maghrebi month names, Arabic-Indic digits, ص/م for AM/PM).
#include "parsers/text/stated_time.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "parsers/text/arabic_text.hpp"
#include "parsers/text/ascii.hpp"

namespace newsd::parsers {
namespace {

struct NamedValue {
  std::string_view name;
  int value;
};

// English month names and the abbreviations seen in feeds, lower case.
constexpr std::array<NamedValue, 26> kEnglishMonths{{
    {"jan", 1}, {"january", 1}, {"feb", 2}, {"february", 2}, {"mar", 3}, {"march", 3},
    {"apr", 4}, {"april", 4}, {"may", 5}, {"jun", 6}, {"june", 6}, {"jul", 7}, {"july", 7},
    {"aug", 8}, {"august", 8}, {"sep", 9}, {"sept", 9}, {"september", 9}, {"oct", 10},
    {"october", 10}, {"nov", 11}, {"november", 11}, {"dec", 12}, {"december", 12},
    {"okt", 10}, {"mrz", 3},
}};

// Zone names with their offset from UTC in minutes. Ambiguous abbreviations
// (IST, AST, ...) are left out and read as UTC, as RFC 2822 says of unknown zones.
constexpr std::array<NamedValue, 34> kZones{{
    {"ut", 0},      {"utc", 0},     {"gmt", 0},     {"z", 0},       {"wet", 0},
    {"est", -300},  {"edt", -240},  {"cst", -360},  {"cdt", -300},  {"mst", -420},
    {"mdt", -360},  {"pst", -480},  {"pdt", -420},  {"akst", -540}, {"akdt", -480},
    {"hst", -600},  {"bst", 60},    {"cet", 60},    {"cest", 120},  {"met", 60},
    {"mest", 120},  {"eet", 120},   {"eest", 180},  {"west", 60},   {"msk", 180},
    {"jst", 540},   {"kst", 540},   {"aest", 600},  {"aedt", 660},  {"nzst", 720},
    {"nzdt", 780},  {"hkt", 480},   {"sgt", 480},   {"wib", 420},
}};

std::optional<int> lookup(std::string_view name, const auto& table) {
  for (const auto& entry : table)
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// ASCII digits for Arabic-Indic and Extended Arabic-Indic ones, ',' for the
// Arabic comma, ' ' for no-break and other spaces; everything else as is.
std::string fold_to_ascii_digits(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(text[i]);
    if (i + 1 < text.size()) {
      const auto b1 = static_cast<unsigned char>(text[i + 1]);
      if (const int digit = arabic_indic_digit_at(text, i); digit >= 0) {
        out.push_back(static_cast<char>('0' + digit));
        ++i;
        continue;
      }
      if (b0 == 0xD8 && b1 == 0x8C) {  // U+060C ARABIC COMMA
        out.push_back(',');
        ++i;
        continue;
      }
      if (b0 == 0xC2 && b1 == 0xA0) {  // U+00A0
        out.push_back(' ');
        ++i;
        continue;
      }
    }
    out.push_back(static_cast<char>(b0 == '\t' || b0 == '\n' || b0 == '\r' ? ' ' : b0));
  }
  return out;
}

struct DateFields {
  int year = -1;
  int month = -1;
  int day = -1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int offset_minutes = 0;
};

std::optional<StatedTime> to_stated_time(const DateFields& f) {
  using namespace std::chrono;
  if (f.year < 1 || f.year > 9999 || f.month < 1 || f.month > 12 || f.day < 1) return std::nullopt;
  const year_month_day ymd{year{f.year}, month{static_cast<unsigned>(f.month)}, day{static_cast<unsigned>(f.day)}};
  if (!ymd.ok()) return std::nullopt;
  if (f.hour < 0 || f.minute < 0 || f.minute > 59 || f.second < 0 || f.second > 60) return std::nullopt;
  if (f.hour > 24 || (f.hour == 24 && (f.minute != 0 || f.second != 0))) return std::nullopt;
  const int second = f.second == 60 ? 59 : f.second;  // a leap second is not representable
  const minutes offset{f.offset_minutes};
  return StatedTime{sys_days{ymd} + hours{f.hour} + minutes{f.minute} + seconds{second} - offset, offset};
}

// Reads up to max_digits digits at text[pos]; advances pos. -1 when none.
int read_number(std::string_view text, std::size_t& pos, std::size_t max_digits, std::size_t* count = nullptr) {
  int value = 0;
  std::size_t n = 0;
  while (pos < text.size() && n < max_digits && is_digit(text[pos])) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
    ++n;
  }
  if (count) *count = n;
  return n == 0 ? -1 : value;
}

// "+03:00", "-0500", "+3": the offset in minutes, or nullopt.
std::optional<int> parse_offset(std::string_view text) {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  const int sign = text[0] == '-' ? -1 : 1;
  std::size_t pos = 1;
  std::size_t digits = 0;
  int hours = read_number(text, pos, 2, &digits);
  if (hours < 0) return std::nullopt;
  int minutes = 0;
  if (pos < text.size() && text[pos] == ':') ++pos;
  if (pos < text.size()) {
    std::size_t mdigits = 0;
    minutes = read_number(text, pos, 2, &mdigits);
    if (minutes < 0 || mdigits != 2) return std::nullopt;
  }
  if (pos != text.size() || hours > 23 || minutes > 59) return std::nullopt;
  return sign * (hours * 60 + minutes);
}

// A zone at the end of an ISO date: "Z", "+03:00", "+0300", " GMT", "" (UTC).
std::optional<int> parse_iso_zone(std::string_view rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty()) return 0;
  if (rest.front() == '+' || rest.front() == '-') return parse_offset(rest);
  const std::string lower = lower_ascii(rest);
  if (auto zone = lookup(lower, kZones)) return zone;
  // "GMT+03:00"
  for (std::string_view prefix : {"gmt", "utc"})
    if (lower.starts_with(prefix)) return parse_offset(std::string_view(lower).substr(prefix.size()));
  return std::nullopt;
}

// ISO 8601 / W3C-DTF: 2004-01-01, 2004-01-01T19:48:21.52+02:00, 20040101T194821Z,
// 2004-01-01 19:48, 2004/01/01 19:48:21.
std::optional<StatedTime> parse_iso(std::string_view text) {
  DateFields f;
  std::size_t pos = 0;
  std::size_t digits = 0;
  f.year = read_number(text, pos, 4, &digits);
  if (digits != 4) return std::nullopt;
  if (pos == text.size()) {
    f.month = f.day = 1;
    return to_stated_time(f);
  }
  const char sep = text[pos];
  if (sep == '-' || sep == '/' || sep == '.') {
    ++pos;
    f.month = read_number(text, pos, 2, &digits);
    if (f.month < 0) return std::nullopt;
    if (pos < text.size() && text[pos] == sep) {
      ++pos;
      f.day = read_number(text, pos, 2, &digits);
      if (f.day < 0) return std::nullopt;
    } else {
      f.day = 1;
    }
  } else if (is_digit(sep)) {
    f.month = read_number(text, pos, 2, &digits);
    if (digits != 2) return std::nullopt;
    f.day = read_number(text, pos, 2, &digits);
    if (digits != 2) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    std::size_t time_pos = pos + 1;
    while (time_pos < text.size() && text[time_pos] == ' ') ++time_pos;
    if (time_pos < text.size() && is_digit(text[time_pos])) {
      pos = time_pos;
      f.hour = read_number(text, pos, 2, &digits);
      const bool extended = pos < text.size() && text[pos] == ':';
      if (extended) ++pos;
      if (pos < text.size() && is_digit(text[pos])) {
        f.minute = read_number(text, pos, 2, &digits);
        if (digits != 2) return std::nullopt;
        if (extended && pos < text.size() && text[pos] == ':') ++pos;
        if (pos < text.size() && is_digit(text[pos])) {
          f.second = read_number(text, pos, 2, &digits);
          if (digits != 2) return std::nullopt;
          if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
            ++pos;
            while (pos < text.size() && is_digit(text[pos])) ++pos;
          }
        }
      }
    }
  }
  auto zone = parse_iso_zone(text.substr(pos));
  if (!zone) return std::nullopt;
  f.offset_minutes = *zone;
  return to_stated_time(f);
}

// A loose reading of everything else: the tokens of the date, whatever their
// order, each recognised by its shape (RFC 822 and its many variants, "Jan 2,
// 2006 3:04 PM", "الأحد ١٢ كانون الثاني ٢٠٢٠ - ١٠:٣٠ م").
class LooseDateReader {
 public:
  std::optional<StatedTime> read(std::string_view text) {
    std::vector<std::string_view> tokens = split(text);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (!take(tokens, i)) return std::nullopt;
    }
    return finish();
  }

 private:
  static std::vector<std::string_view> split(std::string_view text) {
    std::vector<std::string_view> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '(' || text[i] == ')')) ++i;
      std::size_t start = i;
      while (i < text.size() && text[i] != ' ' && text[i] != ',' && text[i] != '(' && text[i] != ')') ++i;
      if (i > start) tokens.push_back(text.substr(start, i - start));
    }
    return tokens;
  }

  bool take(const std::vector<std::string_view>& tokens, std::size_t& i) {
    std::string_view token = tokens[i];
    if (is_digit(token.front())) return take_numeric(token);
    if (token.front() == '+' || (token.front() == '-' && token.size() > 1 && is_digit(token[1]))) {
      if (auto offset = parse_offset(token)) {
        offset_ = *offset;
        return true;
      }
      return false;
    }
    if (is_alpha(token.front())) return take_word(token);
    if (static_cast<unsigned char>(token.front()) >= 0x80) return take_arabic(tokens, i);
    return true;  // lone punctuation such as "-" or "|"
  }

  bool take_word(std::string_view token) {
    // "Jan-01-2004", "GMT+0300"
    const std::size_t split_at = token.find_first_of("-+/.");
    if (split_at != std::string_view::npos && split_at > 0) {
      const std::string_view head = token.substr(0, split_at);
      if (!take_word(head)) return false;
      std::string_view rest = token.substr(split_at);
      // "GMT+0300" is an offset; "Jan-2004" is not.
      if ((rest.front() == '+' || rest.front() == '-') && lookup(lower_ascii(head), kZones)) {
        if (auto offset = parse_offset(rest)) {
          offset_ = *offset;
          return true;
        }
        rest.remove_prefix(1);
      } else {
        rest.remove_prefix(1);
      }
      if (rest.empty()) return true;
      return is_digit(rest.front()) ? take_numeric(rest) : take_word(rest);
    }
    const std::string lower = lower_ascii(token);
    if (auto month = lookup(lower, kEnglishMonths)) return set(month_, *month);
    if (lower == "am" || lower == "a.m") return (meridiem_ = 'a'), true;
    if (lower == "pm" || lower == "p.m") return (meridiem_ = 'p'), true;
    if (auto zone = lookup(lower, kZones)) return (offset_ = *zone), true;
    // Weekday names (possibly wrong), military zone letters, "at", "de", ...:
    // none changes the instant, so they are skipped.
    return true;
  }

  bool take_arabic(const std::vector<std::string_view>& tokens, std::size_t& i) {
    if (i + 1 < tokens.size()) {
      if (const int month = arabic_two_word_month(tokens[i], tokens[i + 1])) {
        ++i;
        return set(month_, month);
      }
    }
    if (const int month = arabic_month(tokens[i])) return set(month_, month);
    const std::string word = fold_arabic_spelling(tokens[i]);
    // ص / صباحا (morning), م / مساء (evening); "م" after a year means AD and
    // is harmless to read as PM only when a time is present.
    if (word == "ص" || word == "صباحا") return (meridiem_ = 'a'), true;
    if (word == "م" || word == "مساء" || word == "مساءا") return (meridiem_ = 'p'), true;
    return true;  // weekday names and other words
  }

  bool take_numeric(std::string_view token) {
    std::size_t pos = 0;
    std::size_t digits = 0;
    const int first = read_number(token, pos, 9, &digits);
    if (pos == token.size()) return take_number(first, digits);
    const char sep = token[pos];
    if (sep == ':') return take_time(token);
    if (sep == '/' || sep == '-' || sep == '.') {
      // "01-Jan-2004" has letters; "19/05/2021" and "2021-05-19" do not.
      if (token.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos) {
        if (!take_number(first, digits)) return false;
        std::string_view rest = token.substr(pos + 1);
        return rest.empty() || (is_digit(rest.front()) ? take_numeric(rest) : take_word(rest));
      }
      return take_numeric_date(token);
    }
    // "1st", "2nd", "23rd", "4th"; other letters glued to a number ("2004GMT") are words.
    std::string_view suffix = token.substr(pos);
    const std::string lower_suffix = lower_ascii(suffix);
    if (lower_suffix == "st" || lower_suffix == "nd" || lower_suffix == "rd" || lower_suffix == "th") suffix = {};
    if (!take_number(first, digits)) return false;
    if (suffix.empty()) return true;
    return !is_alpha(suffix.front()) || take_word(suffix);
  }

  bool take_number(int value, std::size_t digits) {
    if (digits >= 3) return set(year_, value);
    if (value > 31) return set(year_, two_digit_year(value));
    numbers_.push_back({value, digits});
    return true;
  }

  bool take_time(std::string_view token) {
    if (have_time_) return false;
    have_time_ = true;
    std::size_t pos = 0;
    hour_ = read_number(token, pos, 2);
    if (pos >= token.size() || token[pos] != ':') return false;
    ++pos;
    std::size_t digits = 0;
    minute_ = read_number(token, pos, 2, &digits);
    if (digits != 2) return false;
    if (pos < token.size() && token[pos] == ':') {
      ++pos;
      second_ = read_number(token, pos, 2, &digits);
      if (digits != 2) return false;
      if (pos < token.size() && (token[pos] == '.' || token[pos] == ',')) {
        ++pos;
        while (pos < token.size() && is_digit(token[pos])) ++pos;
      }
    }
    std::string_view rest = token.substr(pos);
    if (rest.empty()) return true;
    if (rest.front() == '+' || rest.front() == '-') {
      auto offset = parse_offset(rest);
      if (!offset) return false;
      offset_ = *offset;
      return true;
    }
    return is_alpha(rest.front()) && take_word(rest);
  }

  // "19/05/2021" (day first, as in most of the world, unless that cannot be),
  // "05/19/2021", "2021/05/19", "19.05.21".
  bool take_numeric_date(std::string_view token) {
    int parts[3] = {-1, -1, -1};
    std::size_t widths[3] = {0, 0, 0};
    std::size_t pos = 0;
    for (int k = 0; k < 3; ++k) {
      parts[k] = read_number(token, pos, 4, &widths[k]);
      if (parts[k] < 0) return false;
      if (k < 2) {
        if (pos >= token.size() || (token[pos] != '/' && token[pos] != '-' && token[pos] != '.')) return false;
        ++pos;
      }
    }
    if (pos != token.size()) return false;
    if (widths[0] == 4) return set(year_, parts[0]) && set(month_, parts[1]) && set(day_, parts[2]);
    const bool month_first = parts[0] <= 12 && parts[1] > 12;
    return set(day_, month_first ? parts[1] : parts[0]) && set(month_, month_first ? parts[0] : parts[1]) &&
           set(year_, widths[2] <= 2 ? two_digit_year(parts[2]) : parts[2]);
  }

  static int two_digit_year(int y) { return y < 50 ? 2000 + y : 1900 + y; }

  static bool set(int& field, int value) {
    if (field >= 0) return field == value;
    field = value;
    return true;
  }

  std::optional<StatedTime> finish() {
    // Numbers not yet placed: the day first, then a two-digit year.
    for (const auto& [value, digits] : numbers_) {
      if (day_ < 0) {
        day_ = value;
      } else if (year_ < 0) {
        year_ = digits <= 2 ? two_digit_year(value) : value;
      } else {
        return std::nullopt;
      }
    }
    if (year_ < 0 || month_ < 0 || day_ < 0) return std::nullopt;
    if (meridiem_ == 'p' && hour_ < 12) hour_ += 12;
    if (meridiem_ == 'a' && hour_ == 12) hour_ = 0;
    DateFields f;
    f.year = year_;
    f.month = month_;
    f.day = day_;
    f.hour = hour_;
    f.minute = minute_;
    f.second = second_;
    f.offset_minutes = offset_;
    return to_stated_time(f);
  }

  struct Number {
    int value;
    std::size_t digits;
  };
  std::vector<Number> numbers_;
  int year_ = -1;
  int month_ = -1;
  int day_ = -1;
  int hour_ = 0;
  int minute_ = 0;
  int second_ = 0;
  int offset_ = 0;
  bool have_time_ = false;
  char meridiem_ = 0;
};

}  // namespace

std::optional<StatedTime> parse_feed_date(std::string_view text) {
  // Dates longer than this are not dates; the bound keeps hostile input cheap.
  if (text.size() > 256) return std::nullopt;
  const std::string folded = fold_to_ascii_digits(text);
  std::string_view trimmed = folded;
  while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
  while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
  if (trimmed.empty()) return std::nullopt;
  if (trimmed.size() >= 4 && is_digit(trimmed[0]) && is_digit(trimmed[1]) && is_digit(trimmed[2]) &&
      is_digit(trimmed[3])) {
    if (auto t = parse_iso(trimmed)) return t;
  }
  return LooseDateReader{}.read(trimmed);
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  if (auto stated = parse_feed_date(text)) return stated->utc;
  return std::nullopt;
}

namespace {

// `local` printed as a wall-clock time followed by `zone` ("Z", "+07:00").
std::string format_wall_clock(TimePoint local, std::string_view zone) {
  using namespace std::chrono;
  const sys_days day_point = floor<days>(local);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{local - day_point};
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d%.*s", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<int>(zone.size()), zone.data());
  return buffer;
}

}  // namespace

std::string format_rfc3339(TimePoint t) { return format_wall_clock(t, "Z"); }

std::string format_rfc3339_millis(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(t);
  const auto whole = floor<seconds>(millis);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>((millis - whole).count() % 1000));
  return format_wall_clock(whole, fraction);
}

std::string format_rfc3339(const StatedTime& t) {
  const int offset = static_cast<int>(t.offset.count());
  if (offset == 0) return format_wall_clock(t.utc, "Z");
  const int magnitude = offset < 0 ? -offset : offset;
  char zone[8];
  // Parsers state at most ±23:59; "% 100" only tells the compiler the hours fit two digits.
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset < 0 ? '-' : '+', magnitude / 60 % 100, magnitude % 60);
  return format_wall_clock(t.utc + t.offset, zone);
}

}  // namespace newsd::parsers
