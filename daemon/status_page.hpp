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

#include "daemon/config.hpp"
#include "daemon/source_poller.hpp"

namespace newsd::daemon {

struct PublishedEntry {
  std::chrono::system_clock::time_point time;  // when Kafka acknowledged it
  std::string source;
  std::string id;
  std::string title;
  std::string url;
};

// The last articles published and how many were published each minute.
class PublicationHistory {
 public:
  static constexpr std::size_t kRecent = 20;
  static constexpr int kMinutes = 60;
  static constexpr std::size_t kTitlesKept = 20'000;

  // An article handed to the outbox: its title and URL, kept until Kafka
  // acknowledges it (at most kTitlesKept, oldest forgotten first).
  void submitted(const std::string& id, const std::string& title, const std::string& url);
  // Kafka acknowledged the article (now).
  void published(const std::string& id, const std::string& source);
  void record(PublishedEntry entry);
  const std::deque<PublishedEntry>& recent() const { return recent_; }  // newest first
  // Articles per minute for the `minutes` minutes up to `now`, oldest first.
  std::vector<std::uint32_t> per_minute(std::chrono::system_clock::time_point now,
                                        int minutes = kMinutes) const;

 private:
  std::deque<PublishedEntry> recent_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> titles_;  // id -> title, url
  std::deque<std::string> title_order_;
  std::map<std::int64_t, std::uint32_t> minutes_;  // minute since the epoch -> count
};

struct SourceView {
  SourceConfig config;
  const SourceStats* stats = nullptr;  // null: configured but not polled by this version
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
};

std::string render_status_page(const StatusSnapshot& snapshot);
std::string render_sources_json(const StatusSnapshot& snapshot);

}  // namespace newsd::daemon
