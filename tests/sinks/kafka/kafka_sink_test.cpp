// KafkaSink against librdkafka's mock cluster: delivery reports on the event
// loop, exactly-once delivery through injected produce errors. (The real
// broker is exercised by the integration tests.)
#include "sinks/kafka/kafka_sink.hpp"

#include <array>
#include <map>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <limits>

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "sinks/kafka/embedded_broker.hpp"

namespace newsd::sinks {
namespace {

// Runs the io_context until `done` holds or the deadline passes.
template <typename Condition>
bool run_until(boost::asio::io_context& io, Condition done, std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < until) {
    io.run_for(std::chrono::milliseconds(20));
    io.restart();
  }
  return done();
}

// Every key → value in the topic, read with an independent librdkafka consumer.
std::multimap<std::string, std::string> read_topic(const std::string& brokers,
                                                   const std::string& topic,
                                                   std::size_t expected) {
  std::array<char, 256> error{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), error.data(), error.size());
  rd_kafka_conf_set(conf, "group.id", "kafka-sink-test", error.data(), error.size());
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error.data(), error.size());
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  std::multimap<std::string, std::string> out;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // Read past the expected count for a moment so that a duplicate shows.
  std::chrono::steady_clock::time_point quiet_until{};
  while (std::chrono::steady_clock::now() < until) {
    if (out.size() >= expected && quiet_until == std::chrono::steady_clock::time_point{})
      quiet_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    if (quiet_until != std::chrono::steady_clock::time_point{} &&
        std::chrono::steady_clock::now() > quiet_until)
      break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
    if (!m) continue;
    if (!m->err)
      out.emplace(std::string(static_cast<const char*>(m->key), m->key_len),
                  std::string(static_cast<const char*>(m->payload), m->len));
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return out;
}

TEST(KafkaSinkTest, EveryRecordIsAcknowledgedOnTheEventLoopAndReadable) {
  EmbeddedBroker broker;
  boost::asio::io_context io;
  KafkaSink sink(io, {.brokers = broker.bootstrap_servers()});
  std::set<std::string> delivered;
  std::thread::id loop_thread = std::this_thread::get_id();
  bool off_loop = false;
  for (int i = 0; i < 50; ++i) {
    std::string key = "k" + std::to_string(i);
    auto status = sink.produce(
        {"t1", key, "v" + std::to_string(i), {{"schema", "test"}}},
        [&, key](const DeliveryReport& report) {
          if (std::this_thread::get_id() != loop_thread) off_loop = true;
          if (report.delivered) delivered.insert(key);
        },
        nullptr);
    ASSERT_EQ(status, ProduceStatus::queued);
  }
  EXPECT_EQ(sink.outstanding(), 50u);
  ASSERT_TRUE(run_until(io, [&] { return delivered.size() == 50; }, std::chrono::seconds(30)));
  EXPECT_FALSE(off_loop);
  EXPECT_EQ(sink.outstanding(), 0u);
  auto records = read_topic(broker.bootstrap_servers(), "t1", 50);
  EXPECT_EQ(records.size(), 50u);
  EXPECT_EQ(records.find("k7")->second, "v7");
}

TEST(KafkaSinkTest, TransientProduceErrorsAreRetriedWithoutDuplicates) {
  EmbeddedBroker broker;
  // The next produce requests fail with retriable errors; the idempotent
  // producer must retry them and the topic must hold each record once.
  rd_kafka_mock_push_request_errors(broker.cluster(), 0 /* Produce */, 4,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                    RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                    RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                                    RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE);
  boost::asio::io_context io;
  KafkaSink sink(io, {.brokers = broker.bootstrap_servers()});
  int delivered = 0, failed = 0;
  for (int i = 0; i < 20; ++i) {
    sink.produce({"t2", "k" + std::to_string(i), "v", {}},
                 [&](const DeliveryReport& r) { r.delivered ? ++delivered : ++failed; }, nullptr);
  }
  ASSERT_TRUE(run_until(io, [&] { return delivered + failed == 20; }, std::chrono::seconds(60)));
  EXPECT_EQ(delivered, 20);
  EXPECT_EQ(failed, 0);
  auto records = read_topic(broker.bootstrap_servers(), "t2", 20);
  EXPECT_EQ(records.size(), 20u);
  std::set<std::string> keys;
  for (const auto& [k, v] : records) keys.insert(k);
  EXPECT_EQ(keys.size(), 20u);
}

TEST(KafkaSinkTest, UndeliverableRecordsAreReportedFailedNotDone) {
  EmbeddedBroker broker;
  rd_kafka_mock_broker_set_down(broker.cluster(), 1);
  boost::asio::io_context io;
  KafkaSink sink(io, {.brokers = broker.bootstrap_servers(),
                      .delivery_timeout = std::chrono::milliseconds(1500)});
  std::optional<DeliveryReport> report;
  sink.produce({"t3", "k", "v", {}}, [&](const DeliveryReport& r) { report = r; }, nullptr);
  ASSERT_TRUE(run_until(io, [&] { return report.has_value(); }, std::chrono::seconds(30)));
  EXPECT_FALSE(report->delivered);
  EXPECT_FALSE(report->error.empty());
}

TEST(KafkaSinkTest, LeaderChangesAndABrokerDownAndUpLoseNothing) {
  EmbeddedBroker broker(3);
  rd_kafka_mock_topic_create(broker.cluster(), "t4", 1, 3);
  rd_kafka_mock_partition_set_leader(broker.cluster(), "t4", 0, 1);
  boost::asio::io_context io;
  KafkaSink sink(io, {.brokers = broker.bootstrap_servers()});
  std::set<std::string> delivered;
  int failed = 0;
  auto produce = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      std::string key = "k" + std::to_string(i);
      sink.produce({"t4", key, "v", {}},
                   [&, key](const DeliveryReport& r) { r.delivered ? (void)delivered.insert(key) : (void)++failed; },
                   nullptr);
    }
  };
  produce(0, 30);
  ASSERT_TRUE(run_until(io, [&] { return delivered.size() == 30; }, std::chrono::seconds(30)));
  // The leader moves, then its broker goes down for a while with records in
  // flight, then comes back: everything is delivered, nothing fails.
  rd_kafka_mock_partition_set_leader(broker.cluster(), "t4", 0, 2);
  produce(30, 60);
  rd_kafka_mock_broker_set_down(broker.cluster(), 2);
  // Slow round trips on another broker, like request timeouts under load.
  rd_kafka_mock_broker_set_rtt(broker.cluster(), 3, 300);
  run_until(io, [] { return false; }, std::chrono::seconds(2));
  rd_kafka_mock_broker_set_up(broker.cluster(), 2);
  ASSERT_TRUE(run_until(io, [&] { return delivered.size() == 60; }, std::chrono::seconds(60)));
  EXPECT_EQ(failed, 0);
  auto records = read_topic(broker.bootstrap_servers(), "t4", 60);
  EXPECT_EQ(records.size(), 60u);
}

TEST(KafkaSinkTest, ABadSettingIsAStartUpError) {
  boost::asio::io_context io;
  EXPECT_THROW(KafkaSink(io, {.brokers = "127.0.0.1:1", .properties = {{"no.such.setting", "1"}}}),
               std::runtime_error);
  EXPECT_THROW(KafkaSink(io, {.brokers = "127.0.0.1:1", .compression = "brotli"}),
               std::runtime_error);
}

}  // namespace
}  // namespace newsd::sinks

namespace newsd::sinks {
namespace {

// A flush_timeout of 25 days once became a negative int for librdkafka.
TEST(KafkaTimeoutTest, LongDurationsSaturateInsteadOfWrappingNegative) {
  using namespace std::chrono_literals;
  EXPECT_EQ(kafka_timeout_ms(10s), 10'000);
  EXPECT_EQ(kafka_timeout_ms(std::chrono::days(25)), std::numeric_limits<int>::max());
  EXPECT_EQ(kafka_timeout_ms(std::chrono::milliseconds::max()), std::numeric_limits<int>::max());
  EXPECT_EQ(kafka_timeout_ms(-5ms), 0);
}

TEST(KafkaSettingTest, SaysWhyLibrdkafkaRefusesASetting) {
  EXPECT_EQ(kafka_setting_error("linger.ms", "5"), "");
  EXPECT_NE(kafka_setting_error("no.such.setting", "1"), "");
  EXPECT_NE(kafka_setting_error("linger.ms", "soon"), "");
}

}  // namespace
}  // namespace newsd::sinks
