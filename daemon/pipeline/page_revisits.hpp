#pragma once
// PageRevisits: the revisit stage of one source. A story whose page newsd
// fetched (fetch_articles feeds, section pages, sitemaps) is fetched again
// on the source's decaying schedule (`revisits`, from its first
// publication: 15 min, 1 h, 6 h, 1 day, 3 days by default), with a
// conditional GET and through the same fetcher, so within the host's
// politeness budget. What the page says now decides:
//   - the same (304, or an equal page digest): nothing;
//   - an edit of title, body, authors or dates: the story memory's next
//     version, published like any other (gate, records, outbox);
//   - 404 or 410 twice in a row, or a redirect to the site's home or the
//     page's section: a retraction (RecordBuilder::retraction) and the end
//     of its revisits.
// The schedule is the RevisitStore in the state directory, so it survives
// restarts, and a story leaves it after its last step. New items come
// first: the poller runs due revisits after each poll, at most kPerPoll, and
// only while the outbox has room. Owned by the poller; event loop thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "daemon/config/config.hpp"
#include "daemon/pipeline/article_pages.hpp"
#include "daemon/pipeline/record_builder.hpp"
#include "daemon/pipeline/story_gate.hpp"
#include "sinks/outbox/outbox.hpp"
#include "sinks/revisits/revisit_store.hpp"

namespace newsd::daemon {

namespace metrics {
struct DaemonMetrics;
}

// What the revisit stage uses; all of it outlives the stage.
struct RevisitTools {
  sinks::RevisitStore* store = nullptr;  // null: no revisits
  ArticlePages* pages = nullptr;         // null: no revisits
  Outbox* outbox = nullptr;
  const RecordBuilder* records = nullptr;
  metrics::DaemonMetrics* metrics = nullptr;
  std::optional<boost::asio::any_io_executor> writes;  // the store's writes; none: inline
  std::function<Outbox::PublishedHandler()> on_published;  // for the records it submits
};

class PageRevisits {
 public:
  // Due revisits looked at after one poll, at most.
  static constexpr std::size_t kPerPoll = 20;
  // A first 404 / 410 is asked again after this (not later than the next step).
  static constexpr std::chrono::minutes kConfirmAfter{15};
  // Other failures: tried again after this, three times, then the step is skipped.
  static constexpr std::chrono::minutes kRetryAfter{15};
  static constexpr std::uint32_t kMaxFailures = 3;

  PageRevisits(const SourceConfig& source, const StoryGate& gate, RevisitTools tools)
      : source_(source), gate_(gate), tools_(std::move(tools)) {}

  // Whether this source's pages are revisited at all.
  bool enabled() const;

  // The admitted stories of a poll are in the outbox: schedule their pages'
  // first revisit, a conditional GET with `validators` (by page URL) when
  // the page's fetch gave some. Written in the background.
  void schedule(std::span<const Admitted> published,
                const std::unordered_map<std::string, PageValidators>& validators);

  // Looks at the source's due pages, at most kPerPoll, while the outbox has room.
  boost::asio::awaitable<void> run_due(const std::function<bool()>& stopping);

 private:
  // The entry after this revisit; nullopt: forget it (last step, retracted).
  boost::asio::awaitable<std::optional<sinks::Revisit>> revisit(sinks::Revisit entry);
  // A changed page's new version into the outbox; false when it could not be submitted.
  boost::asio::awaitable<bool> publish_edit(parsers::Article& page, const sinks::Revisit& entry);
  boost::asio::awaitable<bool> retract(const sinks::Revisit& entry, const std::string& reason);
  // The entry moved to its next step still ahead; nullopt after the last.
  std::optional<sinks::Revisit> next_step(sinks::Revisit entry, std::int64_t now) const;
  void count(const char* outcome) const;
  // Runs a store write on `writes` (in order with the other durable writes), or inline without it.
  template <typename Work>
  boost::asio::awaitable<void> write(Work work);

  const SourceConfig& source_;
  const StoryGate& gate_;
  RevisitTools tools_;
};

// Whether a page at `original` that now lands on `final` was taken away:
// the site sends it to its home page or to a section above it.
bool redirected_away(const std::string& original, const std::string& final);

}  // namespace newsd::daemon
