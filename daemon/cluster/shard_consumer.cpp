#include "daemon/cluster/shard_consumer.hpp"

#include <array>
#include <future>
#include <stdexcept>
#include <utility>

#include <boost/asio/post.hpp>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/kafka/topic_admin.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;
namespace {

std::vector<int> partitions_of(const rd_kafka_topic_partition_list_t* list) {
  std::vector<int> out;
  for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].partition);
  return out;
}


}  // namespace

void ShardConsumer::HandleDeleter::operator()(rd_kafka_s* handle) const { rd_kafka_destroy(handle); }

ShardConsumer::ShardConsumer(asio::io_context& io, ShardConsumerConfig config, Handlers handlers)
    : io_(io), config_(std::move(config)), handlers_(std::move(handlers)) {
  handle_.reset(make_handle());
}

rd_kafka_s* ShardConsumer::make_handle() {
  rd_kafka_conf_t* conf = state_consumer_conf(
      config_.brokers, config_.properties, "newsd-" + config_.instance_id, config_.group, config_.read_committed,
      {{"group.instance.id", config_.instance_id},
       {"partition.assignment.strategy", "cooperative-sticky"},
       {"session.timeout.ms", std::to_string(config_.session_timeout.count())},
       {"heartbeat.interval.ms", std::to_string(std::max<long>(500, config_.session_timeout.count() / 5))}});
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, [](rd_kafka_t*, rd_kafka_resp_err_t error,
                                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<ShardConsumer*>(opaque)->rebalance(error, partitions);
  });
  return new_state_consumer(conf, "cluster consumer");
}

void ShardConsumer::subscribe() {
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, config_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  auto error = rd_kafka_subscribe(handle_.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (error) throw std::runtime_error(std::string("cluster: cannot join the group: ") + rd_kafka_err2str(error));
}

void ShardConsumer::join_again(const std::string& why) {
  spdlog::error("cluster: the group consumer failed for good ({}); letting go of its shards and joining again", why);
  flush_records();
  std::vector<int> held;
  for (const auto& [shard, progress] : progress_) held.push_back(shard);
  if (!held.empty()) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    asio::post(io_, [this, held, done] { handlers_.revoked(held, true, [done] { done->set_value(); }); });
    finished.wait();
  }
  progress_.clear();
  std::unique_ptr<rd_kafka_s, HandleDeleter> failed;
  {
    std::lock_guard lock(handle_mutex_);
    failed = std::exchange(handle_, std::unique_ptr<rd_kafka_s, HandleDeleter>(make_handle()));
  }
  rd_kafka_destroy_flags(failed.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  try {
    subscribe();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
}

ShardConsumer::~ShardConsumer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void ShardConsumer::start() {
  auto checked = sinks::ensure_compacted_topic(handle_.get(), config_.topic, std::chrono::seconds(15), config_.shards);
  if (checked.state == sinks::CompactedTopic::State::not_compacted)
    spdlog::error("cluster: state topic {} is NOT compacted ({}): it grows forever and restores slow down; "
                  "set cleanup.policy=compact on it", config_.topic, checked.detail);
  else if (checked.state == sinks::CompactedTopic::State::unknown)
    spdlog::warn("cluster: could not check state topic {}: {}", config_.topic, checked.detail);
  else if (checked.state == sinks::CompactedTopic::State::created)
    spdlog::info("cluster: created state topic {} with {} partitions, compacted", config_.topic, config_.shards);
  auto count = sinks::partition_count(handle_.get(), config_.topic, std::chrono::seconds(15));
  if (count && *count > 0 && *count != config_.shards)
    throw std::runtime_error("cluster: state topic " + config_.topic + " has " + std::to_string(*count) +
                             " partitions but [cluster] shards = " + std::to_string(config_.shards) +
                             "; every instance must use the topic's count (changing it needs a new group, "
                             "see the README)");
  subscribe();
  spdlog::info("cluster: joining group {} as {} ({} shards)", config_.group, config_.instance_id, config_.shards);
  thread_ = std::thread([this] { run(); });
}

void ShardConsumer::stop(std::function<void()> closed) {
  closed_ = std::move(closed);
  stopping_ = true;
}

void ShardConsumer::run() {
  auto members_asked = std::chrono::steady_clock::time_point{};
  while (!stopping_) {
    ask_targets();
    if (auto now = std::chrono::steady_clock::now(); now - members_asked > std::chrono::seconds(10)) {
      members_asked = now;
      refresh_members(std::chrono::seconds(2));
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(handle_.get(), batch_.empty() ? 200 : 0);
    if (message == nullptr) {
      flush_records();
      continue;
    }
    const int partition = message->partition;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      flush_records();
      if (auto it = progress_.find(partition); it != progress_.end()) {
        it->second.at_end = true;
        it->second.read_to = std::max(it->second.read_to, message->offset);
        check_restored(partition);
      }
    } else if (message->err == RD_KAFKA_RESP_ERR__FATAL) {
      // Seen after a broker restart: "static consumer fenced by other
      // consumer with same group.instance.id". A new consumer joins again.
      std::array<char, 512> reason{};
      rd_kafka_fatal_error(handle_.get(), reason.data(), reason.size());
      rd_kafka_message_destroy(message);
      join_again(reason.data());
      continue;
    } else if (message->err) {
      spdlog::warn("cluster: state topic: {}", rd_kafka_message_errstr(message));
    } else {
      batch_.push_back(state_record(*message));
      if (auto it = progress_.find(partition); it != progress_.end()) {
        it->second.read_to = message->offset + 1;
        check_restored(partition);
      }
      if (batch_.size() >= 1000) flush_records();
    }
    rd_kafka_message_destroy(message);
  }
  flush_records();
  // Leaving the group revokes every shard through rebalance(), which waits
  // for the event loop.
  rd_kafka_consumer_close(handle_.get());
  spdlog::info("cluster: left group {}", config_.group);
  if (closed_) asio::post(io_, std::move(closed_));
}

void ShardConsumer::flush_records() {
  if (batch_.empty()) return;
  asio::post(io_, [this, batch = std::make_shared<std::vector<StateRecord>>(std::exchange(batch_, {}))] {
    handlers_.records(std::move(*batch));
  });
}

void ShardConsumer::rebalance(int error, rd_kafka_topic_partition_list_t* partitions) {
  flush_records();  // what was read of a revoked shard is applied before it goes
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(handle_.get())) == "COOPERATIVE";
  auto shards = partitions_of(partitions);
  ++rebalances_;
  if (error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    // Every shard is read from its start: the compacted state of its sources and stories.
    for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t* failed = nullptr;
    if (cooperative)
      failed = rd_kafka_incremental_assign(handle_.get(), partitions);
    else if (auto code = rd_kafka_assign(handle_.get(), partitions))
      spdlog::error("cluster: assign: {}", rd_kafka_err2str(code));
    if (failed) {
      spdlog::error("cluster: assign: {}", rd_kafka_error_string(failed));
      rd_kafka_error_destroy(failed);
    }
    for (int shard : shards) progress_[shard] = Progress{};
    spdlog::info("cluster: assigned shards {}", shard_list(shards));
    asio::post(io_, [this, shards] { handlers_.assigned(shards); });
    return;
  }
  const bool lost = rd_kafka_assignment_lost(handle_.get());
  spdlog::info("cluster: shards {} {}", shard_list(shards), lost ? "lost (session expired)" : "revoked");
  if (!shards.empty()) {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    asio::post(io_, [this, shards, lost, done] {
      handlers_.revoked(shards, lost, [done] { done->set_value(); });
    });
    finished.wait();
  }
  for (int shard : shards) progress_.erase(shard);
  rd_kafka_error_t* failed = nullptr;
  if (cooperative)
    failed = rd_kafka_incremental_unassign(handle_.get(), partitions);
  else
    rd_kafka_assign(handle_.get(), nullptr);
  if (failed) {
    spdlog::error("cluster: unassign: {}", rd_kafka_error_string(failed));
    rd_kafka_error_destroy(failed);
  }
}

void ShardConsumer::ask_targets() {
  std::vector<int> asking;
  for (const auto& [shard, progress] : progress_)
    if (progress.target < 0) asking.push_back(shard);
  if (asking.empty()) return;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(asking.size()));
  for (int shard : asking) rd_kafka_topic_partition_list_add(list, config_.topic.c_str(), shard);
  // With read_committed, librdkafka asks for stable offsets: the broker
  // answers once a transaction of the shard's previous owner that commits
  // offsets ended (committed, or aborted at its timeout).
  auto error = rd_kafka_committed(handle_.get(), list, 10'000);
  if (error) {
    spdlog::warn("cluster: committed offsets of shards {}: {} (asking again)", shard_list(asking),
                 rd_kafka_err2str(error));
  } else {
    for (int i = 0; i < list->cnt; ++i) {
      const auto& elem = list->elems[i];
      auto it = progress_.find(elem.partition);
      if (it == progress_.end()) continue;
      if (elem.err) {
        spdlog::warn("cluster: committed offset of shard {}: {}", elem.partition, rd_kafka_err2str(elem.err));
        continue;
      }
      it->second.target = std::max<std::int64_t>(elem.offset, 0);
      check_restored(elem.partition);
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
}

void ShardConsumer::check_restored(int partition) {
  auto it = progress_.find(partition);
  if (it == progress_.end()) return;
  auto& p = it->second;
  if (p.restored || p.target < 0 || !p.at_end || p.read_to < p.target) return;
  p.restored = true;
  flush_records();  // the shard's records reach the loop before it counts as restored
  asio::post(io_, [this, partition, offset = p.target] { handlers_.restored(partition, offset); });
}

std::shared_ptr<rd_kafka_consumer_group_metadata_s> ShardConsumer::group_metadata() const {
  std::lock_guard lock(handle_mutex_);
  return {rd_kafka_consumer_group_metadata(handle_.get()), rd_kafka_consumer_group_metadata_destroy};
}

std::vector<GroupMember> ShardConsumer::members() const {
  std::lock_guard lock(members_mutex_);
  return members_;
}

void ShardConsumer::refresh_members(std::chrono::milliseconds timeout) {
  std::vector<GroupMember> out;
  const rd_kafka_group_list* groups = nullptr;
  if (rd_kafka_list_groups(handle_.get(), config_.group.c_str(), &groups, sinks::kafka_timeout_ms(timeout)) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      groups == nullptr)
    return;
  for (int g = 0; g < groups->group_cnt; ++g) {
    const auto& group = groups->groups[g];
    for (int m = 0; m < group.member_cnt; ++m)
      out.push_back({group.members[m].member_id ? group.members[m].member_id : "",
                     group.members[m].client_id ? group.members[m].client_id : "",
                     group.members[m].client_host ? group.members[m].client_host : ""});
  }
  rd_kafka_group_list_destroy(groups);
  std::lock_guard lock(members_mutex_);
  members_ = std::move(out);
}

}  // namespace newsd::daemon
