#include "daemon/pipeline/sink_factory.hpp"

#include <spdlog/spdlog.h>

#include "sinks/jsonl/json_lines_sink.hpp"
#include "sinks/kafka/kafka_sink.hpp"

namespace newsd::daemon {
namespace {

// The producer may hold the whole outbox and then some: backpressure is the
// outbox's job, not the producer's queue's.
std::size_t sink_queue_capacity(const KafkaConfig& kafka) { return kafka.outbox_capacity + 1000; }

// The latest topic is only right compacted: say so loudly when it is not.
template <typename Producer>
void check_latest_topic(Producer& sink, const std::string& topic) {
  using State = sinks::CompactedTopic::State;
  const auto checked = sink.ensure_compacted_topic(topic, std::chrono::seconds(15));
  switch (checked.state) {
    case State::compacted:
      spdlog::info("kafka: latest topic {} is compacted ({})", topic, checked.detail);
      break;
    case State::created:
      spdlog::info("kafka: latest topic {} created with {}", topic, checked.detail);
      break;
    case State::not_compacted:
      spdlog::error("kafka: latest topic {} is NOT compacted ({}): its readers will see every version and "
                    "retracted stories; set cleanup.policy=compact on it (kafka-configs --alter)",
                    topic, checked.detail);
      break;
    case State::unknown:
      spdlog::error("kafka: cannot check that latest topic {} is compacted: {}; if the broker creates it on first "
                    "use it will not be", topic, checked.detail);
      break;
  }
}

ConfiguredSink make_kafka_sink(boost::asio::io_context& io, const KafkaConfig& kafka, const ClusterConfig& cluster) {
  ConfiguredSink out;
  sinks::KafkaSinkConfig sink_config;
  sink_config.brokers = kafka.brokers;
  if (kafka.brokers == "embedded") {
    out.embedded = std::make_unique<sinks::EmbeddedBroker>();
    sink_config.brokers = out.embedded->bootstrap_servers();
    spdlog::warn("kafka: embedded broker at {} (in memory, lost on exit; not for production); "
                 "watch it with: kcat -b {} -t {} -C",
                 sink_config.brokers, sink_config.brokers, kafka.topic);
  }
  sink_config.compression = kafka.compression;
  sink_config.delivery_timeout = kafka.delivery_timeout;
  sink_config.properties = kafka.properties;
  sink_config.queue_capacity = sink_queue_capacity(kafka);
  if (cluster.enabled && cluster.exactly_once) {
    sink_config.client_id = "newsd-" + cluster.instance_id;
    // One transactional id per instance: a restart fences its predecessor's producer.
    sinks::TransactionalSinkConfig transactional{sink_config, "newsd-" + cluster.group + "-" + cluster.instance_id,
                                                 cluster.transaction_timeout};
    auto sink = std::make_unique<sinks::TransactionalSink>(io, transactional);
    if (!kafka.latest_topic.empty()) check_latest_topic(*sink, kafka.latest_topic);
    out.transactions = sink.get();
    out.sink = std::move(sink);
    return out;
  }
  auto sink = std::make_unique<sinks::KafkaSink>(io, sink_config);
  // (The embedded broker keeps everything and compacts nothing anyway.)
  if (!kafka.latest_topic.empty() && !out.embedded) check_latest_topic(*sink, kafka.latest_topic);
  out.sink = std::move(sink);
  return out;
}

ConfiguredSink make_json_lines_sink(boost::asio::io_context& io, const Config& config) {
  sinks::JsonLinesSinkConfig sink_config;
  sink_config.path = config.sink.path;
  sink_config.queue_capacity = sink_queue_capacity(config.kafka);
  auto sink = std::make_unique<sinks::JsonLinesSink>(io, sink_config);
  spdlog::info("sink: records as JSON lines to {} (no Kafka)", sink->destination());
  return {nullptr, std::move(sink)};
}

}  // namespace

ConfiguredSink make_sink(boost::asio::io_context& io, const Config& config) {
  switch (config.sink.kind) {
    case SinkKind::kafka:
      return make_kafka_sink(io, config.kafka, config.cluster);
    case SinkKind::jsonl:
      return make_json_lines_sink(io, config);
  }
  return make_kafka_sink(io, config.kafka, config.cluster);
}

}  // namespace newsd::daemon
