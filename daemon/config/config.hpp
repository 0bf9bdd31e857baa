#pragma once
// Config: the whole TOML configuration of newsd as plain structs with
// defaults. load_config() reads and validates a file and reports every
// mistake at once with file:line:column and what was expected; a Config is
// only ever returned whole and valid. Owned by the daemon; copied on reload.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/dedupe/dedupe_index.hpp"

namespace newsd::daemon {

enum class SourceKind { feed, html, sitemap };

// 15 minutes, 1 hour, 6 hours, 1 day and 3 days after a page's first publication.
std::vector<std::chrono::milliseconds> default_revisits();

struct SourceConfig {
  std::string id;                              // unique, [A-Za-z0-9._-]+; names the source in records and logs
  SourceKind kind = SourceKind::feed;          // feed: RSS/Atom/JSON feed; html: a section page listing articles; sitemap: a (news) sitemap or sitemap index
  std::string url;                             // http://, https:// or file://
  std::chrono::milliseconds interval{std::chrono::minutes(5)};  // time between polls
  bool fetch_articles = false;                 // fetch each item's page for the full body
  std::string template_name;                   // site template to extract pages with; empty = by host
  std::string topic;                           // overrides kafka.topic for this source
  bool allow_private_networks = false;         // lets this source's own host be loopback/private (not its links elsewhere)
  std::chrono::milliseconds min_interval{0};   // adaptive polling may go down to this; 0 = interval
  std::chrono::milliseconds max_interval{0};   // adaptive polling and server hints up to this; 0 = interval
  std::optional<std::string> proxy;            // overrides fetch.proxy; "" = connect directly
  std::vector<std::string> headers;            // "Name: value", added to fetch.headers
  bool publish_duplicates = false;             // duplicates = "publish": near duplicates go out with duplicate_of; "drop" (default) drops them
  // When a fetched page (fetch_articles, html and sitemap sources) is looked
  // at again after its first publication, for edits and removals; [] = never.
  std::vector<std::chrono::milliseconds> revisits = default_revisits();
  int line = 0;                                // where the source is defined, for messages

  friend bool operator==(const SourceConfig&, const SourceConfig&) = default;
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9464";       // /healthz /readyz; host:port, port 0 = any free port

  friend bool operator==(const HttpConfig&, const HttpConfig&) = default;
};

enum class SinkKind { kafka, jsonl };

struct SinkConfig {
  SinkKind kind = SinkKind::kafka;             // kafka: to [kafka]'s brokers; jsonl: one JSON line per record to `path`
  std::filesystem::path path;                  // jsonl: the file appended to (created if missing), or "-" for stdout

  friend bool operator==(const SinkConfig&, const SinkConfig&) = default;
};

struct KafkaConfig {
  std::string brokers = "embedded";            // "embedded" or "host:port,host:port"
  std::string topic = "news.articles";         // default topic for article records
  std::string compression = "zstd";            // none | gzip | snappy | lz4 | zstd
  std::chrono::milliseconds flush_timeout{std::chrono::seconds(10)};  // bounded wait on shutdown
  std::chrono::milliseconds delivery_timeout{0};  // message.timeout.ms; 0 = retry until delivered
  std::size_t outbox_capacity = 50'000;         // records waiting for Kafka before fetching pauses
  std::string dead_letter_topic;                // feeds that cannot be parsed go here (URL, error, body); empty = off
  std::string latest_topic;                     // every version again, keyed by id, retractions as tombstones (cleanup.policy=compact); empty = off
  std::int64_t dead_letter_max_body = 64 * 1024;  // bytes of the raw body kept in a dead letter
  std::map<std::string, std::string> properties;  // extra librdkafka settings, passed as given

  friend bool operator==(const KafkaConfig&, const KafkaConfig&) = default;
};

struct FetchConfig {
  std::string user_agent = "newsd/0.1 (+https://github.com/newsd/newsd)";
  bool allow_private_networks = false;         // true lets every source live on loopback/private addresses
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // whole transfer
  std::int64_t max_body_bytes = 16 * 1024 * 1024;                // after decompression
  std::int64_t max_connections_per_host = 2;   // requests in flight to one host (feeds, pages alike)
  std::chrono::milliseconds min_host_delay{0}; // between two request starts to one host
  std::string proxy;                           // "http://host:port", "socks5h://..."; empty = none
  std::vector<std::string> headers;            // "Name: value", sent with every request
  std::string robots = "pages";                // obey robots.txt for: pages | all (feeds too) | off

  friend bool operator==(const FetchConfig&, const FetchConfig&) = default;
};

// Components a [log.components] key may name ("source.ID" names one source).
inline constexpr std::string_view kLogComponents[] = {"newsd", "kafka",  "source", "http",
                                                      "systemd", "config", "state"};
inline bool is_log_component(std::string_view name) {
  for (auto known : kLogComponents)
    if (known == name) return true;
  return false;
}

struct LogConfig {
  std::string level = "info";                  // trace | debug | info | warn | error | off
  std::string format = "auto";                 // auto (text on a terminal, else json) | text | json
  std::map<std::string, std::string> components;  // component ("kafka", "source.ID") -> level
};

struct DedupeConfig {
  std::chrono::milliseconds ttl{std::chrono::hours(24 * 30)};  // forget a story not seen for this long
  std::int64_t max_entries = 2'000'000;        // beyond this, forget the least recently seen
  std::int64_t max_distance = 3;               // SimHash bits two bodies may differ in and be one story

  friend bool operator==(const DedupeConfig&, const DedupeConfig&) = default;
};

// [cluster]: several instances share the sources through a Kafka consumer
// group (see docs/design.md, "Growing past one machine"). Absent: one node.
struct ClusterConfig {
  bool enabled = false;                        // a [cluster] section is present
  std::string group;                           // the consumer group; names the state topic "<group>.state"
  std::int64_t shards = 64;                    // partitions of the state topic; a source's shard is its domain's
  std::string instance_id;                     // static membership (group.instance.id); default: the host name
  bool exactly_once = true;                    // records, state and offsets in Kafka transactions
  std::chrono::milliseconds session_timeout{std::chrono::seconds(10)};  // a silent member loses its shards after this
  std::chrono::milliseconds transaction_timeout{std::chrono::seconds(30)};  // an open transaction of a dead member is aborted after this

  std::string state_topic() const { return group + ".state"; }

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

struct Config {
  std::filesystem::path path;                  // the file it was read from
  std::filesystem::path state_dir = "/var/lib/newsd";  // published set and other state
  std::filesystem::path templates_dir;         // site templates (*.toml); empty = none
  HttpConfig http;
  SinkConfig sink;
  KafkaConfig kafka;                           // topics, outbox and flush settings apply to every sink
  FetchConfig fetch;
  LogConfig log;
  DedupeConfig dedupe;
  ClusterConfig cluster;
  std::vector<SourceConfig> sources;
};

// One mistake in a config file, located.
struct ConfigError {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;

  std::string to_string() const;  // "file:line:column: message"
};

struct ConfigLoad {
  std::optional<Config> config;    // set only when errors is empty
  std::vector<ConfigError> errors;
};

// A config larger than this is a mistake (a wrong path), not a config.
inline constexpr std::size_t kMaxConfigBytes = 4 << 20;

// Reads and validates a config file: the one validation both `newsd run`
// (and its reloads) and `newsd check-config` use.
ConfigLoad load_config(const std::filesystem::path& path);

// Validates config text; `file` names it in messages. Relative paths in the
// text are resolved against `base_dir`.
ConfigLoad parse_config(std::string_view text, const std::string& file,
                        const std::filesystem::path& base_dir);

// "250ms", "60s", "5m", "1h30m", "2d"; empty when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

std::string_view to_string(SourceKind kind);
std::string_view to_string(SinkKind kind);

// The story index's options from the [dedupe] section.
sinks::DedupeOptions dedupe_options(const DedupeConfig& dedupe);

}  // namespace newsd::daemon
