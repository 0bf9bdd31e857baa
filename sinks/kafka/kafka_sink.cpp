#include "sinks/kafka/kafka_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace newsd::sinks {
namespace {

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  std::array<char, 512> error{};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) !=
      RD_KAFKA_CONF_OK)
    throw std::runtime_error("kafka setting " + key + "=" + value + ": " + error.data());
}

// librdkafka logs from its own threads; spdlog is thread-safe.
void log_to_spdlog(const rd_kafka_t*, int level, const char* facility, const char* message) {
  auto spd = level <= 3 ? spdlog::level::err : level <= 4 ? spdlog::level::warn
           : level <= 6 ? spdlog::level::info : spdlog::level::debug;
  spdlog::log(spd, "kafka {}: {}", facility, message);
}

}  // namespace

std::string kafka_setting_error(const std::string& key, const std::string& value) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 512> error{};
  bool ok = rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) ==
            RD_KAFKA_CONF_OK;
  rd_kafka_conf_destroy(conf);
  return ok ? std::string() : std::string(error.data());
}

std::size_t kafka_max_message_bytes(const std::map<std::string, std::string>& properties) {
  auto it = properties.find("message.max.bytes");
  if (it == properties.end()) return kKafkaDefaultMaxMessageBytes;
  // librdkafka itself refuses a malformed or out-of-range value at start-up.
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || value == 0)
    return kKafkaDefaultMaxMessageBytes;
  return value;
}

rd_kafka_conf_s* producer_conf(const KafkaSinkConfig& config,
                               const std::map<std::string, std::string>& overrides) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  try {
    set(conf, "bootstrap.servers", config.brokers);
    set(conf, "client.id", config.client_id);
    set(conf, "enable.idempotence", "true");
    set(conf, "acks", "all");
    set(conf, "compression.codec", config.compression);
    set(conf, "message.timeout.ms", std::to_string(kafka_timeout_ms(config.delivery_timeout)));
    set(conf, "linger.ms", "5");
    set(conf, "queue.buffering.max.messages", std::to_string(config.queue_capacity));
    set(conf, "queue.buffering.max.kbytes", "1048576");
    // Broker states every few seconds, for readiness (see on_statistics).
    set(conf, "statistics.interval.ms", "2000");
    for (const auto& [key, value] : overrides) set(conf, key, value);
    for (const auto& [key, value] : config.properties) set(conf, key, value);
  } catch (...) {
    rd_kafka_conf_destroy(conf);
    throw;
  }
  rd_kafka_conf_set_log_cb(conf, log_to_spdlog);
  return conf;
}

bool refused_for_good(int error) {
  auto code = static_cast<rd_kafka_resp_err_t>(error);
  return code == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || code == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE ||
         code == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

int kafka_timeout_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
      timeout.count(), 0, std::numeric_limits<int>::max()));
}

void KafkaSink::HandleDeleter::operator()(rd_kafka_s* handle) const { rd_kafka_destroy(handle); }
void KafkaSink::QueueDeleter::operator()(rd_kafka_queue_s* queue) const {
  rd_kafka_queue_destroy(queue);
}

KafkaSink::KafkaSink(boost::asio::io_context& io, const KafkaSinkConfig& config)
    : event_pipe_(io), fallback_poll_(io) {
  rd_kafka_conf_t* conf = producer_conf(config, {});
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t* rk, const rd_kafka_message_t* m, void* o) {
    on_delivery_report(rk, m, o);
  });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t* rk, int err, const char* reason, void* o) {
    on_error(rk, err, reason, o);
  });
  rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t size, void* o) {
    static_cast<KafkaSink*>(o)->on_statistics(std::string_view(json, size));
    return 0;  // librdkafka frees the JSON
  });

  std::array<char, 512> error{};
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka producer: ") + error.data());
  }
  handle_.reset(handle);  // owns conf from here on
  main_queue_.reset(rd_kafka_queue_get_main(handle));

  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  event_pipe_.assign(fds[0]);
  event_pipe_write_ = fds[1];
  static const char kWake = 'k';
  rd_kafka_queue_io_event_enable(main_queue_.get(), event_pipe_write_, &kWake, 1);
  watch_events();
  poll_slowly();
}

KafkaSink::~KafkaSink() {
  closing_ = true;
  boost::system::error_code ignored;
  fallback_poll_.cancel();
  event_pipe_.cancel(ignored);
  if (main_queue_) rd_kafka_queue_io_event_enable(main_queue_.get(), -1, nullptr, 0);
  main_queue_.reset();
  // Records still outstanding are simply not reported done: they stay
  // unpublished and are produced again on the next run.
  handle_.reset();
  event_pipe_.close(ignored);
  if (event_pipe_write_ >= 0) ::close(event_pipe_write_);
}

void KafkaSink::watch_events() {
  event_pipe_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                         [this](boost::system::error_code ec) {
                           if (ec || closing_) return;
                           std::array<char, 256> drain;
                           while (::read(event_pipe_.native_handle(), drain.data(), drain.size()) > 0) {
                           }
                           serve_events();
                           watch_events();
                         });
}

void KafkaSink::poll_slowly() {
  // The pipe only signals an empty queue becoming non-empty; a slow poll
  // guards against an edge lost in between.
  fallback_poll_.expires_after(std::chrono::seconds(1));
  fallback_poll_.async_wait([this](boost::system::error_code ec) {
    if (ec || closing_) return;
    serve_events();
    poll_slowly();
  });
}

CompactedTopic KafkaSink::ensure_compacted_topic(const std::string& topic, std::chrono::milliseconds timeout) {
  return sinks::ensure_compacted_topic(handle_.get(), topic, timeout);
}

void KafkaSink::serve_events() {
  while (rd_kafka_poll(handle_.get(), 0) > 0) {
  }
}

ProduceStatus KafkaSink::produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) {
  rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size());
  for (const auto& [name, value] : record.headers)
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  auto handler = std::make_unique<DeliveryHandler>(std::move(on_delivery));
  rd_kafka_resp_err_t err = rd_kafka_producev(
      handle_.get(), RD_KAFKA_V_TOPIC(record.topic.c_str()), RD_KAFKA_V_PARTITION(record.partition),
      RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
      RD_KAFKA_V_VALUE(record.null_value ? nullptr : record.value.data(), record.value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(handler.get()), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // ownership passes to librdkafka only on success
    if (why) *why = rd_kafka_err2str(err);
    return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? ProduceStatus::queue_full
                                                : ProduceStatus::rejected;
  }
  handler.release();  // owned by the message until its delivery report
  ++outstanding_;
  return ProduceStatus::queued;
}

void KafkaSink::on_delivery_report(rd_kafka_s*, const void* raw, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  const auto* message = static_cast<const rd_kafka_message_t*>(raw);
  std::unique_ptr<DeliveryHandler> handler(static_cast<DeliveryHandler*>(message->_private));
  --self->outstanding_;
  if (self->observer_)
    self->observer_(std::chrono::microseconds(std::max<std::int64_t>(rd_kafka_message_latency(message), 0)),
                    message->err ? rd_kafka_err2name(message->err) : "");
  DeliveryReport report;
  report.delivered = message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (report.delivered)
    self->broker_error_.clear();
  else
    report.error = rd_kafka_err2str(message->err);
  // The broker refuses the record itself, not the moment: producing it again
  // would be refused again.
  report.permanent = refused_for_good(message->err);
  if (!handler || !*handler) return;
  // No exception may cross back into librdkafka.
  try {
    (*handler)(report);
  } catch (const std::exception& e) {
    spdlog::error("delivery handler threw: {}", e.what());
  }
}

void KafkaSink::on_error(rd_kafka_s*, int error, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSink*>(opaque);
  ++self->client_errors_;
  auto code = static_cast<rd_kafka_resp_err_t>(error);
  if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || code == RD_KAFKA_RESP_ERR__TRANSPORT ||
      code == RD_KAFKA_RESP_ERR__RESOLVE || code == RD_KAFKA_RESP_ERR__FATAL) {
    if (self->broker_error_.empty()) spdlog::warn("kafka unreachable: {}", reason);
    self->broker_error_ = reason;
  }
}

void KafkaSink::on_statistics(std::string_view json) {
  // Readiness follows the brokers' connection states that librdkafka reports:
  // ready while at least one real broker connection is UP.
  boost::system::error_code ec;
  auto stats = boost::json::parse(json, ec);
  if (ec || !stats.is_object()) return;
  const auto* brokers = stats.as_object().if_contains("brokers");
  if (!brokers || !brokers->is_object()) return;
  int up = 0, known = 0;
  for (const auto& [name, broker] : brokers->as_object()) {
    if (!broker.is_object()) continue;
    const auto* source = broker.as_object().if_contains("source");
    if (source && source->is_string() && (source->as_string() == "internal" || source->as_string() == "logical"))
      continue;
    ++known;
    const auto* state = broker.as_object().if_contains("state");
    if (state && state->is_string() && state->as_string() == "UP") ++up;
  }
  if (up > 0) {
    if (!broker_error_.empty()) spdlog::info("kafka reachable again");
    broker_error_.clear();
  } else if (known > 0 && broker_error_.empty()) {
    broker_error_ = "no broker connection is up";
    spdlog::warn("kafka unreachable: {}", broker_error_);
  }
}

std::string KafkaSink::unready_reason() const { return broker_error_; }

bool KafkaSink::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(handle_.get(), kafka_timeout_ms(timeout));
  serve_events();
  return outstanding_ == 0;
}

}  // namespace newsd::sinks
