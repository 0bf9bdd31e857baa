#include "sinks/dedupe/story_memory.hpp"

#include <chrono>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace asio = boost::asio;

StoryMemory::StoryMemory(boost::asio::io_context& io, const std::filesystem::path& dir,
                         sinks::DedupeOptions options, sinks::DeliveryState& journal,
                         std::optional<boost::asio::any_io_executor> writes)
    : io_(io), index_(dir, options), journal_(journal), writes_(std::move(writes)), expiry_(io) {
  auto missed = journal_.unapplied();
  if (missed.empty()) return;
  spdlog::info("dedupe: applying {} acknowledgements recorded after its last commit", missed.size());
  for (auto& [id, version] : missed) pending_.push_back({std::move(id), version});
  commit();
}

asio::awaitable<std::optional<std::vector<sinks::Verdict>>> StoryMemory::observe(
    std::span<const sinks::Observation> batch) {
  if (batch.empty()) co_return std::vector<sinks::Verdict>{};
  // Acknowledgements first, in the same job: a verdict on a delivered
  // version must know it was delivered (else an edit would replace it
  // instead of following it). Jobs queued before run before this one.
  auto task = [this, batch, acknowledged = std::exchange(pending_, {})]()
      -> asio::awaitable<std::optional<std::vector<sinks::Verdict>>> {
    apply(acknowledged);
    co_return index_.observe(batch, std::chrono::system_clock::now());
  };
  if (!writes_) co_return co_await task();
  co_return co_await asio::co_spawn(*writes_, std::move(task), asio::use_awaitable);
}

void StoryMemory::published(std::string id, std::uint32_t version) {
  pending_.push_back({std::move(id), version});
  if (commit_scheduled_) return;
  commit_scheduled_ = true;
  asio::post(io_, [this] { commit_later(); });
}

template <typename Work>
void StoryMemory::write_later(Work work) {
  if (writes_)
    asio::post(*writes_, std::move(work));
  else
    work();
}

void StoryMemory::commit_later() {
  commit_scheduled_ = false;
  if (pending_.empty()) return;
  write_later([this, versions = std::exchange(pending_, {})] { apply(versions); });
}

void StoryMemory::commit() {
  commit_scheduled_ = false;
  apply(std::exchange(pending_, {}));
}

void StoryMemory::apply(const std::vector<sinks::PublishedVersion>& versions) {
  if (versions.empty()) return;
  // A failed write only means the verdict for these versions repeats on the
  // next poll; the outbox already knows they were published.
  if (!index_.mark_published(versions)) {
    spdlog::error("dedupe: cannot record {} published versions", versions.size());
    return;
  }
  std::vector<std::pair<std::string, std::uint32_t>> applied;
  applied.reserve(versions.size());
  for (const auto& p : versions) applied.emplace_back(p.id, p.version);
  journal_.applied(applied);  // on failure they are applied again at the next start: harmless
}

void StoryMemory::start_expiry() {
  sweep();
}

void StoryMemory::sweep() {
  if (closed_) return;
  write_later([this] {
    if (auto removed = index_.expire(std::chrono::system_clock::now()); removed && *removed > 0)
      spdlog::info("dedupe: forgot {} stories past their time to live", *removed);
  });
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

void StoryMemory::restore(std::vector<sinks::RestoredStory> stories) {
  write_later([this, stories = std::move(stories)] {
    if (!sinks::write_restored(stories, index_, journal_))
      spdlog::error("dedupe: cannot write {} restored stories; they may be published again", stories.size());
  });
}

void StoryMemory::after_writes(std::function<void()> done) {
  write_later([this, done = std::move(done)]() mutable { asio::post(io_, std::move(done)); });
}

}  // namespace newsd::daemon
