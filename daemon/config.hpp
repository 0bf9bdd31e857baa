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

namespace newsd::daemon {

enum class SourceKind { feed, html };

struct SourceConfig {
  std::string id;                              // unique, [A-Za-z0-9._-]+; names the source in records and logs
  SourceKind kind = SourceKind::feed;          // feed: RSS/Atom/JSON feed; html: a section page listing articles
  std::string url;                             // http://, https:// or file://
  std::chrono::milliseconds interval{std::chrono::minutes(5)};  // time between polls
  bool fetch_articles = false;                 // fetch each item's page for the full body
  std::string template_name;                   // site template to extract pages with; empty = by host
  std::string topic;                           // overrides kafka.topic for this source
  bool allow_private_networks = false;         // lets this source live on loopback/private addresses
  int line = 0;                                // where the source is defined, for messages
};

struct HttpConfig {
  std::string listen = "127.0.0.1:9464";       // /healthz /readyz; host:port, port 0 = any free port
};

struct KafkaConfig {
  std::string brokers = "embedded";            // "embedded" or "host:port,host:port"
  std::string topic = "news.articles";         // default topic for article records
  std::string compression = "zstd";            // none | gzip | snappy | lz4 | zstd
  std::chrono::milliseconds flush_timeout{std::chrono::seconds(10)};  // bounded wait on shutdown
  std::chrono::milliseconds delivery_timeout{std::chrono::minutes(5)}; // message.timeout.ms
  std::map<std::string, std::string> properties;  // extra librdkafka settings, passed as given
};

struct FetchConfig {
  std::string user_agent = "newsd/0.1 (+https://github.com/newsd/newsd)";
  bool allow_private_networks = false;         // true lets every source live on loopback/private addresses
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // whole transfer
  std::int64_t max_body_bytes = 16 * 1024 * 1024;                // after decompression
};

struct LogConfig {
  std::string level = "info";                  // trace | debug | info | warn | error
};

struct Config {
  std::filesystem::path path;                  // the file it was read from
  std::filesystem::path state_dir = "/var/lib/newsd";  // published set and other state
  std::filesystem::path templates_dir;         // site templates (*.toml); empty = none
  HttpConfig http;
  KafkaConfig kafka;
  FetchConfig fetch;
  LogConfig log;
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

// Reads and validates a config file.
ConfigLoad load_config(const std::filesystem::path& path);

// Validates config text; `file` names it in messages. Relative paths in the
// text are resolved against `base_dir`.
ConfigLoad parse_config(std::string_view text, const std::string& file,
                        const std::filesystem::path& base_dir);

// "250ms", "60s", "5m", "1h30m", "2d"; empty when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

std::string_view to_string(SourceKind kind);

}  // namespace newsd::daemon
