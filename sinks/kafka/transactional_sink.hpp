#pragma once
// TransactionalSink: produces records in Kafka transactions, for a cluster
// member with exactly_once = true. Records handed over gather for up to
// `linger`; then one transaction takes them, with the consumer group's
// offsets the fence gives (KIP-447: the group coordinator refuses them from
// a member whose generation is over, so a paused or partitioned member's
// transaction aborts instead of publishing what its shards' new owner
// publishes too). A record is reported delivered only once its transaction
// committed; an aborted transaction reports each of its records failed
// (retried by the outbox), a record the broker refuses for good as
// permanent, and fails every record handed over after it too, so the outbox
// produces them again in their order. One transaction at a time, on a thread of its own (librdkafka's
// transaction calls block); reports run on the event loop. Owned by the
// daemon.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/sink.hpp"

struct rd_kafka_s;
struct rd_kafka_consumer_group_metadata_s;

namespace newsd::sinks {

struct PartitionOffset {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

// What a transaction commits besides its records: the consumer group's
// metadata (generation, member) and the offsets to commit for it. No
// metadata: the member holds no assignment, and the transaction aborts.
struct TransactionFence {
  std::shared_ptr<rd_kafka_consumer_group_metadata_s> group;
  std::vector<PartitionOffset> offsets;
};

struct TransactionalSinkConfig {
  KafkaSinkConfig producer;
  std::string transactional_id;                         // one per instance: a restart fences its predecessor
  std::chrono::milliseconds transaction_timeout{30'000};  // the broker aborts a transaction left open this long
  std::chrono::milliseconds linger{100};                 // how long a transaction gathers records
  std::size_t max_records = 5'000;                       // per transaction
};

class TransactionalSink final : public Sink {
 public:
  // Throws std::runtime_error when librdkafka refuses the configuration.
  TransactionalSink(boost::asio::io_context& io, const TransactionalSinkConfig& config);
  ~TransactionalSink() override;
  TransactionalSink(const TransactionalSink&) = delete;
  TransactionalSink& operator=(const TransactionalSink&) = delete;

  // Asked on the event loop as each transaction starts.
  void fence_with(std::function<TransactionFence()> fence) { fence_ = std::move(fence); }
  // After each commit, on the event loop: the offsets of the fence, raised
  // past the records this transaction wrote to the fence's partitions.
  void on_committed(std::function<void(const std::vector<PartitionOffset>&)> handler) {
    committed_ = std::move(handler);
  }
  // The producer can never commit again (another process took its
  // transactional id, or a fatal error): on the event loop, once.
  void on_fatal(std::function<void(const std::string&)> handler) { fatal_handler_ = std::move(handler); }

  ProduceStatus produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) override;
  // Commits what was handed over and waits up to `timeout` for it.
  bool flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override { return outstanding_; }
  // Empty unless transactions keep failing (three in a row, the last within a
  // minute) or the producer failed for good.
  std::string unready_reason() const override;
  void observe_deliveries(DeliveryObserver observer) override { observer_ = std::move(observer); }
  std::uint64_t client_errors() const override { return client_errors_; }

  // As KafkaSink::ensure_compacted_topic.
  CompactedTopic ensure_compacted_topic(const std::string& topic, std::chrono::milliseconds timeout);

  // Commits what was handed over now; `done` runs on the event loop once no
  // transaction is under way (at once when none is).
  void settle(std::function<void()> done);

  std::uint64_t committed() const { return commits_; }
  std::uint64_t aborted() const { return aborts_; }
  std::uint64_t fenced() const { return fenced_; }  // aborted because the group had moved on

 private:
  struct Pending {
    OutRecord record;
    DeliveryHandler on_delivery;
    std::chrono::steady_clock::time_point since;
  };
  struct Outcome;
  struct HandleDeleter {
    void operator()(rd_kafka_s* handle) const;
  };

  void schedule();
  void begin();
  // On the transaction thread: one whole transaction.
  Outcome run(std::vector<Pending>& batch, const TransactionFence& fence);
  // Its steps: the records, each one's delivery report; the offsets and the commit.
  bool produce_all(const std::vector<Pending>& batch, Outcome& out);
  bool commit(const std::vector<Pending>& batch, const TransactionFence& fence, Outcome& out);
  void finish(std::vector<Pending> batch, Outcome outcome);

  boost::asio::io_context& io_;
  TransactionalSinkConfig config_;
  std::unique_ptr<rd_kafka_s, HandleDeleter> handle_;
  boost::asio::io_context worker_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> worker_guard_;
  std::thread worker_;
  boost::asio::steady_timer linger_;
  bool lingering_ = false;
  bool busy_ = false;     // a transaction is under way
  bool initialized_ = false;  // init_transactions succeeded (transaction thread only)
  bool fatal_ = false;
  std::deque<Pending> pending_;
  std::vector<std::function<void()>> settled_;
  std::size_t outstanding_ = 0;
  std::string unready_;
  int failures_in_a_row_ = 0;
  std::chrono::steady_clock::time_point last_failure_{};
  DeliveryObserver observer_;
  std::function<TransactionFence()> fence_;
  std::function<void(const std::vector<PartitionOffset>&)> committed_;
  std::function<void(const std::string&)> fatal_handler_;
  std::atomic<std::uint64_t> client_errors_{0};
  std::uint64_t commits_ = 0, aborts_ = 0, fenced_ = 0;
};

}  // namespace newsd::sinks
