#include "daemon/cluster/state_topic_reader.hpp"

#include <array>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace {

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value, bool required) {
  std::array<char, 512> error{};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) == RD_KAFKA_CONF_OK) return;
  if (required) throw std::runtime_error("cluster consumer: " + key + ": " + error.data());
}

}  // namespace

StateRecord state_record(const rd_kafka_message_s& message) {
  StateRecord record;
  record.partition = message.partition;
  record.offset = message.offset;
  rd_kafka_timestamp_type_t type;
  record.timestamp_ms = rd_kafka_message_timestamp(&message, &type);
  if (message.key) record.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload) record.value.emplace(static_cast<const char*>(message.payload), message.len);
  return record;
}

rd_kafka_conf_s* state_consumer_conf(const std::string& brokers, const std::map<std::string, std::string>& properties,
                                     const std::string& client_id, const std::string& group, bool read_committed,
                                     const std::map<std::string, std::string>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    // Producer settings (linger.ms, compression, ...) mean nothing here; the
    // operator's security and network settings do.
    for (const auto& [key, value] : properties) set(conf, key, value, false);
    set(conf, "bootstrap.servers", brokers, true);
    set(conf, "client.id", client_id, true);
    set(conf, "group.id", group, true);
    set(conf, "enable.auto.commit", "false", true);
    set(conf, "enable.auto.offset.store", "false", true);
    set(conf, "enable.partition.eof", "true", true);
    set(conf, "auto.offset.reset", "earliest", true);
    set(conf, "allow.auto.create.topics", "false", true);
    set(conf, "isolation.level", read_committed ? "read_committed" : "read_uncommitted", true);
    for (const auto& [key, value] : extra) set(conf, key, value, true);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  rd_kafka_conf_set_log_cb(conf, [](const rd_kafka_t*, int level, const char* facility, const char* message) {
    if (level <= 4) spdlog::warn("cluster kafka {}: {}", facility, message);
  });
  return conf;
}

std::string shard_list(const std::vector<int>& shards) {
  std::string out;
  for (int shard : shards) out += (out.empty() ? "" : ",") + std::to_string(shard);
  return out;
}

rd_kafka_s* new_state_consumer(rd_kafka_conf_s* conf, const std::string& what) {
  std::array<char, 512> error{};
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(what + ": " + error.data());
  }
  rd_kafka_poll_set_consumer(handle);
  return handle;
}

}  // namespace newsd::daemon
