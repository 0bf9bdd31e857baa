#include "daemon/config/config.hpp"

#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"

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

TEST(ConfigTest, RevisitsDefaultToTheDecayingScheduleAndCanBeSetOrTurnedOff) {
  auto load = parse(R"toml([kafka]
latest_topic = "news.latest"
[[sources]]
id = "a"
url = "https://example.org/feed"
[[sources]]
id = "b"
url = "https://example.org/feed2"
revisits = ["10m", "2h"]
[[sources]]
id = "c"
url = "https://example.org/feed3"
revisits = []
)toml");
  ASSERT_TRUE(load.config) << all_errors(load);
  const auto& c = *load.config;
  EXPECT_EQ(c.kafka.latest_topic, "news.latest");
  EXPECT_EQ(c.sources[0].revisits, (std::vector<std::chrono::milliseconds>{15min, 1h, 6h, 24h, 72h}));
  EXPECT_EQ(c.sources[1].revisits, (std::vector<std::chrono::milliseconds>{10min, 2h}));
  EXPECT_TRUE(c.sources[2].revisits.empty());
}

TEST(ConfigTest, RevisitsMustIncreaseAndTheLatestTopicBeAPlainName) {
  auto load = parse(R"toml([kafka]
latest_topic = "news.{language}"
[[sources]]
id = "a"
url = "https://example.org/feed"
revisits = ["1h", "15m"]
)toml");
  ASSERT_FALSE(load.config);
  const auto errors = all_errors(load);
  EXPECT_NE(errors.find("kafka.latest_topic"), std::string::npos) << errors;
  EXPECT_NE(errors.find("revisits: expected an array of increasing durations"), std::string::npos) << errors;
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

TEST(ConfigSinkTest, WithoutASinkSectionRecordsGoToKafka) {
  auto load = parse("[[sources]]\nid = \"s\"\nurl = \"https://x.org/feed\"\n");
  ASSERT_TRUE(load.config) << all_errors(load);
  EXPECT_EQ(load.config->sink.kind, SinkKind::kafka);
  EXPECT_TRUE(load.config->sink.path.empty());
  EXPECT_EQ(load.config->sink, SinkConfig{});
}

TEST(ConfigSinkTest, AJsonLinesPathResolvesAgainstTheConfigDirectory) {
  auto sink_of = [](std::string_view path) {
    auto load = parse("[sink]\nkind = \"jsonl\"\npath = \"" + std::string(path) +
                      "\"\n[[sources]]\nid = \"s\"\nurl = \"https://x.org/feed\"\n");
    EXPECT_TRUE(load.config) << all_errors(load);
    return load.config ? load.config->sink : SinkConfig{};
  };
  EXPECT_EQ(sink_of("records.jsonl").kind, SinkKind::jsonl);
  EXPECT_EQ(sink_of("records.jsonl").path, "/etc/newsd/records.jsonl");
  EXPECT_EQ(sink_of("../out/./records.jsonl").path, "/etc/out/records.jsonl");
  EXPECT_EQ(sink_of("/var/tmp/records.jsonl").path, "/var/tmp/records.jsonl");
  EXPECT_EQ(sink_of("-").path, "-");  // standard output, not a file named "-"
  auto kafka = parse("[sink]\nkind = \"kafka\"\n[[sources]]\nid = \"s\"\nurl = \"https://x.org/feed\"\n");
  ASSERT_TRUE(kafka.config) << all_errors(kafka);
  EXPECT_EQ(kafka.config->sink.kind, SinkKind::kafka);
}

TEST(ConfigSinkTest, SinkMistakesAreLocated) {
  auto errors_of = [](std::string_view sink) {
    return parse(std::string("[sink]\n") + std::string(sink) +
                 "[[sources]]\nid = \"s\"\nurl = \"https://x.org/feed\"\n");
  };
  auto expect_error = [](const ConfigLoad& load, int line, std::string_view message) {
    EXPECT_FALSE(load.config);
    ASSERT_EQ(load.errors.size(), 1u) << all_errors(load);
    EXPECT_EQ(load.errors[0].line, line) << all_errors(load);
    EXPECT_NE(load.errors[0].message.find(message), std::string::npos) << all_errors(load);
  };
  expect_error(errors_of("kind = \"file\"\n"), 2, "sink.kind: expected \"kafka\" or \"jsonl\"");
  expect_error(errors_of("kind = 1\n"), 2, "sink.kind: expected a string");
  expect_error(errors_of("kind = \"jsonl\"\n"), 1, "sink.path: missing");
  expect_error(errors_of("kind = \"jsonl\"\npath = \"\"\n"), 3, "sink.path: expected a file path or \"-\"");
  expect_error(errors_of("kind = \"jsonl\"\npath = 7\n"), 3, "sink.path: expected a string");
  expect_error(errors_of("path = \"records.jsonl\"\n"), 2, "sink.path: expected no path");
  expect_error(errors_of("kind = \"jsonl\"\npath = \"-\"\nflush = \"1s\"\n"), 4, "unknown key 'sink.flush'");
  auto not_a_table = parse("sink = \"jsonl\"\n[[sources]]\nid = \"s\"\nurl = \"https://x.org/feed\"\n");
  expect_error(not_a_table, 1, "sink: expected a table ([sink])");
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

// ---- Hostile-input limits (issue 17) ----------------------------------------

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace newsd::daemon {
namespace {

using namespace std::chrono_literals;

std::string errors_of(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += e.to_string() + "\n";
  return out;
}

ConfigLoad parse_one_source(const std::string& source_keys, const std::string& before = "") {
  return parse_config(before + "[[sources]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n" + source_keys,
                      "t.toml", "/etc/newsd");
}

TEST(ConfigLimitsTest, AnIntervalOfCenturiesIsRejectedWithItsLocation) {
  auto load = parse_one_source("interval = \"5000000h\"\n");
  ASSERT_FALSE(load.config);
  EXPECT_NE(errors_of(load).find("t.toml:4:12: sources[0].interval: expected a duration"), std::string::npos)
      << errors_of(load);
  EXPECT_NE(errors_of(load).find("from 1s to 7d"), std::string::npos) << errors_of(load);
}

TEST(ConfigLimitsTest, EveryDurationKeyHasAMaximum) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const auto& c : {Case{"[kafka]\nflush_timeout = \"25d\"\n", "kafka.flush_timeout: expected a duration"},
                        Case{"[kafka]\nflush_timeout = \"61m\"\n", "from 0ms to 1h"},
                        Case{"[kafka]\ndelivery_timeout = \"30d\"\n", "kafka.delivery_timeout"},
                        Case{"[fetch]\ntimeout = \"2d\"\n", "fetch.timeout"},
                        Case{"[fetch]\nconnect_timeout = \"2h\"\n", "fetch.connect_timeout"},
                        Case{"[fetch]\nmin_host_delay = \"2h\"\n", "fetch.min_host_delay"},
                        Case{"[dedupe]\nttl = \"3651d\"\n", "dedupe.ttl"}}) {
    auto load = parse_one_source("", c.text);
    EXPECT_FALSE(load.config) << c.text;
    EXPECT_NE(errors_of(load).find(c.message), std::string::npos) << c.text << errors_of(load);
  }
  EXPECT_TRUE(parse_one_source("interval = \"7d\"\nmax_interval = \"7d\"\n",
                               "[kafka]\nflush_timeout = \"1h\"\n[fetch]\ntimeout = \"1d\"\n")
                  .config);
}

TEST(ConfigLimitsTest, DurationsSaturateInsteadOfWrappingAround) {
  std::string huge;
  for (int i = 0; i < 20; ++i) huge += "9999999999d";  // 20 × 8.6e17 ms: far past int64
  auto total = parse_duration(huge);
  ASSERT_TRUE(total);
  EXPECT_EQ(*total, std::chrono::milliseconds::max());
  EXPECT_EQ(parse_duration("99999999999999999999999s"), std::chrono::milliseconds::max());
  EXPECT_FALSE(parse_one_source("interval = \"" + huge + "\"\n").config);
  // A bare integer of seconds that overflows once in milliseconds.
  auto load = parse_one_source("interval = 9223372036854775807\n");
  EXPECT_FALSE(load.config);
  EXPECT_NE(errors_of(load).find("sources[0].interval"), std::string::npos) << errors_of(load);
  EXPECT_FALSE(parse_one_source("interval = -5\n").config);
}

TEST(ConfigLimitsTest, ManyCopiesOfOneSourceIdAreOneMistakePerId) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "[[sources]]\nid = \"same\"\nurl = \"https://a.example/feed\"\n";
  for (int i = 0; i < 3; ++i) text += "[[sources]]\nid = \"other\"\nurl = \"https://b.example/feed\"\n";
  auto load = parse_config(text, "t.toml", "/etc/newsd");
  ASSERT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 2u) << load.errors.front().to_string();
  EXPECT_EQ(load.errors[0].to_string(),
            "t.toml:4:1: sources[1].id: duplicate source id 'same' (first defined on line 1)");
  EXPECT_NE(load.errors[1].message.find("duplicate source id 'other' (first defined on line 3001)"),
            std::string::npos);
}

// check-config and run read the config through the same load_config; what
// run would refuse (or silently change) must be a mistake here.
TEST(ConfigLimitsTest, AnEmptyStateDirIsAMistakeNotTheDefault) {
  auto load = parse_one_source("", "state_dir = \"\"\n");
  ASSERT_FALSE(load.config);
  EXPECT_NE(errors_of(load).find("t.toml:1:13: state_dir: expected a directory path"), std::string::npos)
      << errors_of(load);
}

TEST(ConfigLimitsTest, TheListenHostMustBeAnAddressTheHealthServerCanBind) {
  EXPECT_FALSE(parse_one_source("", "[http]\nlisten = \"example.org:9464\"\n").config);
  EXPECT_FALSE(parse_one_source("", "[http]\nlisten = \"[nonsense]:9464\"\n").config);
  EXPECT_TRUE(parse_one_source("", "[http]\nlisten = \"localhost:0\"\n").config);
  EXPECT_TRUE(parse_one_source("", "[http]\nlisten = \"[::1]:9464\"\n").config);
  EXPECT_TRUE(parse_one_source("", "[http]\nlisten = \"0.0.0.0:9464\"\n").config);
}

TEST(ConfigLimitsTest, KafkaPropertiesLibrdkafkaRefusesAreMistakes) {
  auto load = parse_one_source("", "[kafka.properties]\n\"no.such.setting\" = \"1\"\n\"linger.ms\" = \"5\"\n");
  ASSERT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 1u) << errors_of(load);
  EXPECT_NE(load.errors[0].to_string().find("t.toml:2:21: kafka.properties.no.such.setting: "), std::string::npos)
      << errors_of(load);
  EXPECT_TRUE(parse_one_source("", "[kafka.properties]\n\"linger.ms\" = \"5\"\n").config);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-config-");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileTest, AConfigLargerThanTheCapIsRefused) {
  auto path = dir_ / "big.toml";
  {
    std::ofstream out(path);
    out << "[[sources]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n";
    out << std::string(kMaxConfigBytes, '#') << "\n";
  }
  auto load = load_config(path);
  ASSERT_EQ(load.errors.size(), 1u) << errors_of(load);
  EXPECT_EQ(load.errors[0].to_string(),
            path.string() + ": config file is larger than the limit of 4194304 bytes");
}

TEST_F(ConfigFileTest, ADeviceIsNotAConfigFile) {
  auto load = load_config("/dev/null");
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].to_string(), "/dev/null: config file is not a regular file");
}

// A FIFO without a writer: reading it must not block (SIGHUP reads the
// config on the event loop).
TEST_F(ConfigFileTest, AFifoIsRefusedWithoutBlocking) {
  auto path = dir_ / "fifo.toml";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto load = load_config(path);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].to_string(), path.string() + ": config file is not a regular file");
}

TEST_F(ConfigFileTest, AnOrdinaryFileStillLoads) {
  auto path = dir_ / "ok.toml";
  std::ofstream(path) << "[[sources]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n";
  auto load = load_config(path);
  ASSERT_TRUE(load.config) << errors_of(load);
  EXPECT_EQ(load.config->sources.size(), 1u);
}

}  // namespace
}  // namespace newsd::daemon

namespace newsd::daemon {
namespace {

// `newsd run` refuses to start on site templates with mistakes; check-config
// must say so too.
TEST_F(ConfigFileTest, SiteTemplatesWithMistakesAreConfigMistakes) {
  std::filesystem::create_directories(dir_ / "templates");
  std::ofstream(dir_ / "templates" / "broken.toml") << "this is = = not toml\n";
  auto path = dir_ / "newsd.toml";
  std::ofstream(path) << "templates_dir = \"templates\"\n[[sources]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n";
  auto load = load_config(path);
  EXPECT_FALSE(load.config);
  ASSERT_FALSE(load.errors.empty());
  EXPECT_NE(load.errors[0].to_string().find(path.string() + ": templates_dir: "), std::string::npos)
      << load.errors[0].to_string();
  EXPECT_NE(load.errors[0].to_string().find("broken.toml"), std::string::npos) << load.errors[0].to_string();
}

}  // namespace
}  // namespace newsd::daemon

namespace newsd::daemon {
namespace {

// Templates are read on SIGHUP too, on the event loop: a FIFO among them
// must be refused, not waited on.
TEST_F(ConfigFileTest, AFifoAmongTheSiteTemplatesIsRefusedWithoutBlocking) {
  std::filesystem::create_directories(dir_ / "templates");
  ASSERT_EQ(::mkfifo((dir_ / "templates" / "pipe.toml").c_str(), 0600), 0);
  auto path = dir_ / "newsd.toml";
  std::ofstream(path) << "templates_dir = \"templates\"\n[[sources]]\nid = \"a\"\nurl = \"https://a.example/feed\"\n";
  auto load = load_config(path);
  EXPECT_FALSE(load.config);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_NE(load.errors[0].message.find("pipe.toml: is not a regular file"), std::string::npos)
      << load.errors[0].to_string();
}

TEST(ConfigTest, AClusterSectionNamesAGroupAndDefaultsTheRest) {
  const std::string sources = "[[sources]]\nid = \"a\"\nurl = \"https://example.org/feed\"\n";
  auto load = parse("[kafka]\nbrokers = \"k1:9092\"\n[cluster]\ngroup = \"newsd-eu\"\n" + sources);
  ASSERT_TRUE(load.config) << all_errors(load);
  const auto& cluster = load.config->cluster;
  EXPECT_TRUE(cluster.enabled);
  EXPECT_EQ(cluster.group, "newsd-eu");
  EXPECT_EQ(cluster.state_topic(), "newsd-eu.state");
  EXPECT_EQ(cluster.shards, 64);
  EXPECT_TRUE(cluster.exactly_once);
  EXPECT_FALSE(cluster.instance_id.empty()) << "the host name by default";
  EXPECT_EQ(cluster.session_timeout, 10s);

  auto plain = parse("[kafka]\nbrokers = \"k1:9092\"\n" + sources);
  ASSERT_TRUE(plain.config);
  EXPECT_FALSE(plain.config->cluster.enabled) << "no [cluster]: one node, as before";

  load = parse("[kafka]\nbrokers = \"k1:9092\"\n[cluster]\ngroup = \"g\"\nshards = 8\ninstance_id = \"n2\"\n"
               "exactly_once = false\nsession_timeout = \"6s\"\n" + sources);
  ASSERT_TRUE(load.config) << all_errors(load);
  EXPECT_EQ(load.config->cluster.shards, 8);
  EXPECT_EQ(load.config->cluster.instance_id, "n2");
  EXPECT_FALSE(load.config->cluster.exactly_once);
}

TEST(ConfigTest, AClusterNeedsAGroupAndRealBrokers) {
  const std::string sources = "[[sources]]\nid = \"a\"\nurl = \"https://example.org/feed\"\n";
  auto errors = all_errors(parse("[kafka]\nbrokers = \"k1:9092\"\n[cluster]\nshards = 0\n" + sources));
  EXPECT_NE(errors.find("cluster.group: missing"), std::string::npos) << errors;
  EXPECT_NE(errors.find("cluster.shards: expected an integer from 1 to 10000"), std::string::npos) << errors;
  errors = all_errors(parse("[cluster]\ngroup = \"g\"\n" + sources));
  EXPECT_NE(errors.find("real [kafka] brokers"), std::string::npos) << "the embedded broker is one process's: " << errors;
  errors = all_errors(parse("[sink]\nkind = \"jsonl\"\npath = \"-\"\n[cluster]\ngroup = \"g\"\n" + sources));
  EXPECT_NE(errors.find("[cluster] needs [sink] kind = \"kafka\""), std::string::npos) << errors;
  errors = all_errors(parse("[kafka]\nbrokers = \"k1:9092\"\n[cluster]\ngroup = \"g\"\nleader = true\n" + sources));
  EXPECT_NE(errors.find("unknown key 'cluster.leader'"), std::string::npos) << errors;
}

}  // namespace
}  // namespace newsd::daemon
