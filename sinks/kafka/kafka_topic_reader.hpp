#pragma once
// KafkaTopicReader: reads every record of some topics, from the beginning of
// each partition to the end it had when reading started, with librdkafka's
// consumer (partitions assigned by hand, no consumer group, nothing
// committed). For rebuilding newsd's state from what it published.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::sinks {

struct KafkaReaderConfig {
  std::string brokers;                             // bootstrap servers
  std::map<std::string, std::string> properties;   // extra librdkafka settings (security, ...); producer-only ones are skipped
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // for the whole read
};

struct ReadRecord {
  std::string_view topic;
  int partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view value;  // empty for a tombstone
};

struct ReadSummary {
  std::vector<std::string> topics;  // the topics read
  std::size_t records = 0;
};

// Reads every partition of every topic for which `wanted(name)` is true and
// hands each record to `on_record`, in offset order per
// partition. Throws std::runtime_error when the brokers cannot be reached,
// the metadata cannot be had, or the read does not finish within the timeout.
ReadSummary read_topics(const KafkaReaderConfig& config, const std::function<bool(std::string_view)>& wanted,
                        const std::function<void(const ReadRecord&)>& on_record);

}  // namespace newsd::sinks
