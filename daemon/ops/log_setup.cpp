#include "daemon/ops/log_setup.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "parsers/text/stated_time.hpp"

namespace newsd::daemon {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

// Appends `text` as the inside of a JSON string: quotes, backslashes and
// control characters escaped; bytes that are not valid UTF-8 become U+FFFD,
// so that every line is valid JSON whatever a feed or a library put in it.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: its length, and the range its second byte must
    // fall in (excludes overlong forms and surrogates).
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    }
    bool valid = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      valid = k == 1 ? (next >= low && next <= high) : (next >= 0x80 && next <= 0xbf);
    }
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
}

std::string_view level_name(spdlog::level::level_enum level) {
  auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

std::string_view payload_of(const spdlog::details::log_msg& msg) {
  return {msg.payload.data(), msg.payload.size()};
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto line = json_log_line(msg.time, level_name(msg.level), payload_of(msg));
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Between the logger and the terminal / stderr: filters by component level,
// counts, and holds back repeated warnings and errors.
class ComponentSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ComponentSink(spdlog::sink_ptr target) : target_(std::move(target)) {}

  // Called with the sink's mutex not held; takes it.
  void configure(const LogConfig& config, std::unique_ptr<spdlog::formatter> formatter) {
    std::lock_guard lock(mutex_);
    default_level_ = spdlog::level::from_str(config.level);
    levels_.clear();
    for (const auto& [component, level] : config.components)
      levels_[component] = spdlog::level::from_str(level);
    target_->set_formatter(std::move(formatter));
  }

  spdlog::level::level_enum lowest_level() {
    std::lock_guard lock(mutex_);
    auto lowest = default_level_;
    for (const auto& [component, level] : levels_) lowest = std::min(lowest, level);
    return lowest;
  }

  LogCounts counts() {
    std::lock_guard lock(mutex_);
    LogCounts result;
    for (const auto& [key, lines] : written_)
      result.written.push_back({key.first, key.second, lines});
    result.suppressed = suppressed_;
    return result;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto text = payload_of(msg);
    std::string_view source_id;
    auto component = log_component(text, &source_id);
    if (msg.level < level_for(component, source_id)) return;

    std::string note;
    // Config mistakes come from an operator's reload, never in a flood: always shown.
    if (msg.level >= spdlog::level::warn && component != "config" && !admit_repeat(msg, note)) {
      ++suppressed_;
      return;
    }
    ++written_[{std::string(level_name(msg.level)), std::string(component)}];
    if (note.empty()) {
      target_->log(msg);
      return;
    }
    std::string extended(text);
    extended += note;
    spdlog::details::log_msg copy(msg);
    copy.payload = extended;
    target_->log(copy);
  }

  void flush_() override { target_->flush(); }

 private:
  struct Repeat {
    std::chrono::steady_clock::time_point first;
    std::uint64_t hidden = 0;
  };

  spdlog::level::level_enum level_for(std::string_view component, std::string_view source_id) {
    if (!source_id.empty()) {
      auto it = levels_.find("source." + std::string(source_id));
      if (it != levels_.end()) return it->second;
    }
    auto it = levels_.find(std::string(component));
    return it != levels_.end() ? it->second : default_level_;
  }

  // True when the line may be written; `note` then says what it hid before.
  bool admit_repeat(const spdlog::details::log_msg& msg, std::string& note) {
    auto now = std::chrono::steady_clock::now();
    std::string key(level_name(msg.level));
    key += '\0';
    key += payload_of(msg);
    if (repeats_.size() > 4096)
      std::erase_if(repeats_, [&](const auto& e) { return now - e.second.first > kRepeatWindow; });
    auto [it, inserted] = repeats_.try_emplace(std::move(key), Repeat{now, 0});
    if (inserted) return true;
    if (now - it->second.first < kRepeatWindow) {
      ++it->second.hidden;
      return false;
    }
    if (it->second.hidden > 0)
      note = " (repeated " + std::to_string(it->second.hidden) + " more times in the last " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - it->second.first)
                                .count()) +
             "s)";
    it->second = Repeat{now, 0};
    return true;
  }

  spdlog::sink_ptr target_;
  spdlog::level::level_enum default_level_ = spdlog::level::info;
  std::map<std::string, spdlog::level::level_enum, std::less<>> levels_;
  std::unordered_map<std::string, Repeat> repeats_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> written_;
  std::uint64_t suppressed_ = 0;
};

std::mutex setup_mutex;
std::shared_ptr<ComponentSink> component_sink;

std::unique_ptr<spdlog::formatter> make_formatter(bool json, bool tty) {
  if (json) return std::make_unique<JsonFormatter>();
  return std::make_unique<spdlog::pattern_formatter>(
      tty ? "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
      tty ? spdlog::pattern_time_type::local : spdlog::pattern_time_type::utc);
}

}  // namespace

std::string_view log_component(std::string_view message, std::string_view* source_id) {
  std::size_t end = 0;
  while (end < message.size() && is_token_char(message[end])) ++end;
  auto token = message.substr(0, end);
  if (token == "source" && end < message.size() && message[end] == ' ') {
    auto rest = message.substr(end + 1);
    auto colon = rest.find(':');
    if (source_id && colon != std::string_view::npos) *source_id = rest.substr(0, colon);
    return "source";
  }
  if (end < message.size() && (message[end] == ':' || message[end] == ' ') && token != "newsd" &&
      is_log_component(token))
    return *std::find(std::begin(kLogComponents), std::end(kLogComponents), token);
  return "newsd";
}

std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view message) {
  const std::string stamp = parsers::format_rfc3339_millis(time);
  std::string_view source_id;
  auto component = log_component(message, &source_id);
  std::string line;
  line.reserve(message.size() + 96);
  line += "{\"time\":\"";
  line += stamp;
  line += "\",\"level\":\"";
  line += level;
  line += "\",\"component\":\"";
  line += component;
  line += '"';
  if (!source_id.empty()) {
    line += ",\"source\":\"";
    append_json_string(line, source_id);
    line += '"';
  }
  line += ",\"message\":\"";
  append_json_string(line, message);
  line += "\"}";
  return line;
}

void configure_logging(const LogConfig& config) {
  std::lock_guard lock(setup_mutex);
  bool tty = isatty(STDERR_FILENO) == 1;
  bool json = config.format == "json" || (config.format == "auto" && !tty);
  if (!component_sink) {
    spdlog::sink_ptr target;
    if (tty && !json)
      target = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    else
      target = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    component_sink = std::make_shared<ComponentSink>(std::move(target));
    auto logger = std::make_shared<spdlog::logger>("newsd", component_sink);
    spdlog::set_default_logger(logger);
    // Warnings reach the journal at once; info may wait for the next line.
    logger->flush_on(spdlog::level::warn);
  }
  component_sink->configure(config, make_formatter(json, tty));
  spdlog::default_logger()->set_level(component_sink->lowest_level());
}

LogCounts log_counts() {
  std::lock_guard lock(setup_mutex);
  return component_sink ? component_sink->counts() : LogCounts{};
}

}  // namespace newsd::daemon
