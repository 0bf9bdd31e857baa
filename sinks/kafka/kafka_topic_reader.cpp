#include "sinks/kafka/kafka_topic_reader.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>
#include <set>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace newsd::sinks {
namespace {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* m) const { rd_kafka_message_destroy(m); }
};

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value, bool required) {
  char error[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof error) == RD_KAFKA_CONF_OK) return;
  if (required) throw std::runtime_error("kafka reader: " + key + ": " + error);
  spdlog::debug("kafka reader: {} not used: {}", key, error);
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, std::min<std::int64_t>(left.count(), 1000)));
}

using ConsumerPtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using Partitions = std::set<std::pair<std::string, int>>;

ConsumerPtr make_consumer(const KafkaReaderConfig& config) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Producer settings (linger.ms, compression, ...) mean nothing here; the
  // operator's security and network settings do.
  for (const auto& [key, value] : config.properties) set(conf, key, value, false);
  set(conf, "bootstrap.servers", config.brokers, true);
  set(conf, "group.id", "newsd-state-rebuild", true);  // required by the API; nothing is committed
  set(conf, "enable.auto.commit", "false", true);
  set(conf, "enable.partition.eof", "true", true);
  set(conf, "auto.offset.reset", "earliest", true);
  set(conf, "isolation.level", "read_committed", true);
  char error[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (raw == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka reader: ") + error);
  }
  return ConsumerPtr(raw);
}

// The cluster's metadata, asked again until the brokers answer or the deadline passes.
MetadataPtr fetch_metadata(rd_kafka_t* rk, const KafkaReaderConfig& config,
                           std::chrono::steady_clock::time_point deadline) {
  const rd_kafka_metadata_t* raw_md = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  do {
    err = rd_kafka_metadata(rk, 1, nullptr, &raw_md, 5000);
  } while (err != RD_KAFKA_RESP_ERR_NO_ERROR && std::chrono::steady_clock::now() < deadline);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("kafka reader: no metadata from ") + config.brokers + ": " +
                             rd_kafka_err2str(err));
  return MetadataPtr(raw_md);
}

// Assigns every partition of the wanted topics from its beginning; returns
// those partitions, and names the topics in summary.
Partitions assign_wanted(rd_kafka_t* rk, const rd_kafka_metadata_t& md,
                         const std::function<bool(std::string_view)>& wanted, ReadSummary& summary) {
  PartitionListPtr assignment(rd_kafka_topic_partition_list_new(16));
  Partitions open;
  for (int t = 0; t < md.topic_cnt; ++t) {
    const auto& topic = md.topics[t];
    if (topic.err != RD_KAFKA_RESP_ERR_NO_ERROR || !wanted(topic.topic)) continue;
    summary.topics.emplace_back(topic.topic);
    for (int p = 0; p < topic.partition_cnt; ++p) {
      rd_kafka_topic_partition_list_add(assignment.get(), topic.topic, topic.partitions[p].id)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
      open.emplace(topic.topic, topic.partitions[p].id);
    }
  }
  if (open.empty()) return open;
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, assignment.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("kafka reader: assign: ") + rd_kafka_err2str(err));
  return open;
}

// Hands every record to on_record until each open partition reached its end.
void read_to_end(rd_kafka_t* rk, Partitions& open, std::chrono::steady_clock::time_point deadline,
                 const std::function<void(const ReadRecord&)>& on_record, ReadSummary& summary) {
  while (!open.empty()) {
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error("kafka reader: " + std::to_string(open.size()) +
                               " partitions not read to their end within the timeout");
    std::unique_ptr<rd_kafka_message_t, MessageDeleter> m(rd_kafka_consumer_poll(rk, remaining_ms(deadline)));
    if (!m) continue;
    const std::string topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      open.erase({topic, m->partition});
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      spdlog::warn("kafka reader: {} [{}]: {}", topic, m->partition, rd_kafka_message_errstr(m.get()));
      continue;
    }
    ++summary.records;
    on_record({topic, m->partition, m->offset,
               std::string_view(static_cast<const char*>(m->key), m->key ? m->key_len : 0),
               std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0)});
  }
}

}  // namespace

ReadSummary read_topics(const KafkaReaderConfig& config, const std::function<bool(std::string_view)>& wanted,
                        const std::function<void(const ReadRecord&)>& on_record) {
  const auto deadline = std::chrono::steady_clock::now() + config.timeout;
  ConsumerPtr rk = make_consumer(config);
  MetadataPtr md = fetch_metadata(rk.get(), config, deadline);
  ReadSummary summary;
  Partitions open = assign_wanted(rk.get(), *md, wanted, summary);
  read_to_end(rk.get(), open, deadline, on_record, summary);
  return summary;
}

}  // namespace newsd::sinks
