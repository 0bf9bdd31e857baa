#include "daemon/pipeline/sink_factory.hpp"

#include <spdlog/spdlog.h>

#include "sinks/jsonl/json_lines_sink.hpp"
#include "sinks/kafka/kafka_sink.hpp"

namespace newsd::daemon {
namespace {

// The producer may hold the whole outbox and then some: backpressure is the
// outbox's job, not the producer's queue's.
std::size_t sink_queue_capacity(const KafkaConfig& kafka) { return kafka.outbox_capacity + 1000; }

ConfiguredSink make_kafka_sink(boost::asio::io_context& io, const KafkaConfig& kafka) {
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
  out.sink = std::make_unique<sinks::KafkaSink>(io, sink_config);
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
      return make_kafka_sink(io, config.kafka);
    case SinkKind::jsonl:
      return make_json_lines_sink(io, config);
  }
  return make_kafka_sink(io, config.kafka);
}

}  // namespace newsd::daemon
