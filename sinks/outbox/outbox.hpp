#pragma once
// Outbox: every record between extraction and Kafka's acknowledgement.
// submit() persists a poll's new records in one durable transaction, never
// more than there is room for (capacity - size), and queues them to be
// produced; a delivery report moves each one to "published" (batched per
// burst of reports); at start-up whatever the outbox still holds is produced
// again first, in order. When the outbox holds `capacity` records,
// wait_for_room() suspends the pollers: backpressure instead of memory growth
// or loss. Owned by the daemon; called on the event loop thread.
//
// Durable writes off the loop. Each write transaction ends in an fdatasync
// (5-40 ms here) and a burst of ten thousand acknowledgements is tens of
// milliseconds of B-tree work: with `writes` (one thread, so they keep the
// order they were asked in) async_submit() and the batched acknowledgements
// run there and the loop only learns the outcome. Without it (tests, and the
// synchronous submit() of a single dead letter) they run on the caller's
// thread.
//
// Order. Records not yet handed to the sink wait in one queue ordered by
// their outbox sequence (persistence order, so each source's order). The
// queue is driven in chunks (the event loop stays responsive), and stops at
// the first record the sink cannot take right now (its queue is full); it is
// driven again by the next delivery report, or by a short timer. A record
// whose delivery failed for a transient reason goes back into the queue at
// its sequence's place (ahead of everything not yet handed over), and the
// queue pauses for a backoff: what was handed over after it may already be
// delivered, so its order against those is lost (the version header says
// which record is newer), but never against anything not yet produced.
//
// Records Kafka can never take (too large for message.max.bytes, refused at
// produce or in the delivery report) are given up: a dead letter replaces
// them when a dead-letter topic is set, they are counted and logged, and they
// leave the outbox as settled (in the published set, so the pollers do not
// submit that version again). Nothing stays in the outbox forever.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sinks/outbox/delivery_state.hpp"
#include "sinks/sink.hpp"

namespace newsd::daemon {

class Outbox {
 public:
  // Records waiting longer than this make the daemon unready (see daemon.cpp).
  static constexpr std::chrono::minutes kStaleAfter{10};
  // Records handed to the sink per turn of the event loop.
  static constexpr std::size_t kProduceChunk = 250;

  Outbox(boost::asio::io_context& io, sinks::DeliveryState& state, sinks::Sink& sink,
         std::size_t capacity, std::optional<boost::asio::any_io_executor> writes = std::nullopt);

  // The dead letter of a record Kafka can never take (made by the pipeline's
  // RecordBuilder, which owns every record's shape); nullopt: none.
  using DeadLetterMaker =
      std::function<std::optional<sinks::OutRecord>(const sinks::OutRecord& refused, const std::string& why)>;
  void dead_letters(DeadLetterMaker make) { dead_letter_ = std::move(make); }

  // A record of story `id` (see sinks::story_of) is waiting in the outbox
  // for Kafka's acknowledgement.
  bool waiting(const std::string& id) const { return stories_.contains(id); }

  // Published, or waiting in the outbox.
  bool known(const std::string& id) const;

  // The highest version of `id` Kafka acknowledged (0: none). Recorded with
  // the acknowledgement itself, so it is right even when the story memory
  // missed the acknowledgement (a crash between the two commits).
  std::uint32_t published_version(const std::string& id) const {
    return state_.published_version(id).value_or(0);
  }

  // Persists the first room() records (id, record) and queues them to be
  // produced, in order. Returns how many it took; nothing when they could not
  // be persisted (then nothing was taken and the caller must try again later).
  // `on_published` runs once per story record (not for its further records,
  // sinks::further_record_id) when Kafka acknowledged it.
  // submit() writes on the calling thread; async_submit() on `writes`, and
  // holds the room it takes while it waits for the write.
  using PublishedHandler = std::function<void(const std::string& id)>;
  std::optional<std::size_t> submit(std::vector<std::pair<std::string, sinks::OutRecord>> records,
                                    PublishedHandler on_published = {});
  boost::asio::awaitable<std::optional<std::size_t>> async_submit(
      std::vector<std::pair<std::string, sinks::OutRecord>> records, PublishedHandler on_published = {});

  // Runs for every acknowledgement once it is durably recorded, replayed
  // records' included: how the story memory learns what Kafka has. Not for
  // a story's further records (sinks::further_record_id).
  using AcknowledgedHandler = std::function<void(const std::string& id, std::uint32_t version)>;
  void on_acknowledged(AcknowledgedHandler handler) { on_acknowledged_ = std::move(handler); }

  // Produces again what a previous run left in the outbox. Call once at start.
  std::size_t replay();

  // Removes the records `unwanted` picks that are not handed to the sink,
  // from memory and durably, as never published: a cluster member's records
  // of shards it no longer owns (call it while the sink holds none of them).
  // Returns how many went.
  using RecordFilter = std::function<bool(const sinks::OutRecord&)>;
  std::size_t drop(const RecordFilter& unwanted);

  // Removes every record a previous run left, unpublished, instead of
  // replay(): a cluster member restores its shards from Kafka, whose state
  // says what was published; the rest is derived again by the shards' owners.
  std::size_t discard_previous_run();

  // Suspends while the outbox is at capacity.
  boost::asio::awaitable<void> wait_for_room();

  // Writes pending acknowledgements now, on the calling thread (also done
  // automatically, batched, on `writes`). At shutdown, once `writes` is idle.
  void commit();

  // Stops producing (shutdown); what is left stays persisted.
  void close();

  std::size_t size() const { return waiting_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::size_t room() const { return full() ? 0 : capacity_ - waiting_.size() - reserved_; }
  bool full() const { return waiting_.size() + reserved_ >= capacity_; }
  std::size_t published() const { return state_.published_size(); }
  // Records persisted but not handed to the sink yet (its queue was full).
  std::size_t queued() const { return queue_.size(); }
  // Records given up because Kafka can never take them.
  std::uint64_t refused() const { return refused_; }
  // How long the oldest record has waited in the outbox (since it was
  // submitted, or since this process started for a replayed one); 0 when empty.
  std::chrono::seconds oldest_age(std::chrono::steady_clock::time_point now) const;

 private:
  struct Pending {
    sinks::OutboxEntry entry;
    PublishedHandler on_published;
  };

  // Takes the first room() records; false when there is no room.
  bool fit(std::vector<std::pair<std::string, sinks::OutRecord>>& records) const;
  // Queues persisted records to be produced.
  std::size_t take(std::vector<sinks::OutboxEntry>& entries, const PublishedHandler& on_published);
  void enqueue(sinks::OutboxEntry entry, PublishedHandler on_published);
  void schedule_drive();
  void drive();
  // Hands one record to the sink; false when the sink's queue is full (then
  // `pending` is left as it was).
  bool hand_over(Pending& pending);
  void delivered(Pending& pending, const sinks::DeliveryReport& report);
  void give_up(const sinks::OutboxEntry& entry, const std::string& why);
  void acknowledged(const sinks::OutboxEntry& entry);
  // Writes the pending acknowledgements on `writes`, one batch at a time.
  void commit_later();
  // After they were written (or not): out of the outbox, waiters woken.
  void settle(std::span<const sinks::Acknowledgement> acks, bool written);
  void wake_waiters();
  // One record of the story of `outbox_id` left the outbox.
  void forget_story(const std::string& outbox_id);

  boost::asio::io_context& io_;
  sinks::DeliveryState& state_;
  sinks::Sink& sink_;
  std::size_t capacity_;
  std::optional<boost::asio::any_io_executor> writes_;
  std::size_t reserved_ = 0;  // room taken by async_submit() calls waiting for their write
  bool committing_ = false;   // a batch of acknowledgements is being written on `writes`
  DeadLetterMaker dead_letter_;
  std::unordered_set<std::string> waiting_;  // outbox ids in the outbox
  std::unordered_map<std::string, std::uint32_t> stories_;  // story_of(outbox id) -> records in the outbox
  std::map<std::uint64_t, std::chrono::steady_clock::time_point> since_;  // sequence -> when it came
  std::map<std::uint64_t, Pending> queue_;   // not handed to the sink yet, by sequence
  std::vector<sinks::Acknowledgement> pending_acks_;
  AcknowledgedHandler on_acknowledged_;
  bool commit_scheduled_ = false;
  bool drive_scheduled_ = false;
  bool closed_ = false;
  std::uint64_t refused_ = 0;
  boost::asio::steady_timer room_;   // cancelled whenever the outbox shrinks
  boost::asio::steady_timer drive_;  // the fallback when the sink's queue is full; the backoff after a failure
  std::chrono::steady_clock::time_point hold_until_{};  // no producing before (backoff)
  std::chrono::milliseconds retry_delay_{std::chrono::seconds(1)};
};

}  // namespace newsd::daemon
