#pragma once
// KafkaSink: produces records with librdkafka (idempotent producer, acks=all,
// compression) and reports each one done only from its delivery report.
// librdkafka signals new events on a pipe that the daemon's io_context
// watches, so delivery reports run on the event loop thread, never on a
// librdkafka thread. Owned by the daemon.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sinks/kafka/topic_admin.hpp"
#include "sinks/sink.hpp"

struct rd_kafka_s;
struct rd_kafka_queue_s;
struct rd_kafka_conf_s;

namespace newsd::sinks {

struct KafkaSinkConfig {
  std::string brokers;                              // bootstrap servers
  std::string compression = "zstd";                 // none | gzip | snappy | lz4 | zstd
  std::chrono::milliseconds delivery_timeout{0};   // 0 = retry until delivered
  std::size_t queue_capacity = 100'000;             // records librdkafka may hold
  std::string client_id = "newsd";
  std::map<std::string, std::string> properties;   // passed to librdkafka as given, last
};

// Why librdkafka refuses `key = value` as a producer setting; empty when it
// accepts it. Lets the config check find what KafkaSink would throw on.
std::string kafka_setting_error(const std::string& key, const std::string& value);

// librdkafka's default message.max.bytes, the producer's limit on one
// record (key, value and headers) when the operator does not set it.
inline constexpr std::size_t kKafkaDefaultMaxMessageBytes = 1'000'000;

// The producer's message.max.bytes: `properties`' value when the operator
// set a valid one, else librdkafka's default.
std::size_t kafka_max_message_bytes(const std::map<std::string, std::string>& properties);

// A duration as librdkafka's int milliseconds, saturated: 25 days must not
// wrap around to a negative ("no wait" or "forever") timeout.
int kafka_timeout_ms(std::chrono::milliseconds timeout);

// The producer configuration every newsd producer starts from: `config`,
// then `overrides`, then the operator's properties (which win). Throws
// std::runtime_error for a setting librdkafka refuses. Logs go to spdlog.
rd_kafka_conf_s* producer_conf(const KafkaSinkConfig& config, const std::map<std::string, std::string>& overrides);

// The broker refuses the record itself, not the moment (too large, invalid):
// producing it again would be refused again.
bool refused_for_good(int error);

class KafkaSink final : public Sink {
 public:
  // Throws std::runtime_error when librdkafka refuses the configuration: a
  // start-up mistake, reported before anything runs.
  KafkaSink(boost::asio::io_context& io, const KafkaSinkConfig& config);
  ~KafkaSink() override;
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  ProduceStatus produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) override;
  bool flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override { return outstanding_; }
  std::string unready_reason() const override;

  // Error names are librdkafka's.
  void observe_deliveries(DeliveryObserver observer) override { observer_ = std::move(observer); }
  // Client-wide errors reported so far (brokers down, transport, resolve...).
  std::uint64_t client_errors() const override { return client_errors_; }

  // Serves every pending event (delivery reports, errors). Runs on the event loop.
  void serve_events();

  // Makes sure `topic` is compacted (creates it so when it is missing);
  // blocks up to `timeout` per admin request: at start-up, before anything
  // is produced.
  CompactedTopic ensure_compacted_topic(const std::string& topic, std::chrono::milliseconds timeout);

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_s* handle) const;
  };
  struct QueueDeleter {
    void operator()(rd_kafka_queue_s* queue) const;
  };

  void watch_events();
  void poll_slowly();
  static void on_delivery_report(rd_kafka_s*, const void* message, void* opaque);
  static void on_error(rd_kafka_s*, int error, const char* reason, void* opaque);
  void on_statistics(std::string_view json);

  std::unique_ptr<rd_kafka_s, HandleDeleter> handle_;
  std::unique_ptr<rd_kafka_queue_s, QueueDeleter> main_queue_;
  boost::asio::posix::stream_descriptor event_pipe_;  // read end; librdkafka writes the other
  int event_pipe_write_ = -1;
  boost::asio::steady_timer fallback_poll_;
  std::size_t outstanding_ = 0;
  std::string broker_error_;  // last broker-wide error, cleared by a successful delivery
  bool closing_ = false;
  DeliveryObserver observer_;
  std::uint64_t client_errors_ = 0;
};

}  // namespace newsd::sinks
