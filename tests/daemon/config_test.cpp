#include "daemon/config.hpp"

#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

using namespace std::chrono_literals;

ConfigLoad parse(std::string_view text) { return parse_config(text, "t.toml", "/etc/newsd"); }

std::string all_errors(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += e.to_string() + "\n";
  return out;
}

TEST(ConfigTest, AcceptsTheDesignCoreWithDefaults) {
  auto load = parse(R"toml(state_dir = "/var/lib/newsd"
[http]
listen = "127.0.0.1:9464"
[kafka]
brokers = "embedded"
topic = "news.articles"
[fetch]
user_agent = "newsd/1.0 (+https://example.org/newsd)"
allow_private_networks = false
[[sources]]
id = "wafaamagazine"
kind = "feed"
url = "https://wafaamagazine.com/feed"
interval = "60s"
fetch_articles = true
template = "wafaamagazine"
)toml");
  ASSERT_TRUE(load.config) << all_errors(load);
  const auto& c = *load.config;
  EXPECT_EQ(c.state_dir, "/var/lib/newsd");
  EXPECT_EQ(c.kafka.brokers, "embedded");
  EXPECT_EQ(c.kafka.compression, "zstd");
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].id, "wafaamagazine");
  EXPECT_EQ(c.sources[0].interval, 60s);
  EXPECT_TRUE(c.sources[0].fetch_articles);
  EXPECT_EQ(c.sources[0].template_name, "wafaamagazine");
  EXPECT_EQ(c.sources[0].line, 10);
}

TEST(ConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  auto load = parse(R"toml(state_dir = "state"
[[sources]]
id = "s"
url = "file:samples/feed.xml"
)toml");
  ASSERT_TRUE(load.config) << all_errors(load);
  EXPECT_EQ(load.config->state_dir, "/etc/newsd/state");
  EXPECT_EQ(load.config->sources[0].url, "file:///etc/newsd/samples/feed.xml");
}

TEST(ConfigTest, ReportsEveryMistakeWithItsLine) {
  auto load = parse(R"toml([kafka]
compression = "brotli"
extra = 1
[[sources]]
id = "bad id"
url = "https://x.org/feed"
interval = "0s"
)toml");
  EXPECT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 4u) << all_errors(load);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_NE(load.errors[0].message.find("kafka.compression"), std::string::npos);
  EXPECT_EQ(load.errors[1].line, 3);
  EXPECT_NE(load.errors[1].message.find("unknown key 'kafka.extra'"), std::string::npos);
  EXPECT_EQ(load.errors[2].line, 5);
  EXPECT_EQ(load.errors[3].line, 7);
  EXPECT_EQ(load.errors[3].to_string().rfind("t.toml:7:", 0), 0u);
}

TEST(ConfigTest, RequiresAtLeastOneSource) {
  auto load = parse("state_dir = \"/tmp/x\"\n");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].message.find("no [[sources]]"), std::string::npos);
}

TEST(ConfigTest, SourcesMustBeAnArrayOfTables) {
  auto load = parse("sources = \"https://x.org/feed\"\n");
  ASSERT_FALSE(load.config);
  EXPECT_NE(all_errors(load).find("expected an array of tables"), std::string::npos);
}

TEST(ConfigTest, ParsesDurations) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("60s"), 60s);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("2d"), 48h);
  EXPECT_EQ(parse_duration("0"), 0ms);
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("5 s"));
  EXPECT_FALSE(parse_duration("fast"));
}

TEST(ConfigTest, MissingFileIsAnError) {
  auto load = load_config("/nonexistent/newsd.toml");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].to_string(), "/nonexistent/newsd.toml: config file does not exist");
}

}  // namespace
}  // namespace newsd::daemon

namespace newsd::daemon {
namespace {

TEST(ConfigTest, DedupeAndDuplicatePolicy) {
  auto load = parse_config(R"toml([dedupe]
ttl = "7d"
max_entries = 5000
max_distance = 4
[kafka]
topic = "news.{language}"
dead_letter_topic = "news.dead"
outbox_capacity = 10
[[sources]]
id = "a"
url = "https://a.example/feed"
duplicates = "publish"
[[sources]]
id = "b"
kind = "html"
url = "https://b.example/latest"
)toml",
                           "t.toml", "/etc/newsd");
  ASSERT_TRUE(load.config);
  EXPECT_EQ(load.config->dedupe.ttl, std::chrono::hours(24 * 7));
  EXPECT_EQ(load.config->dedupe.max_entries, 5000);
  EXPECT_EQ(load.config->dedupe.max_distance, 4);
  EXPECT_EQ(load.config->kafka.topic, "news.{language}");
  EXPECT_EQ(load.config->kafka.outbox_capacity, 10u);
  EXPECT_TRUE(load.config->sources[0].publish_duplicates);
  EXPECT_FALSE(load.config->sources[1].publish_duplicates);
  EXPECT_EQ(load.config->sources[1].kind, SourceKind::html);
}

TEST(ConfigTest, DedupeMistakesAreLocated) {
  auto load = parse_config(R"toml([dedupe]
max_distance = 40
window = 3
[kafka]
topic = "news.{country}"
[[sources]]
id = "a"
url = "https://a.example/feed"
duplicates = "merge"
)toml",
                           "t.toml", "/etc/newsd");
  ASSERT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 4u);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_EQ(load.errors[1].line, 3);
  EXPECT_EQ(load.errors[2].line, 5);
  EXPECT_EQ(load.errors[3].line, 9);
  EXPECT_NE(load.errors[3].message.find("\"drop\" or \"publish\""), std::string::npos);
}

}  // namespace
}  // namespace newsd::daemon
