#pragma once
// What the operator sees of one source: counters and the last poll's
// outcome, written by its poller on the event loop, read by the status page,
// /sources and the metrics.
#include <chrono>
#include <cstdint>
#include <string>

namespace newsd::daemon {

// What a poller reports about its source.
struct SourceStats {
  std::uint64_t polls = 0;
  std::uint64_t not_modified = 0;
  std::uint64_t failures = 0;
  std::uint64_t items_seen = 0;
  std::uint64_t produced = 0;
  std::uint64_t handed_off = 0;   // [cluster]: articles handed to the owner of their page's shard
  std::uint64_t published = 0;
  std::uint64_t delivery_failures = 0;
  int error_streak = 0;
  std::chrono::system_clock::time_point last_poll{};   // when the last poll started
  std::chrono::system_clock::time_point next_poll{};   // when the next one is due
  std::chrono::milliseconds interval{0};               // the delay chosen after the last poll
  std::chrono::milliseconds learned_interval{0};       // adaptive interval, before hints, backoff, jitter
  std::chrono::milliseconds last_lag{0};               // how late the last request went out
  std::string effective_url;                           // where a permanent redirect moved the source
  long last_status = 0;
  std::string last_error;
};

}  // namespace newsd::daemon
