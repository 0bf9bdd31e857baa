// make_sink: [sink] chooses the sink; Kafka, with the embedded broker when
// asked for, stays the default.
#include "daemon/pipeline/sink_factory.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "sinks/jsonl/json_lines_sink.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/test_dir.hpp"

namespace newsd::daemon {
namespace {

TEST(SinkFactoryTest, JsonLinesWritesToTheConfiguredPathWithoutABroker) {
  auto dir = testing_support::fresh_test_dir("newsd-sink-factory-");
  std::filesystem::create_directories(dir);
  Config config;
  config.sink.kind = SinkKind::jsonl;
  config.sink.path = dir / "records.jsonl";
  boost::asio::io_context io;
  auto configured = make_sink(io, config);
  EXPECT_EQ(configured.embedded, nullptr);
  ASSERT_NE(dynamic_cast<sinks::JsonLinesSink*>(configured.sink.get()), nullptr);
  bool delivered = false;
  sinks::OutRecord record{"news.articles", "a1", "{}", {}};
  configured.sink->produce(record, [&](const sinks::DeliveryReport& r) { delivered = r.delivered; }, nullptr);
  ASSERT_TRUE(testing::run_until(io, [&] { return delivered; }));
  std::ifstream in(config.sink.path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), sinks::json_line(record));
  configured = {};
  std::filesystem::remove_all(dir);
}

TEST(SinkFactoryTest, KafkaIsTheDefaultAndEmbeddedBringsItsBroker) {
  Config config;
  ASSERT_EQ(config.sink.kind, SinkKind::kafka);
  ASSERT_EQ(config.kafka.brokers, "embedded");
  boost::asio::io_context io;
  auto configured = make_sink(io, config);
  EXPECT_NE(configured.embedded, nullptr);
  EXPECT_NE(dynamic_cast<sinks::KafkaSink*>(configured.sink.get()), nullptr);
}

TEST(SinkFactoryTest, AJsonLinesFileThatCannotBeOpenedFailsTheStart) {
  Config config;
  config.sink.kind = SinkKind::jsonl;
  config.sink.path = "/nonexistent-dir/records.jsonl";
  boost::asio::io_context io;
  EXPECT_THROW(make_sink(io, config), std::runtime_error);
}

}  // namespace
}  // namespace newsd::daemon
