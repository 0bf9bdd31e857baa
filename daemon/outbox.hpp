#pragma once
// Outbox: every record between extraction and Kafka's acknowledgement.
// submit() persists a poll's new records in one durable transaction and then
// hands them to the sink; a delivery report moves each one to "published"
// (batched per burst of reports); a record the sink gave up on is produced
// again after a backoff; at start-up whatever the outbox still holds is
// produced again first, in order. When the outbox holds `capacity` records,
// wait_for_room() suspends the pollers: backpressure instead of memory growth
// or loss. Owned by the daemon; event loop thread only.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sinks/delivery_state.hpp"
#include "sinks/sink.hpp"

namespace newsd::daemon {

class Outbox {
 public:
  Outbox(boost::asio::io_context& io, sinks::DeliveryState& state, sinks::Sink& sink,
         std::size_t capacity);

  // Waiting in the outbox for Kafka's acknowledgement.
  bool waiting(const std::string& id) const { return waiting_.contains(id); }

  // Published, or waiting in the outbox.
  bool known(const std::string& id) const;

  // The highest version of `id` Kafka acknowledged (0: none). Recorded with
  // the acknowledgement itself, so it is right even when the story memory
  // missed the acknowledgement (a crash between the two commits).
  std::uint32_t published_version(const std::string& id) const {
    return state_.published_version(id).value_or(0);
  }

  // Persists and produces records (id, record). False when they could not be
  // persisted: nothing was produced and the caller must try again later.
  // `on_published` runs once per record when Kafka acknowledged it.
  using PublishedHandler = std::function<void(const std::string& id)>;
  bool submit(std::vector<std::pair<std::string, sinks::OutRecord>> records,
              PublishedHandler on_published = {});

  // Produces again what a previous run left in the outbox. Call once at start.
  std::size_t replay();

  // Suspends while the outbox is at capacity.
  boost::asio::awaitable<void> wait_for_room();

  // Writes pending acknowledgements now (also done automatically, batched).
  void commit();

  // Stops re-producing (shutdown); what is left stays persisted.
  void close();

  std::size_t size() const { return waiting_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t published() const { return state_.published_size(); }
  bool full() const { return waiting_.size() >= capacity_; }

 private:
  void produce(sinks::OutboxEntry entry, PublishedHandler on_published);
  void retry_later(sinks::OutboxEntry entry, PublishedHandler on_published);
  void acknowledged(const sinks::OutboxEntry& entry);
  void wake_waiters();

  boost::asio::io_context& io_;
  sinks::DeliveryState& state_;
  sinks::Sink& sink_;
  std::size_t capacity_;
  std::unordered_set<std::string> waiting_;  // ids in the outbox
  std::vector<sinks::Acknowledgement> pending_acks_;
  bool commit_scheduled_ = false;
  bool closed_ = false;
  boost::asio::steady_timer room_;  // cancelled whenever the outbox shrinks
  std::chrono::milliseconds retry_delay_{std::chrono::seconds(1)};
};

}  // namespace newsd::daemon
