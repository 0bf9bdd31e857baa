#pragma once
// PublicationLedger: which article ids are published (acknowledged by Kafka
// and stored durably) or in flight (handed to the sink, not yet
// acknowledged). Pollers ask it before producing so that nothing is produced
// twice; acknowledgements are written to the PublishedStore in batches, one
// transaction per burst of delivery reports. Owned by the daemon; event loop
// thread only.
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "sinks/published_store.hpp"

namespace newsd::daemon {

class PublicationLedger {
 public:
  PublicationLedger(boost::asio::io_context& io, sinks::PublishedStore& store)
      : io_(io), store_(store) {}

  // Published, or produced and waiting for its acknowledgement.
  bool known(const std::string& id) const { return in_flight_.contains(id) || store_.contains(id); }

  void begin(const std::string& id) { in_flight_.insert(id); }

  // Kafka acknowledged the record: remembered durably on the next commit.
  void acknowledged(const std::string& id);

  // Kafka gave up on the record: it may be produced again.
  void failed(const std::string& id) { in_flight_.erase(id); }

  // Writes pending acknowledgements now (also done automatically, batched).
  void commit();

  std::size_t in_flight() const { return in_flight_.size(); }
  std::size_t published() const { return store_.size(); }

 private:
  boost::asio::io_context& io_;
  sinks::PublishedStore& store_;
  std::unordered_set<std::string> in_flight_;
  std::vector<std::string> pending_;
  bool commit_scheduled_ = false;
};

}  // namespace newsd::daemon
