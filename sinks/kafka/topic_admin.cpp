#include "sinks/kafka/topic_admin.hpp"

#include <memory>
#include <string_view>

#include <librdkafka/rdkafka.h>

namespace newsd::sinks {

namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const { rd_kafka_AdminOptions_destroy(options); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
using Options = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

Options admin_options(rd_kafka_t* client, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  Options options(rd_kafka_AdminOptions_new(client, op));
  char error[256];
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), error, sizeof error);
  return options;
}

// The answer to the request just sent to `queue`, or null after `timeout`.
Event answer(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout) {
  // Some slack over the request's own timeout, which answers first.
  return Event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 1000));
}

// cleanup.policy of an existing topic, or the error of the lookup.
struct Described {
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;
  std::string policy;
};

Described describe(rd_kafka_t* client, const std::string& topic, std::chrono::milliseconds timeout) {
  Described out;
  Queue queue(rd_kafka_queue_new(client));
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  auto options = admin_options(client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  rd_kafka_DescribeConfigs(client, &resource, 1, options.get(), queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  Event event = answer(queue.get(), timeout);
  if (!event) return {RD_KAFKA_RESP_ERR__TIMED_OUT, "no answer from the brokers", {}};
  if (rd_kafka_event_error(event.get()))
    return {rd_kafka_event_error(event.get()), rd_kafka_event_error_string(event.get()), {}};
  std::size_t count = 0;
  const auto* result = rd_kafka_event_DescribeConfigs_result(event.get());
  const auto** resources = result ? rd_kafka_DescribeConfigs_result_resources(result, &count) : nullptr;
  if (count == 0) return {RD_KAFKA_RESP_ERR__BAD_MSG, "an empty answer", {}};
  if (auto error = rd_kafka_ConfigResource_error(resources[0]))
    return {error, rd_kafka_ConfigResource_error_string(resources[0]) ? rd_kafka_ConfigResource_error_string(resources[0])
                                                                      : rd_kafka_err2str(error), {}};
  std::size_t entries = 0;
  const auto** configs = rd_kafka_ConfigResource_configs(resources[0], &entries);
  for (std::size_t i = 0; i < entries; ++i) {
    if (std::string_view(rd_kafka_ConfigEntry_name(configs[i])) == "cleanup.policy") {
      const char* value = rd_kafka_ConfigEntry_value(configs[i]);
      out.policy = value ? value : "";
    }
  }
  return out;
}

// Creates the topic compacted; empty, or the error.
std::string create_compacted(rd_kafka_t* client, const std::string& topic, std::chrono::milliseconds timeout,
                             int partitions) {
  char error[512];
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, error, sizeof error);
  if (!new_topic) return error;
  rd_kafka_NewTopic_set_config(new_topic, "cleanup.policy", "compact");
  Queue queue(rd_kafka_queue_new(client));
  auto options = admin_options(client, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_CreateTopics(client, &new_topic, 1, options.get(), queue.get());
  rd_kafka_NewTopic_destroy(new_topic);
  Event event = answer(queue.get(), timeout);
  if (!event) return "no answer from the brokers";
  if (rd_kafka_event_error(event.get())) return rd_kafka_event_error_string(event.get());
  std::size_t count = 0;
  const auto* result = rd_kafka_event_CreateTopics_result(event.get());
  const auto** topics = result ? rd_kafka_CreateTopics_result_topics(result, &count) : nullptr;
  if (count == 0) return "an empty answer";
  if (auto code = rd_kafka_topic_result_error(topics[0]); code != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* message = rd_kafka_topic_result_error_string(topics[0]);
    return message ? message : rd_kafka_err2str(code);
  }
  return {};
}

}  // namespace

CompactedTopic ensure_compacted_topic(rd_kafka_s* client, const std::string& topic, std::chrono::milliseconds timeout,
                                      int partitions) {
  auto described = describe(client, topic, timeout);
  if (described.error == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    auto error = create_compacted(client, topic, timeout, partitions);
    if (error.empty()) return {CompactedTopic::State::created, "cleanup.policy=compact"};
    // Another newsd (or the broker's auto-creation) may have been quicker.
    described = describe(client, topic, timeout);
    if (described.error != RD_KAFKA_RESP_ERR_NO_ERROR) return {CompactedTopic::State::unknown, "cannot create it: " + error};
  }
  if (described.error != RD_KAFKA_RESP_ERR_NO_ERROR) return {CompactedTopic::State::unknown, described.message};
  if (described.policy.find("compact") != std::string::npos)
    return {CompactedTopic::State::compacted, "cleanup.policy=" + described.policy};
  return {CompactedTopic::State::not_compacted, "cleanup.policy=" + described.policy};
}

std::optional<int> partition_count(rd_kafka_s* client, const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  if (!handle) return std::nullopt;
  const rd_kafka_metadata_t* metadata = nullptr;
  auto error = rd_kafka_metadata(client, 0, handle, &metadata, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(handle);
  if (error != RD_KAFKA_RESP_ERR_NO_ERROR || metadata == nullptr) return std::nullopt;
  std::optional<int> count;
  if (metadata->topic_cnt == 1) {
    const auto& found = metadata->topics[0];
    if (found.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) count = -1;
    else if (found.err == RD_KAFKA_RESP_ERR_NO_ERROR) count = found.partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);
  return count;
}

}  // namespace newsd::sinks
