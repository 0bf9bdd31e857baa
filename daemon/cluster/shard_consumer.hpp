#pragma once
// ShardConsumer: this instance's membership in the cluster's consumer group,
// on a thread of its own. The group's members share the partitions of the
// state topic, one per shard (cooperative-sticky assignor: a rebalance moves
// only the shards that change hands; static membership: a restart within
// the session timeout keeps them). Each assigned partition is read from its
// start (the shard's story index and source checkpoints, compacted) and
// then followed; it counts as restored once read up to its committed
// offset, asked with read_committed so that the broker answers only after a
// previous owner's open transaction ended (KIP-447's stable offsets).
// Every event is handed to the event loop; a revocation waits there until
// the instance stopped working on the shards (its pollers stopped, its
// transaction settled), so two owners never work on one shard at once.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "daemon/cluster/state_topic_reader.hpp"

struct rd_kafka_s;
struct rd_kafka_consumer_group_metadata_s;
struct rd_kafka_topic_partition_list_s;

namespace newsd::daemon {

struct ShardConsumerConfig {
  std::string brokers;
  std::map<std::string, std::string> properties;  // the operator's librdkafka settings (security, ...)
  std::string group;
  std::string instance_id;
  std::string topic;  // the state topic; its partitions are the shards
  int shards = 64;
  std::chrono::milliseconds session_timeout{10'000};
  bool read_committed = true;  // exactly_once: read only committed state, wait for stable offsets
};

struct GroupMember {
  std::string member_id, client_id, host;
};

class ShardConsumer {
 public:
  // All run on the event loop.
  struct Handlers {
    std::function<void(const std::vector<int>&)> assigned;
    // `done` must be called once the shards are let go of; the group waits.
    std::function<void(const std::vector<int>&, bool lost, std::function<void()> done)> revoked;
    std::function<void(std::vector<StateRecord>)> records;
    // Read up to `offset`, the committed offset (0 when none).
    std::function<void(int shard, std::int64_t offset)> restored;
  };

  // Throws std::runtime_error when librdkafka refuses the configuration.
  ShardConsumer(boost::asio::io_context& io, ShardConsumerConfig config, Handlers handlers);
  ~ShardConsumer();
  ShardConsumer(const ShardConsumer&) = delete;
  ShardConsumer& operator=(const ShardConsumer&) = delete;

  // Makes sure the state topic exists (compacted, `shards` partitions) and
  // has `shards` partitions; joins the group. Throws std::runtime_error with
  // what to do when the topic has another partition count. Blocks: start-up.
  void start();

  // Leaves the group (its shards are revoked through the handlers, so the
  // event loop must keep running) and then runs `closed` on the event loop.
  void stop(std::function<void()> closed);

  // For a transaction's offsets: the group's current generation and member.
  std::shared_ptr<rd_kafka_consumer_group_metadata_s> group_metadata() const;
  // The group's members as the coordinator knew them at most ~10 s ago.
  std::vector<GroupMember> members() const;
  std::uint64_t rebalances() const { return rebalances_; }

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_s* handle) const;
  };
  // What the consumer thread knows of an assigned partition.
  struct Progress {
    std::int64_t target = -1;  // the committed offset to read up to; -1: not asked yet
    std::int64_t read_to = 0;  // the next offset to read
    bool at_end = false;       // reached the end of the partition at least once
    bool restored = false;
  };

  rd_kafka_s* make_handle();
  void subscribe();
  // After a fatal consumer error: lets go of every shard (as lost), and
  // joins the group again with a new consumer. Consumer thread.
  void join_again(const std::string& why);
  void run();
  void rebalance(int error, rd_kafka_topic_partition_list_s* partitions);
  void ask_targets();
  void check_restored(int partition);
  void flush_records();
  void refresh_members(std::chrono::milliseconds timeout);

  boost::asio::io_context& io_;
  ShardConsumerConfig config_;
  Handlers handlers_;
  mutable std::mutex handle_mutex_;  // handle_ is replaced by join_again() while the loop reads group_metadata()
  std::unique_ptr<rd_kafka_s, HandleDeleter> handle_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::function<void()> closed_;
  std::map<int, Progress> progress_;  // consumer thread only
  std::vector<StateRecord> batch_;    // consumer thread only
  std::atomic<std::uint64_t> rebalances_{0};
  mutable std::mutex members_mutex_;
  std::vector<GroupMember> members_;
};

}  // namespace newsd::daemon
