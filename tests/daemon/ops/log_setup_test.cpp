#include "daemon/ops/log_setup.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace {

TEST(LogSetup, ComponentIsTheMessagePrefix) {
  std::string_view source;
  EXPECT_EQ(log_component("source wafaamagazine: HTTP 500 (will retry)", &source), "source");
  EXPECT_EQ(source, "wafaamagazine");
  EXPECT_EQ(log_component("kafka: embedded broker at 127.0.0.1:1"), "kafka");
  EXPECT_EQ(log_component("kafka unreachable: all brokers down"), "kafka");
  EXPECT_EQ(log_component("config: reload rejected"), "config");
  EXPECT_EQ(log_component("SIGTERM received: stopping"), "newsd");
  EXPECT_EQ(log_component("kafkaesque: no"), "newsd");
  EXPECT_EQ(log_component(""), "newsd");
}

TEST(LogSetup, JsonLinesEscapeEverythingAndStayValidUtf8) {
  auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1621458761042));
  EXPECT_EQ(json_log_line(time, "warning", "source a: \"quoted\" \\ tab\t nl\n ctl\x01 ok"),
            "{\"time\":\"2021-05-19T21:12:41.042Z\",\"level\":\"warning\",\"component\":\"source\","
            "\"source\":\"a\",\"message\":\"source a: \\\"quoted\\\" \\\\ tab\\t nl\\n ctl\\u0001 "
            "ok\"}");
  // Arabic passes through; each byte of a lone continuation byte, a truncated
  // sequence or an overlong form becomes U+FFFD.
  const std::string r = "\xef\xbf\xbd";
  auto line = json_log_line(time, "info", "خبر \x80 \xe2\x82 \xc0\xaf end");
  EXPECT_NE(line.find("خبر " + r + " " + r + r + " " + r + r + " end"), std::string::npos) << line;
}

TEST(LogSetup, ComponentLevelsFilterAndRepeatedWarningsAreHeldBack) {
  LogConfig config;
  config.format = "json";
  config.level = "info";
  config.components["kafka"] = "error";
  config.components["source.noisy"] = "debug";
  configure_logging(config);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);  // the lowest level asked for

  auto written = [](std::string_view level, std::string_view component) {
    for (const auto& count : log_counts().written)
      if (count.level == level && count.component == component) return count.lines;
    return std::uint64_t{0};
  };
  auto suppressed = log_counts().suppressed;
  spdlog::warn("kafka: broker down");  // below kafka's level
  spdlog::debug("source noisy: details");
  spdlog::debug("source quiet: details");  // below the default level
  EXPECT_EQ(written("warning", "kafka"), 0u);
  EXPECT_EQ(written("debug", "source"), 1u);

  spdlog::warn("source flaky: HTTP 500 (will retry)");
  spdlog::warn("source flaky: HTTP 500 (will retry)");
  spdlog::warn("source flaky: HTTP 500 (will retry)");
  spdlog::warn("source flaky: HTTP 503 (will retry)");
  EXPECT_EQ(written("warning", "source"), 2u);
  EXPECT_EQ(log_counts().suppressed, suppressed + 2);
  // Configuration mistakes are an operator's doing: never held back.
  spdlog::error("config: f.toml:3:1: unknown key 'x'");
  spdlog::error("config: f.toml:3:1: unknown key 'x'");
  EXPECT_EQ(written("error", "config"), 2u);
}

}  // namespace
}  // namespace newsd::daemon
