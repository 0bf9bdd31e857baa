#pragma once
// SourcePoller: the long-lived activity of one configured source, written as
// one coroutine: fetch on the source's interval (conditional GET), parse off
// the event loop, turn items not yet published into records, hand them to
// the sink, and wait for Kafka's acknowledgements before trusting the
// source's validators (ETag / Last-Modified) again. Owned by the daemon.
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
#include "daemon/publication_ledger.hpp"
#include "fetchers/http_fetcher.hpp"
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
  long last_status = 0;
  std::string last_error;
};

// What every poller shares; all owned by the daemon and outliving pollers.
struct PollerContext {
  boost::asio::io_context& io;
  boost::asio::thread_pool& cpu;  // parsing runs here, off the event loop
  fetchers::HttpFetcher& fetcher;
  sinks::Sink& sink;
  PublicationLedger& ledger;
  std::string default_topic;
  std::chrono::milliseconds delivery_wait;  // longest wait for a batch's acknowledgements
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
  };

  boost::asio::awaitable<Body> fetch();
  boost::asio::awaitable<Body> read_file();
  static Body read_file_body(const std::string& path);
  // Returns false when some record could not be delivered.
  boost::asio::awaitable<bool> publish(const Body& body);
  void record_failure(const std::string& kind, const std::string& error);
  void record_success();
  std::chrono::milliseconds next_delay();

  PollerContext& context_;
  SourceConfig source_;
  SourceStats stats_;
  boost::asio::steady_timer sleep_;
  bool stopping_ = false;
  std::string last_error_kind_;
  std::string etag_;           // validators of the last fully published response
  std::string last_modified_;
  std::minstd_rand jitter_;
};

}  // namespace newsd::daemon
