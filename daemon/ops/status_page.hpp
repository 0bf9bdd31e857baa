#pragma once
// The operator's views of a running daemon: `/` (StatusPage: plain HTML, the
// sources and their state, the last articles published, a chart of articles
// per minute as inline SVG; no script) and `/sources` (the same source state
// as JSON). Rendering is a pure function of a StatusSnapshot that the daemon
// takes on the event loop; PublicationHistory keeps what the page shows of
// the past. Owned by the daemon; event loop thread only.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <unordered_map>
#include <utility>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/ops/publication_history.hpp"
#include "daemon/ops/source_stats.hpp"

namespace newsd::daemon {

struct SourceView {
  SourceConfig config;
  const SourceStats* stats = nullptr;  // null: configured but not polled by this version
  int shard = -1;                      // [cluster]: the source's shard; -1: one node
  bool owned = true;                   // [cluster]: this instance polls it
};

// "ok", "failing", "pending" (not polled yet) or "not polled".
std::string source_state(const SourceStats* stats);

struct StatusSnapshot {
  std::string version;
  std::chrono::system_clock::time_point now;
  std::chrono::system_clock::time_point started;
  std::vector<SourceView> sources;
  std::vector<std::string> unready;  // empty = ready
  std::uint64_t published_total = 0;
  std::size_t in_flight = 0;
  std::size_t kafka_outstanding = 0;
  const PublicationHistory* history = nullptr;
  std::string cluster;  // [cluster]: this member, its shards and the group's members, in one line; empty: one node
};

std::string render_status_page(const StatusSnapshot& snapshot);
std::string render_sources_json(const StatusSnapshot& snapshot);

}  // namespace newsd::daemon
