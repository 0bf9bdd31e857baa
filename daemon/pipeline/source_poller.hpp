#pragma once
// SourcePoller: the pipeline loop of one configured source, as one
// coroutine: schedule → fetch (DocumentFetch) → source (Source per kind) →
// gate (StoryGate) → records (RecordBuilder) → outbox. The source's
// validators (ETag / Last-Modified) are trusted again only once every new
// item of the response is safely in the outbox. Owned by the daemon.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/config/config.hpp"
#include "daemon/ops/metrics.hpp"
#include "daemon/ops/publication_history.hpp"
#include "daemon/ops/source_stats.hpp"
#include "daemon/pipeline/document_fetch.hpp"
#include "daemon/pipeline/poll_schedule.hpp"
#include "daemon/pipeline/record_builder.hpp"
#include "daemon/pipeline/source.hpp"
#include "daemon/pipeline/page_revisits.hpp"
#include "daemon/pipeline/story_gate.hpp"
#include "sinks/outbox/outbox.hpp"

namespace newsd::daemon {

// What every poller shares; all owned by the daemon and outliving pollers.
struct PollerContext {
  boost::asio::io_context& io;
  boost::asio::thread_pool& cpu;  // parsing runs here, off the event loop
  FetchShared& fetch;
  Outbox& outbox;
  const RecordBuilder& records;
  PublicationHistory& history;     // what the status page shows of past publications
  ArticlePages* pages = nullptr;   // article pages; null: feeds' own text only
  StoryMemory* stories = nullptr;  // versions and near duplicates; null: ids only
  sinks::RevisitStore* revisits = nullptr;  // when pages are looked at again; null: never
  std::optional<boost::asio::any_io_executor> writes;  // durable store writes; none: inline
  // A cluster member's restored checkpoints, by source id; unset: one node
  // (no checkpoints are read or written).
  std::function<std::optional<SourceCheckpoint>(const std::string&)> checkpoints;
};

class SourcePoller {
 public:
  SourcePoller(PollerContext& context, SourceConfig source);

  // Polls until stop(). Never throws for bad input or network trouble.
  boost::asio::awaitable<void> run();

  // Ends run() at its next waiting point.
  void stop();

  const SourceConfig& source() const { return source_; }
  const SourceStats& stats() const { return stats_; }

  // Candidates observed and turned into records per turn of the event loop.
  static constexpr std::size_t kSubmitChunk = 1000;

 private:
  boost::asio::awaitable<void> poll();
  // Returns false when something was left for the next poll.
  boost::asio::awaitable<bool> use(const Fetched& fetched);
  // Hands the articles the gate admits to the outbox, oldest first, no more
  // than it has room for; false when some were left (no room, or they could
  // not be persisted): then the response's validators must not be kept.
  boost::asio::awaitable<bool> submit(std::vector<parsers::Article>& articles);
  // A cluster member: hands the articles whose pages another member fetches
  // over to it (RecordBuilder::handoff_entry); false when not all went.
  boost::asio::awaitable<bool> hand_off(const std::vector<parsers::Article>& articles);
  enum class Taken { all, some, failed };
  boost::asio::awaitable<Taken> submit_chunk(std::span<parsers::Article* const> chunk);
  // Records built per turn of the event loop.
  static constexpr std::size_t kBuildSlice = 250;
  Outbox::PublishedHandler on_published();
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay);
  // A cluster member: starts from the source's checkpoint, if it has one,
  // and returns the delay to the first poll (none is due before
  // polled_at + interval); nullopt without one.
  std::optional<std::chrono::milliseconds> resume();
  // A cluster member: writes the checkpoint after the poll's records when it moved.
  boost::asio::awaitable<void> save_checkpoint();
  SourceTools tools();
  void dead_letter(const Unusable& what);
  void record_failure(const std::string& kind, const std::string& error);
  void record_success();
  std::chrono::milliseconds next_delay();

  PollerContext& context_;
  SourceConfig source_;
  SourceStats stats_;
  metrics::SourceSeries series_;  // this source's newsd_* series
  boost::asio::steady_timer sleep_;
  bool stopping_ = false;
  // Held by this poller alone; the outbox's callbacks for records it
  // submitted hold it weakly, so a poller freed after a reload is never
  // touched by an acknowledgement that arrives later.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  DocumentFetch fetch_;
  std::unique_ptr<Source> reader_;
  StoryGate gate_;
  PageRevisits revisits_;
  // This poll's extracted pages' validators (by the URL fetched), for their first revisit.
  std::unordered_map<std::string, PageValidators> page_validators_;
  PollSchedule schedule_;
  std::string last_error_kind_;
  std::optional<int> ttl_minutes_;  // the last document's own polling hint
  bool network_outage_ = false;     // the last failure happened during a network outage
  std::optional<SourceCheckpoint> saved_;  // the last checkpoint written (or resumed from)
  std::uint64_t failures_seen_ = 0;  // stats_ counters at the last next_delay(), to tell
  std::uint64_t produced_seen_ = 0;  // what the poll in between did
};

}  // namespace newsd::daemon
