#pragma once
// EmbeddedBroker: an in-process Kafka-protocol broker (librdkafka's mock
// cluster) for the quick start and for fault-injection tests. It listens on
// 127.0.0.1, keeps everything in memory and loses it all on exit: not for
// production. Owned by whoever needs it; must outlive its clients.
#include <memory>
#include <string>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace newsd::sinks {

class EmbeddedBroker {
 public:
  // Throws std::runtime_error if librdkafka cannot start the cluster.
  explicit EmbeddedBroker(int broker_count = 1);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:PORT[,...]": what clients use as bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }

  // For fault injection in tests.
  rd_kafka_mock_cluster_s* cluster() const { return cluster_; }

 private:
  struct HandleDeleter {
    void operator()(rd_kafka_s* handle) const;
  };
  std::unique_ptr<rd_kafka_s, HandleDeleter> handle_;  // the mock cluster lives inside it
  rd_kafka_mock_cluster_s* cluster_ = nullptr;         // destroyed before handle_
  std::string bootstrap_;
};

}  // namespace newsd::sinks
