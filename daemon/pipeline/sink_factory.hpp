#pragma once
// make_sink: the one place that turns the config's [sink] (and [kafka],
// [cluster]) into the Sink the outbox produces to: a KafkaSink, with the
// embedded broker when brokers = "embedded"; a TransactionalSink for a
// cluster with exactly_once; or a JsonLinesSink. The daemon owns the result.
#include <memory>

#include <boost/asio/io_context.hpp>

#include "daemon/config/config.hpp"
#include "sinks/kafka/embedded_broker.hpp"
#include "sinks/kafka/transactional_sink.hpp"
#include "sinks/sink.hpp"

namespace newsd::daemon {

struct ConfiguredSink {
  std::unique_ptr<sinks::EmbeddedBroker> embedded;  // only for kafka.brokers = "embedded"; outlives `sink`
  std::unique_ptr<sinks::Sink> sink;
  sinks::TransactionalSink* transactions = nullptr;  // `sink`, when it is one
};

// Throws std::runtime_error when the sink cannot start (librdkafka refuses a
// setting, the JSON lines file cannot be opened): a start-up failure.
ConfiguredSink make_sink(boost::asio::io_context& io, const Config& config);

}  // namespace newsd::daemon
