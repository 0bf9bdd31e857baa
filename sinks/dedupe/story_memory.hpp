#pragma once
// StoryMemory: what newsd remembers of the stories it published (versions,
// title digests, body SimHashes, in sinks::DedupeIndex under the state
// directory), so that an edited article is published again as a new version
// under the same key, and the same story at another URL or from another
// source is recognised. Acknowledged versions are written in batches, one
// transaction per burst of delivery reports, and then cleared from the
// delivery state's unapplied journal; at start-up whatever the journal still
// holds (a crash between the two commits) is applied first. Expired entries
// are swept hourly. Owned by the daemon; called on the event loop thread.
//
// The index's write transactions (each a durable commit: an fdatasync that
// takes 5-40 ms, plus the B-tree work of a thousand observations) run on
// `writes`, one thread, so they keep the order they were asked in and the
// event loop never waits for them; observe() resumes the poller with the
// verdicts. Without `writes` (tests, one-shot commands) they run inline.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sinks/dedupe/dedupe_index.hpp"
#include "sinks/dedupe/story_restorer.hpp"
#include "sinks/outbox/delivery_state.hpp"

namespace newsd::daemon {

class StoryMemory {
 public:
  // Throws std::runtime_error when the index cannot be opened (start-up).
  // `journal`: the delivery state whose unapplied acknowledgements this
  // memory applies (at construction) and clears (after each commit).
  StoryMemory(boost::asio::io_context& io, const std::filesystem::path& dir,
              sinks::DedupeOptions options, sinks::DeliveryState& journal,
              std::optional<boost::asio::any_io_executor> writes = std::nullopt);

  // Verdicts on `batch` (which must stay valid until they are back), after
  // every acknowledgement learnt before the call.
  boost::asio::awaitable<std::optional<std::vector<sinks::Verdict>>> observe(
      std::span<const sinks::Observation> batch);

  // Stories another instance published (a cluster member's restored
  // shards): into the index and the published set, on `writes` after every
  // write asked before and before every one asked after (a failure is logged).
  void restore(std::vector<sinks::RestoredStory> stories);

  // Runs `done` on the event loop once every write asked before is done.
  void after_writes(std::function<void()> done);

  // Kafka acknowledged this version of the article.
  void published(std::string id, std::uint32_t version);

  // Writes pending acknowledgements now, on the calling thread (also done
  // automatically, batched, on `writes`). At shutdown, once `writes` is idle.
  void commit();

  // Sweeps expired entries every hour until close().
  void start_expiry();
  void close();

 private:
  // Runs `work` on `writes` (in the order asked), or inline without it.
  template <typename Work>
  void write_later(Work work);
  void commit_later();
  // Records acknowledged versions in the index, then clears them from the journal.
  void apply(const std::vector<sinks::PublishedVersion>& versions);
  void sweep();

  boost::asio::io_context& io_;
  sinks::DedupeIndex index_;
  sinks::DeliveryState& journal_;
  std::optional<boost::asio::any_io_executor> writes_;
  std::vector<sinks::PublishedVersion> pending_;
  bool commit_scheduled_ = false;
  boost::asio::steady_timer expiry_;
  bool closed_ = false;
};

}  // namespace newsd::daemon
