#pragma once
// What the status page shows of the past: the last articles published and
// how many were published each minute. Event loop thread only.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

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

}  // namespace newsd::daemon
