#pragma once
// Topic administration newsd does itself, with the admin API of a client it
// already has: making sure the "latest" topic is compacted. Kafka creates a
// missing topic on first produce with the broker's defaults (cleanup.policy
// = delete) when auto-creation is on, so this runs before anything is
// produced to it.
#include <chrono>
#include <optional>
#include <string>

struct rd_kafka_s;

namespace newsd::sinks {

struct CompactedTopic {
  enum class State {
    compacted,      // it exists with cleanup.policy containing "compact"
    created,        // it was missing and newsd created it compacted
    not_compacted,  // it exists with another policy: its readers see every version, and tombstones do not remove
    unknown,        // the broker could not be asked (unreachable, not allowed); `detail` says why
  };
  State state = State::unknown;
  std::string detail;  // the policy found, or the error
};

// Looks the topic's cleanup.policy up (DescribeConfigs) and creates it with
// cleanup.policy=compact and the broker's default partition count and
// replication factor when it is missing. Waits at most `timeout` for each
// answer. Blocks: for start-up only.
// `partitions`: for a topic it creates; -1 = the broker's default.
CompactedTopic ensure_compacted_topic(rd_kafka_s* client, const std::string& topic,
                                      std::chrono::milliseconds timeout, int partitions = -1);

// The topic's partition count from the brokers' metadata; -1 when it does
// not exist, nothing when the brokers did not answer within `timeout`.
std::optional<int> partition_count(rd_kafka_s* client, const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace newsd::sinks
