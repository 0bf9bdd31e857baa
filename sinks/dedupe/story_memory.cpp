#include "sinks/dedupe/story_memory.hpp"

#include <chrono>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace newsd::daemon {

StoryMemory::StoryMemory(boost::asio::io_context& io, const std::filesystem::path& dir,
                         sinks::DedupeOptions options, sinks::DeliveryState& journal)
    : io_(io), index_(dir, options), journal_(journal), expiry_(io) {
  auto missed = journal_.unapplied();
  if (missed.empty()) return;
  spdlog::info("dedupe: applying {} acknowledgements recorded after its last commit", missed.size());
  for (auto& [id, version] : missed) pending_.push_back({std::move(id), version});
  commit();
}

std::optional<std::vector<sinks::Verdict>> StoryMemory::observe(
    std::span<const sinks::Observation> batch) {
  if (batch.empty()) return std::vector<sinks::Verdict>{};
  // Acknowledgements first: a verdict on a delivered version must know it
  // was delivered (else an edit would replace it instead of following it).
  commit();
  return index_.observe(batch, std::chrono::system_clock::now());
}

void StoryMemory::published(std::string id, std::uint32_t version) {
  pending_.push_back({std::move(id), version});
  if (commit_scheduled_) return;
  commit_scheduled_ = true;
  boost::asio::post(io_, [this] { commit(); });
}

void StoryMemory::commit() {
  commit_scheduled_ = false;
  if (pending_.empty()) return;
  // A failed write only means the verdict for these versions repeats on the
  // next poll; the outbox already knows they were published.
  if (index_.mark_published(pending_)) {
    std::vector<std::pair<std::string, std::uint32_t>> applied;
    applied.reserve(pending_.size());
    for (auto& p : pending_) applied.emplace_back(std::move(p.id), p.version);
    journal_.applied(applied);  // on failure they are applied again at the next start: harmless
  } else {
    spdlog::error("dedupe: cannot record {} published versions", pending_.size());
  }
  pending_.clear();
}

void StoryMemory::start_expiry() {
  sweep();
}

void StoryMemory::sweep() {
  if (closed_) return;
  if (auto removed = index_.expire(std::chrono::system_clock::now()); removed && *removed > 0)
    spdlog::info("dedupe: forgot {} stories past their time to live", *removed);
  expiry_.expires_after(std::chrono::hours(1));
  expiry_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sweep();
  });
}

void StoryMemory::close() {
  closed_ = true;
  expiry_.cancel();
  commit();
}

}  // namespace newsd::daemon
