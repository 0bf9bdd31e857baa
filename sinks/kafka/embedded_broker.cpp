#include "sinks/kafka/embedded_broker.hpp"

#include <array>
#include <stdexcept>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace newsd::sinks {

void EmbeddedBroker::HandleDeleter::operator()(rd_kafka_s* handle) const {
  rd_kafka_destroy(handle);
}

EmbeddedBroker::EmbeddedBroker(int broker_count) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, 256> error{};
  // The host handle never connects anywhere; it only carries the cluster.
  rd_kafka_conf_set(conf, "bootstrap.servers", "", error.data(), error.size());
  rd_kafka_conf_set(conf, "log_level", "3", error.data(), error.size());
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("embedded broker: ") + error.data());
  }
  handle_.reset(handle);
  cluster_ = rd_kafka_mock_cluster_new(handle, broker_count);
  if (!cluster_) throw std::runtime_error("embedded broker: the mock cluster did not start");
  bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
}

}  // namespace newsd::sinks
