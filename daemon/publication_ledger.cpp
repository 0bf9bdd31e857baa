#include "daemon/publication_ledger.hpp"

#include <chrono>

#include <boost/asio/post.hpp>

namespace newsd::daemon {

void PublicationLedger::acknowledged(const std::string& id) {
  pending_.push_back(id);
  if (commit_scheduled_) return;
  commit_scheduled_ = true;
  // Delivery reports arrive in bursts; one transaction for the whole burst.
  boost::asio::post(io_, [this] { commit(); });
}

void PublicationLedger::commit() {
  commit_scheduled_ = false;
  if (pending_.empty()) return;
  // On a failed write the ids stay in flight: not produced again by this
  // process, produced again after a restart (a duplicate, never a loss).
  if (store_.mark_published(pending_, std::chrono::system_clock::now())) {
    for (const auto& id : pending_) in_flight_.erase(id);
  }
  pending_.clear();
}

}  // namespace newsd::daemon
