#pragma once
// ClusterNode: this instance as a member of a newsd cluster ([cluster]).
// Kafka is the only coordinator: the consumer group assigns shards
// (ShardConsumer), a shard's state topic partition holds its sources'
// checkpoints and its stories' last published records, and the
// transactional sink commits the records with the group's offsets, which
// fences a member whose generation is over. The node polls exactly the
// sources of the shards it holds and has restored:
//   assigned -> read the shard's partition up to its committed offset
//            -> checkpoints and stories into the local stores -> its pollers start;
//   revoked  -> its pollers stop (the group waits), the transaction under
//               way settles, the shard's unsent records leave the outbox
//               (the next owner derives them again from the checkpoint).
// Event loop thread only; owned by the daemon.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/cluster/index_follower.hpp"
#include "daemon/cluster/shard_consumer.hpp"
#include "daemon/config/config.hpp"
#include "daemon/ops/metrics.hpp"
#include "daemon/pipeline/article_pages.hpp"
#include "daemon/pipeline/poller_set.hpp"
#include "daemon/pipeline/record_builder.hpp"
#include "daemon/pipeline/source_checkpoint.hpp"
#include "sinks/dedupe/story_memory.hpp"
#include "sinks/kafka/transactional_sink.hpp"
#include "sinks/outbox/outbox.hpp"

namespace newsd::daemon {

// What the node works with; all owned by the daemon, outliving the node.
struct ClusterParts {
  PollerSet& pollers;
  Outbox& outbox;
  StoryMemory& stories;
  ArticlePages& pages;  // the pages handed over to this member
  const RecordBuilder& records;
  sinks::TransactionalSink* transactions = nullptr;  // null: exactly_once = false
  metrics::DaemonMetrics& metrics;
};

class ClusterNode {
 public:
  ClusterNode(boost::asio::io_context& io, const Config& config, ClusterParts parts);

  // Checks the state topic and joins the group. Throws std::runtime_error
  // for a start-up mistake (another shard count, unreachable brokers).
  void start();
  // Leaves the group (the shards are let go of as in a revocation), then `done`.
  void stop(std::function<void()> done);

  // The configured sources (at start and after a reload); polls the owned ones.
  PollerSet::Changes set_sources(std::vector<SourceConfig> sources);

  std::optional<SourceCheckpoint> checkpoint(const std::string& source_id) const;
  sinks::TransactionFence fence() const;
  void committed(const std::vector<sinks::PartitionOffset>& offsets);

  int shard_of_source(const SourceConfig& source) const;
  bool polls(const SourceConfig& source) const { return restored_.contains(shard_of_source(source)); }
  // Empty when ready: shards held, all restored.
  std::string unready_reason() const;
  // GET /cluster: {"instance_id", "group", "shards", "owned", "restoring", "members", "state_topic"}.
  std::string status_json() const;
  // For the status page: "member ID of group G: shards 1,5 of 16 (2 restoring); 3 members".
  std::string summary() const;
  void collect_metrics() const;

 private:
  void assigned(const std::vector<int>& shards);
  void revoked(const std::vector<int>& shards, bool lost, std::function<void()> done);
  void records(std::vector<StateRecord> batch);
  // Other shards' stories, as the follower reads them.
  void followed(std::vector<StateRecord> batch);
  void restored(int shard, std::int64_t offset);
  PollerSet::Changes poll_owned();
  // Articles handed over by other members, for pages on this member's
  // hosts: fetched, judged and published here, one at a time.
  void take_handoffs();
  boost::asio::awaitable<void> work_off_handoffs();
  // One handed-over article; false when it must be tried again later.
  boost::asio::awaitable<bool> take_handoff(int shard, const std::string& key, const std::string& value);
  // Runs `then` once no stopped poller's run() and no hand-over is still
  // going (or after a minute, logged).
  void after_pollers_stopped(std::function<void()> then, int waited_ms = 0);
  // The shard a record belongs to (its source's, or its state partition); -1: none.
  int shard_of_record(const sinks::OutRecord& record) const;

  boost::asio::io_context& io_;
  ClusterConfig config_;
  ClusterParts parts_;
  std::unique_ptr<ShardConsumer> consumer_;
  std::unique_ptr<IndexFollower> follower_;
  double index_lag_seconds_ = 0;  // of the last batch of other shards' stories applied
  std::vector<SourceConfig> sources_;
  std::map<std::string, int> source_shards_;  // source id -> shard
  std::set<int> assigned_;                    // held, restored or not
  std::set<int> restored_;                    // held and restored: polled
  std::set<int> releasing_;                   // revoked, its last transaction not settled yet
  std::map<int, std::chrono::steady_clock::time_point> assigned_at_;
  std::map<int, std::int64_t> offsets_;       // shard -> the offset its transactions commit
  std::map<std::string, SourceCheckpoint> checkpoints_;
  struct Handoff {
    int shard = 0;
    std::string value;  // the article record of the feed item
  };
  std::map<std::string, Handoff> handoffs_;      // "page/<id>" of held shards, not taken yet
  std::map<std::string, int> handoff_stories_;   // story id -> shard, published from a hand-over, not acknowledged yet
  bool taking_handoffs_ = false;
  bool handoff_busy_ = false;  // take_handoff() under way: a revocation waits for it
  double restore_seconds_ = 0;
  bool stopping_ = false;
};

}  // namespace newsd::daemon
