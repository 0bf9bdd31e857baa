#pragma once
// IndexFollower: every shard's part of the story index, followed. The
// instance that owns a shard decides its stories exactly (ShardConsumer
// restores the shard first); a story that also comes from a source of
// another shard (another feed carrying the same URL, or the same text at
// another URL) is judged against what the other shards' owners published as
// this follower has read it: seconds behind (newsd_cluster_index_lag_seconds).
// It reads all partitions of the state topic from their start, committed
// records only, without a consumer group, on a thread of its own, and hands
// the story records to the event loop.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "daemon/cluster/state_topic_reader.hpp"

struct rd_kafka_s;

namespace newsd::daemon {

class IndexFollower {
 public:
  // `records` runs on the event loop with each batch read.
  IndexFollower(boost::asio::io_context& io, const std::string& brokers,
                const std::map<std::string, std::string>& properties, const std::string& instance_id,
                const std::string& topic, int shards, bool read_committed,
                std::function<void(std::vector<StateRecord>)> records);
  ~IndexFollower();
  IndexFollower(const IndexFollower&) = delete;
  IndexFollower& operator=(const IndexFollower&) = delete;

  void start();

  // Every partition was read to its end once since start().
  bool caught_up() const { return caught_up_; }

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_s* handle) const;
  };
  void run();

  boost::asio::io_context& io_;
  std::string topic_;
  int shards_;
  std::function<void(std::vector<StateRecord>)> records_;
  std::unique_ptr<rd_kafka_s, HandleDeleter> handle_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> caught_up_{false};
};

}  // namespace newsd::daemon
