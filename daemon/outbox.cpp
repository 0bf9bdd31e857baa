#include "daemon/outbox.hpp"

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {
constexpr auto kMaxRetryDelay = std::chrono::milliseconds(std::chrono::minutes(5));
}

Outbox::Outbox(asio::io_context& io, sinks::DeliveryState& state, sinks::Sink& sink,
               std::size_t capacity)
    : io_(io),
      state_(state),
      sink_(sink),
      capacity_(capacity),
      room_(io, asio::steady_timer::time_point::max()) {}

bool Outbox::known(const std::string& id) const {
  return waiting_.contains(id) || state_.published(id);
}

bool Outbox::submit(std::vector<std::pair<std::string, sinks::OutRecord>> records,
                    PublishedHandler on_published) {
  if (records.empty()) return true;
  auto entries = state_.enqueue(std::move(records));
  if (!entries) return false;
  for (auto& entry : *entries) {
    waiting_.insert(entry.id);
    produce(std::move(entry), on_published);
  }
  return true;
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
    waiting_.insert(entry.id);
    produce(std::move(entry), {});
  }
  if (!waiting_.empty())
    spdlog::info("outbox: producing again {} records not acknowledged before the last stop",
                 waiting_.size());
  return waiting_.size();
}

void Outbox::produce(sinks::OutboxEntry entry, PublishedHandler on_published) {
  if (closed_) return;
  std::string why;
  auto sequence = entry.sequence;
  auto id = entry.id;
  // The sink copies the record; the entry stays here for a possible retry.
  auto shared = std::make_shared<sinks::OutboxEntry>(std::move(entry));
  auto status = sink_.produce(
      shared->record,
      [this, shared, on_published](const sinks::DeliveryReport& report) {
        if (report.delivered) {
          acknowledged(*shared);
          if (on_published) on_published(shared->id);
        } else {
          spdlog::warn("kafka: record {} not delivered ({}); produced again later", shared->id,
                       report.error);
          retry_later(std::move(*shared), on_published);
        }
      },
      &why);
  if (status == sinks::ProduceStatus::queued) return;
  if (status == sinks::ProduceStatus::queue_full) {
    retry_later(std::move(*shared), on_published);
    return;
  }
  // A record the sink can never take (too large for the broker...): keep it
  // persisted for an operator, but do not let it block the others.
  spdlog::error("kafka: record {} (sequence {}) refused: {}; left in the outbox", id, sequence,
                why);
}

void Outbox::retry_later(sinks::OutboxEntry entry, PublishedHandler on_published) {
  if (closed_) return;
  auto timer = std::make_shared<asio::steady_timer>(io_, retry_delay_);
  retry_delay_ = std::min(retry_delay_ * 2, kMaxRetryDelay);
  timer->async_wait([this, timer, entry = std::move(entry),
                     on_published](boost::system::error_code ec) mutable {
    if (!ec) produce(std::move(entry), std::move(on_published));
  });
}

void Outbox::acknowledged(const sinks::OutboxEntry& entry) {
  retry_delay_ = std::chrono::seconds(1);
  pending_acks_.push_back({entry.sequence, entry.id, sinks::record_version(entry.record)});
  if (commit_scheduled_) return;
  commit_scheduled_ = true;
  // Delivery reports arrive in bursts; one transaction for the whole burst.
  asio::post(io_, [this] { commit(); });
}

void Outbox::commit() {
  commit_scheduled_ = false;
  if (pending_acks_.empty()) return;
  // On a failed write the records stay in the outbox: not produced again by
  // this process, produced again after a restart (a duplicate, never a loss).
  if (state_.acknowledge(pending_acks_, std::chrono::system_clock::now())) {
    for (const auto& ack : pending_acks_) {
      waiting_.erase(ack.id);
      if (on_acknowledged_) on_acknowledged_(ack.id, ack.version);
    }
    wake_waiters();
  }
  pending_acks_.clear();
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
  wake_waiters();
}

void Outbox::wake_waiters() {
  // Every waiter's async_wait completes (cancelled); the timer never expires
  // on its own.
  room_.expires_at(asio::steady_timer::time_point::max());
}

}  // namespace newsd::daemon
