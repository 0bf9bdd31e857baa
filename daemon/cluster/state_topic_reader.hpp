#pragma once
// The cluster's state topic as the consumers read it: their common
// librdkafka configuration and the record they hand to the event loop.
// Shared by ShardConsumer (the group member: its own shards, restored) and
// IndexFollower (every shard, followed for near duplicates across shards).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_conf_s;
struct rd_kafka_message_s;

namespace newsd::daemon {

// A record read from the state topic.
struct StateRecord {
  int partition = 0;
  std::int64_t offset = 0;
  std::int64_t timestamp_ms = -1;  // when it was produced; -1: unknown
  std::string key;
  std::optional<std::string> value;  // nothing: a tombstone
};

StateRecord state_record(const rd_kafka_message_s& message);

// A consumer configuration for the state topic: the operator's settings
// (producer-only ones skipped), the brokers, `client_id`, `group` (librdkafka
// wants one even without a group membership), partition EOF events, nothing
// committed automatically, read_committed or not. Then `extra`. Throws
// std::runtime_error for a setting librdkafka refuses.
rd_kafka_conf_s* state_consumer_conf(const std::string& brokers, const std::map<std::string, std::string>& properties,
                                     const std::string& client_id, const std::string& group, bool read_committed,
                                     const std::map<std::string, std::string>& extra);

// "0,3,5": shards as the cluster's log lines name them.
std::string shard_list(const std::vector<int>& shards);

// A consumer made of `conf` (taken, also on failure), its events served by
// rd_kafka_consumer_poll(). Throws std::runtime_error naming `what`.
rd_kafka_s* new_state_consumer(rd_kafka_conf_s* conf, const std::string& what);

}  // namespace newsd::daemon
