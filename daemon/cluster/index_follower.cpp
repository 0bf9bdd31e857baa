#include "daemon/cluster/index_follower.hpp"

#include <array>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/asio/post.hpp>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "daemon/pipeline/source_checkpoint.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

void IndexFollower::HandleDeleter::operator()(rd_kafka_s* handle) const {
  rd_kafka_consumer_close(handle);
  rd_kafka_destroy(handle);
}

IndexFollower::IndexFollower(asio::io_context& io, const std::string& brokers,
                             const std::map<std::string, std::string>& properties, const std::string& instance_id,
                             const std::string& topic, int shards, bool read_committed,
                             std::function<void(std::vector<StateRecord>)> records)
    : io_(io), topic_(topic), shards_(shards), records_(std::move(records)) {
  // No group membership: the partitions are assigned by hand and nothing is committed.
  rd_kafka_conf_t* conf = state_consumer_conf(brokers, properties, "newsd-" + instance_id + "-index",
                                              "newsd-index-follower", read_committed, {});
  handle_.reset(new_state_consumer(conf, "cluster index follower"));
}

IndexFollower::~IndexFollower() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void IndexFollower::start() {
  rd_kafka_topic_partition_list_t* all = rd_kafka_topic_partition_list_new(shards_);
  for (int shard = 0; shard < shards_; ++shard)
    rd_kafka_topic_partition_list_add(all, topic_.c_str(), shard)->offset = RD_KAFKA_OFFSET_BEGINNING;
  auto error = rd_kafka_assign(handle_.get(), all);
  rd_kafka_topic_partition_list_destroy(all);
  if (error) throw std::runtime_error(std::string("cluster index follower: ") + rd_kafka_err2str(error));
  thread_ = std::thread([this] { run(); });
}

void IndexFollower::run() {
  std::vector<StateRecord> batch;
  std::set<int> at_end;
  auto hand_over = [&] {
    if (batch.empty()) return;
    asio::post(io_, [this, records = std::make_shared<std::vector<StateRecord>>(std::exchange(batch, {}))] {
      records_(std::move(*records));
    });
  };
  while (!stopping_) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(handle_.get(), batch.empty() ? 200 : 0);
    if (message == nullptr) {
      hand_over();
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(message->partition);
      if (!caught_up_ && static_cast<int>(at_end.size()) == shards_) {
        caught_up_ = true;
        spdlog::info("cluster: story index of all {} shards read", shards_);
      }
    } else if (message->err) {
      spdlog::warn("cluster: index follower: {}", rd_kafka_message_errstr(message));
    } else if (message->key != nullptr &&
               std::string_view(static_cast<const char*>(message->key), message->key_len).starts_with(kStoryStateKey)) {
      batch.push_back(state_record(*message));
      if (batch.size() >= 1000) hand_over();
    }
    rd_kafka_message_destroy(message);
  }
  hand_over();
}

}  // namespace newsd::daemon
