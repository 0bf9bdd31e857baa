#pragma once
// SourcePoller: the long-lived activity of one configured source, written as
// one coroutine: fetch on the source's interval (conditional GET), parse off
// the event loop, turn items not yet published into records and hand them
// to the outbox; trust the source's validators (ETag / Last-Modified) again
// only once every new item of the response is safely in the outbox. Owned by
// the daemon.
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/config.hpp"
#include "daemon/metrics.hpp"
#include "daemon/outbox.hpp"
#include "daemon/poll_schedule.hpp"
#include "fetchers/http_fetcher.hpp"
#include "parsers/article.hpp"
#include "sinks/dedupe_index.hpp"
#include "sinks/sink.hpp"

namespace newsd::daemon {

// What a poller reports about its source (for logs now, /sources later).
struct SourceStats {
  std::uint64_t polls = 0;
  std::uint64_t not_modified = 0;
  std::uint64_t failures = 0;
  std::uint64_t items_seen = 0;
  std::uint64_t produced = 0;
  std::uint64_t published = 0;
  std::uint64_t delivery_failures = 0;
  int error_streak = 0;
  std::chrono::system_clock::time_point last_poll{};   // when the last poll started
  std::chrono::system_clock::time_point next_poll{};   // when the next one is due
  std::chrono::milliseconds interval{0};               // the delay chosen after the last poll
  std::chrono::milliseconds learned_interval{0};       // adaptive interval, before hints, backoff, jitter
  std::chrono::milliseconds last_lag{0};               // how late the last request went out
  std::string effective_url;                           // where a permanent redirect moved the source
  long last_status = 0;
  std::string last_error;
};

class PublicationHistory;
class ArticlePages;
class StoryMemory;

// What every poller shares; all owned by the daemon and outliving pollers.
struct PollerContext {
  boost::asio::io_context& io;
  boost::asio::thread_pool& cpu;  // parsing runs here, off the event loop
  fetchers::HttpFetcher& fetcher;
  Outbox& outbox;
  std::string default_topic;
  metrics::DaemonMetrics& metrics;
  PublicationHistory& history;     // what the status page shows of past publications
  std::string dead_letter_topic;    // empty: no dead letters
  std::size_t dead_letter_max_body = 64 * 1024;
  ArticlePages* pages = nullptr;   // article pages and section pages; null: feeds only
  StoryMemory* stories = nullptr;  // versions and near duplicates; null: ids only
  // Shared by every poller: a whole-network outage is no source's fault.
  NetworkOutageDetector outage{};
  // newsd_poll_lag_seconds, registered by the first poller that needs it.
  metrics::Family<metrics::Histogram>* poll_lag = nullptr;
  // The largest record value Kafka takes: record_value_limit() of the
  // producer's message.max.bytes.
  std::size_t max_record_bytes = 1'000'000 - 4096;
};

// The largest record value that fits a producer's message.max.bytes, with
// headroom for the key, the headers and the batch framing.
std::size_t record_value_limit(std::size_t message_max_bytes);

// `text` cut to at most `keep` bytes: at the end of a paragraph ("\n\n")
// when one ends in the last quarter of `keep`, else at a UTF-8 character
// boundary.
std::string_view cut_text(std::string_view text, std::size_t keep);

// The article record of `article` as JSON, at most `max_bytes` long when
// cutting the body (cut_text) can make it so; then the article's body is the
// cut one and body_truncated is set. Longer only when the rest of the record
// alone is too large.
std::string fit_article_record(parsers::Article& article, std::size_t max_bytes);

class SourcePoller {
 public:
  SourcePoller(PollerContext& context, SourceConfig source);

  // Polls until stop(). Never throws for bad input or network trouble.
  boost::asio::awaitable<void> run();

  // Ends run() at its next waiting point.
  void stop();

  const SourceConfig& source() const { return source_; }
  const SourceStats& stats() const { return stats_; }

 private:
  struct Body {
    bool not_modified = false;
    bool failed = false;
    std::string error_kind;    // what went wrong, without the details that vary per poll
    std::string error;
    long status = 0;
    std::string bytes;
    std::string url;           // after redirects
    std::string content_type;
    std::string content_location;
    std::string etag;
    std::string last_modified;
    // What the schedule learns from the response (see PollSchedule).
    std::string retry_after;
    std::string cache_control;
    std::string expires;
    std::string date;
  };

  boost::asio::awaitable<Body> fetch();
  boost::asio::awaitable<Body> read_file();
  static Body read_file_body(const std::string& path);
  // Returns false when some record could not be delivered.
  boost::asio::awaitable<bool> publish(const Body& body);
  void record_failure(const std::string& kind, const std::string& error);
  void dead_letter(const std::string& url, long status, const std::string& content_type,
                   std::string_view bytes, const std::string& error);
  boost::asio::awaitable<std::optional<std::vector<parsers::Article>>> articles_from_feed(const Body& body);
  boost::asio::awaitable<std::optional<std::vector<parsers::Article>>> articles_from_listing(const Body& body);
  // Hands the articles not yet known to the outbox, oldest first, no more
  // than it has room for; false when some were left (no room, or they could
  // not be persisted): then the response's validators must not be kept.
  boost::asio::awaitable<bool> submit(std::vector<parsers::Article>& articles);
  // The articles worth observing: with an identity, the first of their
  // identity in the document, not waiting in the outbox (nor published, for
  // sources whose pages are fetched).
  boost::asio::awaitable<std::vector<parsers::Article*>> candidates(std::vector<parsers::Article>& articles);
  // Candidates observed and turned into records per turn of the event loop.
  static constexpr std::size_t kSubmitChunk = 1000;
  // Articles looked at per turn of the event loop when choosing candidates.
  static constexpr std::size_t kCandidateSlice = 5000;
  // Records built per turn of the event loop.
  static constexpr std::size_t kBuildSlice = 250;
  // Whether `article` is to be published after the story memory's verdict
  // (which may make it a new version or a near duplicate).
  bool wanted(parsers::Article& article, const sinks::Verdict& verdict);
  // The article's Kafka record, its body cut to fit message.max.bytes.
  sinks::OutRecord record_of(parsers::Article& article, const sinks::Verdict& verdict, const std::string& topic);
  void record_success();
  std::chrono::milliseconds next_delay();

  PollerContext& context_;
  SourceConfig source_;
  SourceStats stats_;
  boost::asio::steady_timer sleep_;
  bool stopping_ = false;
  // Held by this poller alone; the outbox's callbacks for records it
  // submitted hold it weakly, so a poller freed after a reload is never
  // touched by an acknowledgement that arrives later.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  std::string last_error_kind_;
  std::string etag_;           // validators of the last fully published response
  std::string last_modified_;
  metrics::SourceSeries series_;  // this source's newsd_* series
  PollSchedule schedule_;
  Body facts_;                     // headers of the last response, for schedule_ (no body)
  std::optional<int> feed_ttl_;    // RSS <ttl> of the last parsed feed
  bool network_outage_ = false;    // the last failure happened during a network outage
  std::uint64_t failures_seen_ = 0;  // stats_ counters at the last next_delay(), to tell
  std::uint64_t produced_seen_ = 0;  // what the poll in between did
  std::string moved_to_;           // a permanent redirect's target, polled instead of source_.url
};

}  // namespace newsd::daemon
