#pragma once
// Log setup: the one spdlog logger of newsd. Human-readable lines on a
// terminal; one JSON object per line otherwise (systemd's journal, files),
// with the message correctly escaped. Every line belongs to a component,
// named by the prefix newsd's messages start with ("kafka: ...",
// "source ID: ..."), and each component may have its own level
// ([log.components]). A warning or error repeated word for word within
// kRepeatWindow is written once, then once more with the count it hid.
// Counts of lines per level and component feed newsd_log_messages_total.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.hpp"

namespace newsd::daemon {

inline constexpr auto kRepeatWindow = std::chrono::seconds(60);

// Installs the default logger (first call) or applies new levels and format
// to it (later calls, e.g. on reload). Thread-safe.
void configure_logging(const LogConfig& config);

// The component of a message: "kafka", "source", ...; "newsd" when the
// message names none. `source_id` receives the id for "source ID: ...".
std::string_view log_component(std::string_view message, std::string_view* source_id = nullptr);

// The JSON line (without the newline) for one message.
std::string json_log_line(std::chrono::system_clock::time_point time, std::string_view level,
                          std::string_view message);

struct LogLineCount {
  std::string level;
  std::string component;
  std::uint64_t lines = 0;
};
struct LogCounts {
  std::vector<LogLineCount> written;
  std::uint64_t suppressed = 0;  // repeats not written
};
LogCounts log_counts();

}  // namespace newsd::daemon
