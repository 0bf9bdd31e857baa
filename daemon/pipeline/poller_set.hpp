#pragma once
// PollerSet: the running pollers, one per configured source. Each poller's
// coroutine is spawned with a completion handler: a poller that ends by an
// unexpected exception (a bug: run() handles bad input and network trouble
// itself) is logged loudly, counted and started again after a pause, so one
// source's bug never ends its polling silently. A reload applies a new
// source list: unchanged sources keep their poller (schedule, validators,
// backoff); removed ones stop; a changed source's new poller starts only
// once the old one's run() has returned, so two never poll one source at
// once; stopped pollers are freed when their run() returns. Event loop
// thread only; owned by the daemon.
#include <chrono>
#include <map>
#include <set>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "daemon/config/config.hpp"
#include "daemon/ops/metrics.hpp"
#include "daemon/pipeline/source_poller.hpp"

namespace newsd::daemon {

class PollerSet {
 public:
  PollerSet(boost::asio::io_context& io, PollerContext& context, metrics::DaemonMetrics& metrics)
      : io_(io), context_(context), metrics_(metrics) {}

  // Creates and spawns a poller per source.
  void start(const std::vector<SourceConfig>& sources);

  struct Changes {
    int added = 0;
    int removed = 0;
    int changed = 0;
  };
  // Makes the set poll `sources`, as described above.
  Changes apply(const std::vector<SourceConfig>& sources);

  // Stops every poller (they end at their next waiting point); no restarts.
  void stop();

  // The current pollers, one per source (a replacement waiting for its
  // predecessor included: its stats say it has not polled yet).
  const std::vector<std::unique_ptr<SourcePoller>>& pollers() const { return pollers_; }
  const SourcePoller* find(const std::string& source_id) const;
  // Stopped pollers whose run() has not returned yet.
  std::size_t retired() const { return retired_.size(); }
  // No poller's run() is still going: the set may be destroyed.
  bool idle() const { return running_.empty(); }

  std::chrono::milliseconds restart_delay{10'000};  // after an unexpected exception

 private:
  void spawn(SourcePoller& poller);
  void ended(SourcePoller* poller, std::exception_ptr error);
  void restart_later(SourcePoller* poller);
  // Stops `poller` (moved out of pollers_) and returns what its successor,
  // if any, must wait for: nullptr when nothing (it never ran).
  SourcePoller* retire(std::unique_ptr<SourcePoller> poller);
  bool current(const SourcePoller* poller) const;

  boost::asio::io_context& io_;
  PollerContext& context_;
  metrics::DaemonMetrics& metrics_;
  std::vector<std::unique_ptr<SourcePoller>> pollers_;
  std::vector<std::unique_ptr<SourcePoller>> retired_;
  // A replacement poller, created but not spawned, by the retired poller it waits for.
  std::map<SourcePoller*, SourcePoller*> successors_;
  std::set<const SourcePoller*> running_;  // spawned, run() not returned yet
  bool stopping_ = false;
};

}  // namespace newsd::daemon
