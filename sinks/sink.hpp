#pragma once
// Sink: where finished records go. One interface for Kafka and for the
// debugging sinks, so the pipeline never knows which it talks to. A sink
// reports a record done only once its destination acknowledged it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace newsd::sinks {

struct OutRecord {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  // A null value, not an empty one (`value` is then empty): the tombstone
  // that deletes `key` from a compacted topic.
  bool null_value = false;
  // The partition to write to; -1: the producer's partitioner, by key. Set
  // for the cluster's state records, which go to the partition of their shard.
  std::int32_t partition = -1;
};

struct DeliveryReport {
  bool delivered = false;
  std::string error;  // why not, when !delivered
  bool permanent = false;  // !delivered and never will be as it is (too large for the broker)
  // !delivered for a reason that passes in a moment (a transaction aborted
  // by a rebalance): try again after this, without growing the backoff. 0: back off.
  std::chrono::milliseconds retry_soon{0};
};

enum class ProduceStatus {
  queued,        // on_delivery will run exactly once
  queue_full,    // backpressure: try again later; on_delivery will not run
  rejected,      // the record can never be produced (too large, bad topic); on_delivery will not run
};

class Sink {
 public:
  using DeliveryHandler = std::function<void(const DeliveryReport&)>;

  virtual ~Sink() = default;

  // Hands one record over. on_delivery runs on the daemon's event loop thread
  // when the destination acknowledged the record or finally gave up on it.
  virtual ProduceStatus produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) = 0;

  // Waits up to `timeout` for every queued record's delivery report; true if
  // none is left outstanding.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;

  // Records handed over whose delivery report has not arrived yet.
  virtual std::size_t outstanding() const = 0;

  // Empty when the destination is reachable; otherwise why not (for /readyz).
  virtual std::string unready_reason() const = 0;

  // For metrics: runs on the event loop for every delivery report with how
  // long the record waited for it and the sink's name of the error ("" =
  // delivered).
  using DeliveryObserver = std::function<void(std::chrono::microseconds, std::string_view)>;
  virtual void observe_deliveries(DeliveryObserver observer) = 0;

  // Errors of the destination as a whole reported so far (brokers down, a
  // file that cannot be written), for metrics.
  virtual std::uint64_t client_errors() const = 0;
};

}  // namespace newsd::sinks
