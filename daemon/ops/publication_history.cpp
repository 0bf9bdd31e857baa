#include "daemon/ops/publication_history.hpp"

namespace newsd::daemon {

namespace {

using Clock = std::chrono::system_clock;

std::int64_t minute_of(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::minutes>(time.time_since_epoch()).count();
}

}  // namespace

void PublicationHistory::submitted(const std::string& id, const std::string& title,
                                   const std::string& url) {
  if (!titles_.try_emplace(id, title, url).second) return;
  title_order_.push_back(id);
  if (title_order_.size() > kTitlesKept) {
    titles_.erase(title_order_.front());
    title_order_.pop_front();
  }
}

void PublicationHistory::published(const std::string& id, const std::string& source) {
  PublishedEntry entry{Clock::now(), source, id, {}, {}};
  if (auto it = titles_.find(id); it != titles_.end()) {
    entry.title = std::move(it->second.first);
    entry.url = std::move(it->second.second);
    titles_.erase(it);  // its id stays in title_order_ until it ages out; erasing there is O(n)
  }
  record(std::move(entry));
}

void PublicationHistory::record(PublishedEntry entry) {
  auto minute = minute_of(entry.time);
  ++minutes_[minute];
  while (!minutes_.empty() && minutes_.begin()->first < minute - kMinutes) minutes_.erase(minutes_.begin());
  recent_.push_front(std::move(entry));
  if (recent_.size() > kRecent) recent_.pop_back();
}

std::vector<std::uint32_t> PublicationHistory::per_minute(Clock::time_point now,
                                                          int minutes) const {
  std::vector<std::uint32_t> counts(static_cast<std::size_t>(minutes), 0);
  auto last = minute_of(now);
  for (const auto& [minute, count] : minutes_) {
    auto age = last - minute;
    if (age >= 0 && age < minutes) counts[static_cast<std::size_t>(minutes - 1 - age)] = count;
  }
  return counts;
}

}  // namespace newsd::daemon
