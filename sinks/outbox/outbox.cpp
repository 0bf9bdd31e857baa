#include "sinks/outbox/outbox.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "parsers/identity/article_identity.hpp"
#include "parsers/feeds/feed.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

// A failed delivery pauses producing for this long, doubling per failure in a
// row: long enough not to spin on a broker that refuses everything, short
// enough that one bad minute does not park the whole pipeline.
constexpr auto kFirstRetryDelay = std::chrono::milliseconds(std::chrono::seconds(1));
constexpr auto kMaxRetryDelay = std::chrono::milliseconds(std::chrono::seconds(30));
// Delivery reports drive the queue again when the sink's queue is full; this
// timer only guards against none coming (e.g. the sink freed room otherwise).
constexpr auto kQueueFullRecheck = std::chrono::milliseconds(100);

}  // namespace

Outbox::Outbox(asio::io_context& io, sinks::DeliveryState& state, sinks::Sink& sink,
               std::size_t capacity, std::optional<asio::any_io_executor> writes)
    : io_(io),
      state_(state),
      sink_(sink),
      capacity_(capacity),
      writes_(std::move(writes)),
      room_(io, asio::steady_timer::time_point::max()),
      drive_(io) {}

bool Outbox::known(const std::string& id) const {
  return waiting(id) || state_.published(id);
}

bool Outbox::fit(std::vector<std::pair<std::string, sinks::OutRecord>>& records) const {
  // The caller asks for room() first; this only makes sure a race between
  // pollers cannot push the outbox past its capacity.
  if (records.size() > room()) records.erase(records.begin() + static_cast<std::ptrdiff_t>(room()), records.end());
  return !records.empty();
}

std::size_t Outbox::take(std::vector<sinks::OutboxEntry>& entries, const PublishedHandler& on_published) {
  // A story's further records are not its publication.
  for (auto& entry : entries) {
    const bool further = sinks::is_further_record(entry.id);
    enqueue(std::move(entry), further ? PublishedHandler{} : on_published);
  }
  schedule_drive();
  return entries.size();
}

std::optional<std::size_t> Outbox::submit(
    std::vector<std::pair<std::string, sinks::OutRecord>> records, PublishedHandler on_published) {
  if (!fit(records)) return 0;
  auto entries = state_.enqueue(std::move(records));
  if (!entries) return std::nullopt;
  return take(*entries, on_published);
}

asio::awaitable<std::optional<std::size_t>> Outbox::async_submit(
    std::vector<std::pair<std::string, sinks::OutRecord>> records, PublishedHandler on_published) {
  if (!writes_) co_return submit(std::move(records), std::move(on_published));
  if (!fit(records)) co_return 0;
  const std::size_t held = records.size();
  reserved_ += held;
  auto write = [this, records = std::move(records)]() mutable
      -> asio::awaitable<std::optional<std::vector<sinks::OutboxEntry>>> {
    co_return state_.enqueue(std::move(records));
  };
  auto entries = co_await asio::co_spawn(*writes_, std::move(write), asio::use_awaitable);
  reserved_ -= held;
  if (!entries) {
    wake_waiters();  // the room it held is free again
    co_return std::nullopt;
  }
  co_return take(*entries, on_published);
}

std::size_t Outbox::replay() {
  auto entries = state_.outbox();
  for (auto& entry : entries) {
    if (state_.published_version(entry.id).value_or(0) >= sinks::record_version(entry.record)) {
      // This version was acknowledged by Kafka and committed as published,
      // but the outbox entry survived (an older run): drop it without
      // producing. (An entry of a newer version than the published one is
      // produced: an edit in flight at a crash is not lost.)
      sinks::Acknowledgement ack{entry.sequence, entry.id, sinks::record_version(entry.record)};
      state_.acknowledge({&ack, 1}, std::chrono::system_clock::now());
      continue;
    }
    enqueue(std::move(entry), {});
  }
  if (!waiting_.empty()) {
    spdlog::info("outbox: producing again {} records not acknowledged before the last stop",
                 waiting_.size());
    schedule_drive();
  }
  return waiting_.size();
}

std::size_t Outbox::drop(const RecordFilter& unwanted) {
  std::vector<std::uint64_t> sequences;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (!unwanted(it->second.entry.record)) {
      ++it;
      continue;
    }
    const auto& id = it->second.entry.id;
    sequences.push_back(it->first);
    if (waiting_.erase(id) != 0) forget_story(id);
    since_.erase(it->first);
    it = queue_.erase(it);
  }
  // Not written: they stay persisted and are discarded at the next start
  // (a cluster member never replays), so nothing is produced from them.
  if (!state_.discard(sequences)) spdlog::error("outbox: {} dropped records stay on disk until the next start", sequences.size());
  if (!sequences.empty()) wake_waiters();
  return sequences.size();
}

std::size_t Outbox::discard_previous_run() {
  std::vector<std::uint64_t> sequences;
  for (const auto& entry : state_.outbox()) sequences.push_back(entry.sequence);
  if (!state_.discard(sequences)) throw std::runtime_error("outbox: cannot discard the previous run's records");
  return sequences.size();
}

void Outbox::enqueue(sinks::OutboxEntry entry, PublishedHandler on_published) {
  if (waiting_.insert(entry.id).second) ++stories_[std::string(sinks::story_of(entry.id))];
  since_.emplace(entry.sequence, std::chrono::steady_clock::now());
  auto sequence = entry.sequence;
  queue_.emplace(sequence, Pending{std::move(entry), std::move(on_published)});
}

void Outbox::schedule_drive() {
  if (drive_scheduled_ || closed_) return;
  drive_scheduled_ = true;
  asio::post(io_, [this] { drive(); });
}

void Outbox::drive() {
  drive_scheduled_ = false;
  if (closed_) return;
  if (std::chrono::steady_clock::now() < hold_until_) return;  // drive_ fires at the end of the backoff
  for (std::size_t handed = 0; !queue_.empty(); ++handed) {
    if (handed == kProduceChunk) {
      // A large batch goes over several turns of the event loop, so health
      // checks and other sources are served in between.
      schedule_drive();
      return;
    }
    auto first = queue_.begin();
    if (!hand_over(first->second)) {
      drive_.expires_after(kQueueFullRecheck);
      drive_.async_wait([this](boost::system::error_code ec) {
        if (!ec) drive();
      });
      return;
    }
    queue_.erase(first);
  }
}

bool Outbox::hand_over(Pending& pending) {
  std::string why;
  // The sink copies the record; the entry stays here for a possible retry.
  auto shared = std::make_shared<Pending>(std::move(pending));
  auto status = sink_.produce(
      shared->entry.record,
      [this, shared](const sinks::DeliveryReport& report) { delivered(*shared, report); }, &why);
  switch (status) {
    case sinks::ProduceStatus::queued:
      return true;
    case sinks::ProduceStatus::queue_full:
      pending = std::move(*shared);
      return false;
    case sinks::ProduceStatus::rejected:
      give_up(shared->entry, why);
      return true;
  }
  return true;
}

void Outbox::delivered(Pending& pending, const sinks::DeliveryReport& report) {
  if (report.delivered) {
    retry_delay_ = kFirstRetryDelay;
    acknowledged(pending.entry);
    if (pending.on_published) pending.on_published(pending.entry.id);
  } else if (report.permanent) {
    give_up(pending.entry, report.error);
  } else if (!closed_) {
    auto now = std::chrono::steady_clock::now();
    // One line per backoff, not one per record of a failing burst.
    if (now >= hold_until_ && report.retry_soon.count() == 0)
      spdlog::warn("kafka: record {} not delivered ({}); producing paused for {} ms", pending.entry.id,
                   report.error, retry_delay_.count());
    const bool soon = report.retry_soon.count() > 0;
    hold_until_ = now + (soon ? report.retry_soon : retry_delay_);
    drive_.expires_at(hold_until_);
    drive_.async_wait([this](boost::system::error_code ec) {
      if (!ec) drive();
    });
    if (!soon) retry_delay_ = std::min(retry_delay_ * 2, kMaxRetryDelay);
    // Back at its place in sequence order: ahead of everything not produced yet.
    auto sequence = pending.entry.sequence;
    queue_.emplace(sequence, std::move(pending));
    return;
  }
  // A delivery report frees room in the sink's queue.
  if (!queue_.empty()) schedule_drive();
}

void Outbox::give_up(const sinks::OutboxEntry& entry, const std::string& why) {
  ++refused_;
  auto dead = dead_letter_ ? dead_letter_(entry.record, why) : std::nullopt;
  const bool letter = dead.has_value();
  if (letter) {
    std::vector<std::pair<std::string, sinks::OutRecord>> letters;
    std::string key = dead->key;
    letters.emplace_back(std::move(key), std::move(*dead));
    auto entries = state_.enqueue(std::move(letters));
    if (!entries) {
      // Kept in the outbox: given up again (and dead-lettered) after a restart.
      spdlog::error("kafka: record {} (sequence {}) refused: {}; its dead letter could not be written, kept",
                    entry.id, entry.sequence, why);
      return;
    }
    for (auto& dead : *entries) enqueue(std::move(dead), {});
    schedule_drive();
  }
  spdlog::error("kafka: record {} (sequence {}, {} bytes) refused: {}; {}removed from the outbox", entry.id,
                entry.sequence, entry.record.value.size(), why, letter ? "dead-lettered and " : "");
  // Settled as if acknowledged: out of the outbox, and this version is not
  // submitted again (a later edit of the story is a new version).
  acknowledged(entry);
}

void Outbox::acknowledged(const sinks::OutboxEntry& entry) {
  pending_acks_.push_back({entry.sequence, entry.id, sinks::record_version(entry.record)});
  if (commit_scheduled_) return;
  commit_scheduled_ = true;
  // Delivery reports arrive in bursts; one transaction for the whole burst.
  asio::post(io_, [this] { commit_later(); });
}

void Outbox::commit_later() {
  commit_scheduled_ = false;
  if (!writes_) return commit();
  // One batch in flight: what comes meanwhile is the next batch.
  if (committing_ || pending_acks_.empty()) return;
  committing_ = true;
  auto batch = std::make_shared<std::vector<sinks::Acknowledgement>>(std::exchange(pending_acks_, {}));
  asio::post(*writes_, [this, batch] {
    const bool written = state_.acknowledge(*batch, std::chrono::system_clock::now());
    asio::post(io_, [this, batch, written] {
      committing_ = false;
      settle(*batch, written);
      commit_later();
    });
  });
}

void Outbox::commit() {
  commit_scheduled_ = false;
  if (pending_acks_.empty()) return;
  settle(pending_acks_, state_.acknowledge(pending_acks_, std::chrono::system_clock::now()));
  pending_acks_.clear();
}

void Outbox::settle(std::span<const sinks::Acknowledgement> acks, bool written) {
  // On a failed write the records stay in the outbox: not produced again by
  // this process, produced again after a restart (a duplicate, never a loss).
  if (!written) return;
  for (const auto& ack : acks) {
    if (waiting_.erase(ack.id) != 0) forget_story(ack.id);
    since_.erase(ack.sequence);
    if (on_acknowledged_ && !sinks::is_further_record(ack.id)) on_acknowledged_(ack.id, ack.version);
  }
  wake_waiters();
}

void Outbox::forget_story(const std::string& outbox_id) {
  auto story = stories_.find(std::string(sinks::story_of(outbox_id)));
  if (story != stories_.end() && --story->second == 0) stories_.erase(story);
}

std::chrono::seconds Outbox::oldest_age(std::chrono::steady_clock::time_point now) const {
  if (since_.empty()) return std::chrono::seconds(0);
  // Sequences grow with time, so the lowest is the oldest.
  return std::max(std::chrono::seconds(0),
                  std::chrono::duration_cast<std::chrono::seconds>(now - since_.begin()->second));
}

asio::awaitable<void> Outbox::wait_for_room() {
  bool logged = false;
  while (full() && !closed_) {
    if (!logged) {
      spdlog::warn("outbox full ({} records waiting for kafka): fetching paused", waiting_.size());
      logged = true;
    }
    co_await room_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (logged) spdlog::info("outbox has room again: fetching resumed");
}

void Outbox::close() {
  closed_ = true;
  drive_.cancel();
  wake_waiters();
}

void Outbox::wake_waiters() {
  // Every waiter's async_wait completes (cancelled); the timer never expires
  // on its own.
  room_.expires_at(asio::steady_timer::time_point::max());
}

}  // namespace newsd::daemon
