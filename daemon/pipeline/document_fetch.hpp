#pragma once
// DocumentFetch: the fetch stage for a source's own document. A conditional
// GET of the source's URL (or where a permanent redirect moved it), with the
// validators of the last response the pipeline used completely; and what a
// response teaches beyond its body: how late the request went out, whether
// the network as a whole is down, the headers the schedule reads. Per
// source, owned by its poller; event loop thread only.
#include <string>

#include <boost/asio/awaitable.hpp>

#include "daemon/config/config.hpp"
#include "daemon/ops/metrics.hpp"
#include "daemon/ops/source_stats.hpp"
#include "daemon/pipeline/poll_schedule.hpp"
#include "daemon/pipeline/source.hpp"
#include "daemon/pipeline/source_checkpoint.hpp"
#include "fetchers/fetcher.hpp"

namespace newsd::daemon {

// One fetch of the document.
struct Fetched {
  fetchers::FetchVerdict verdict;
  Document document;        // when verdict.ok()
  std::string etag;         // its validators
  std::string last_modified;
  bool network_outage = false;  // a failure while the whole network is down: no fault of the source
};

// What the daemon's fetch stage shares between sources.
struct FetchShared {
  fetchers::Fetcher& fetcher;
  metrics::DaemonMetrics& metrics;
  // A whole-network outage is no source's fault.
  NetworkOutageDetector outage{};
  // newsd_poll_lag_seconds, registered by the first poll that needs it.
  metrics::Family<metrics::Histogram>* poll_lag = nullptr;
};

class DocumentFetch {
 public:
  DocumentFetch(FetchShared& shared, const SourceConfig& source, SourceStats& stats)
      : shared_(shared), source_(source), stats_(stats) {}

  boost::asio::awaitable<Fetched> next();

  // The response was used completely: the next fetch is conditional on it.
  void keep_validators(const Fetched& fetched);
  // It was not (an outbox without room, a store failure): the next fetch is unconditional.
  void forget_validators();

  // The validators and location the next fetch uses (`polled_at` unset),
  // for a cluster's next owner of the source; resume() starts from one.
  SourceCheckpoint checkpoint() const { return {etag_, last_modified_, moved_to_, {}}; }
  void resume(const SourceCheckpoint& checkpoint);

  // What the last response said about polling, for PollSchedule.
  void describe(PollOutcome& outcome) const;

 private:
  void observe_lag(std::chrono::system_clock::time_point asked_at, const fetchers::FetchResponse& response);
  bool observe_reachability(const std::string& host, const fetchers::FetchResponse& response);
  void observe_move(const fetchers::FetchResponse& response);

  FetchShared& shared_;
  const SourceConfig& source_;
  SourceStats& stats_;
  std::string etag_;           // validators of the last fully used response
  std::string last_modified_;
  std::string moved_to_;       // a permanent redirect's target, fetched instead of source_.url
  // Headers of the last response, for the schedule.
  std::string retry_after_, cache_control_, expires_, date_;
};

}  // namespace newsd::daemon
