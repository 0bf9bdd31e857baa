#include "daemon/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <sstream>

#include <unistd.h>

#include <boost/url/grammar/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/ipv4_address_rule.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>
#include <toml++/toml.h>

#include "daemon/config/template_directory.hpp"
#include "daemon/config/bounded_read.hpp"
#include "sinks/kafka/kafka_sink.hpp"

namespace newsd::daemon {

std::vector<std::chrono::milliseconds> default_revisits() {
  using namespace std::chrono;
  return {minutes(15), hours(1), hours(6), hours(24), days(3)};
}

namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kSaturated = std::numeric_limits<std::int64_t>::max();

// Per-key ceilings of durations (see TableReader::duration).
constexpr std::chrono::milliseconds kMaxInterval = std::chrono::days(7);
constexpr std::chrono::milliseconds kMaxRevisit = std::chrono::days(30);
constexpr std::chrono::milliseconds kMaxFlushTimeout = 1h;
constexpr std::chrono::milliseconds kMaxDeliveryTimeout = std::chrono::days(7);
constexpr std::chrono::milliseconds kMaxConnectTimeout = 1h;
constexpr std::chrono::milliseconds kMaxFetchTimeout = std::chrono::days(1);
constexpr std::chrono::milliseconds kMaxHostDelay = 1h;
constexpr std::chrono::milliseconds kMaxDedupeTtl = std::chrono::days(3650);

// A bare integer of seconds; negative is no duration, huge saturates (and
// then fails its key's ceiling).
std::optional<std::chrono::milliseconds> saturating_seconds(std::int64_t seconds) {
  if (seconds < 0) return std::nullopt;
  if (seconds > kSaturated / 1000) return std::chrono::milliseconds(kSaturated);
  return std::chrono::seconds(seconds);
}

// The largest unit that states `d` exactly: "7d", "1h", "250ms".
std::string format_duration(std::chrono::milliseconds d) {
  const std::int64_t ms = d.count();
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const auto& [unit, name] : kUnits)
    if (ms != 0 && ms % unit == 0) return std::to_string(ms / unit) + name;
  return std::to_string(ms) + "ms";
}

// Reads one TOML table into a struct: typed getters that record a located
// error instead of throwing, and a final check that every key was known.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string name, const std::string& file,
              std::vector<ConfigError>& errors)
      : table_(table), name_(std::move(name)), file_(file), errors_(errors) {}

  void error_at(const toml::source_region& where, std::string message) {
    errors_.push_back({file_, static_cast<int>(where.begin.line),
                       static_cast<int>(where.begin.column), std::move(message)});
  }

  const toml::node* take(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
  }

  void string(std::string_view key, std::string& out) {
    if (auto* node = take(key)) {
      if (auto v = node->value<std::string>(); v && node->is_string())
        out = *v;
      else
        expected(key, *node, "a string");
    }
  }

  void boolean(std::string_view key, bool& out) {
    if (auto* node = take(key)) {
      if (node->is_boolean())
        out = *node->value<bool>();
      else
        expected(key, *node, "true or false");
    }
  }

  void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) {
    if (auto* node = take(key)) {
      auto v = node->is_integer() ? node->value<std::int64_t>() : std::nullopt;
      if (!v || *v < min || *v > max)
        expected(key, *node,
                 "an integer from " + std::to_string(min) + " to " + std::to_string(max));
      else
        out = *v;
    }
  }

  // Every duration has a ceiling: a value beyond what makes sense is a typo,
  // and an unbounded one overflows where it becomes a timer or a librdkafka
  // setting (an interval of "5000000h" polled 21 times a second).
  void duration(std::string_view key, std::chrono::milliseconds& out,
                std::chrono::milliseconds min, std::chrono::milliseconds max) {
    auto* node = take(key);
    if (!node) return;
    std::optional<std::chrono::milliseconds> value;
    if (node->is_string())
      value = parse_duration(*node->value<std::string>());
    else if (node->is_integer())
      value = saturating_seconds(*node->value<std::int64_t>());
    if (!value || *value < min || *value > max) {
      expected(key, *node,
               "a duration such as \"250ms\", \"60s\", \"5m\" or \"1h\" from " +
                   format_duration(min) + " to " + format_duration(max));
      return;
    }
    out = *value;
  }

  // An array of durations, each longer than the one before.
  void durations(std::string_view key, std::vector<std::chrono::milliseconds>& out,
                 std::chrono::milliseconds min, std::chrono::milliseconds max) {
    auto* node = take(key);
    if (!node) return;
    const std::string wanted = "an array of increasing durations such as [\"15m\", \"1h\", \"3d\"] from " +
                               format_duration(min) + " to " + format_duration(max) + " ([] = none)";
    const auto* array = node->as_array();
    if (!array) return expected(key, *node, wanted);
    std::vector<std::chrono::milliseconds> values;
    for (const auto& item : *array) {
      auto value = item.is_string() ? parse_duration(*item.value<std::string>()) : std::nullopt;
      if (!value || *value < min || *value > max || (!values.empty() && *value <= values.back()))
        return expected(key, item, wanted);
      values.push_back(*value);
    }
    out = std::move(values);
  }

  void path(std::string_view key, std::filesystem::path& out, const std::filesystem::path& base) {
    std::string text;
    bool present = table_.contains(key);
    string(key, text);
    if (!present || text.empty()) return;
    std::filesystem::path p(text);
    out = (p.is_absolute() ? p : base / p).lexically_normal();
  }

  const toml::table* table(std::string_view key) {
    auto* node = take(key);
    if (!node) return nullptr;
    if (!node->is_table()) {
      expected(key, *node, "a table ([" + qualified(key) + "])");
      return nullptr;
    }
    return node->as_table();
  }

  void expected(std::string_view key, const toml::node& node, const std::string& what) {
    error_at(node.source(), qualified(key) + ": expected " + what);
  }

  // Every key the reader did not ask for is a mistake (a typo, usually).
  void reject_unknown() {
    for (auto&& [key, node] : table_) {
      if (!seen_.contains(std::string(key.str())))
        error_at(key.source(), "unknown key '" + qualified(key.str()) + "'");
    }
  }

  std::string qualified(std::string_view key) const {
    return name_.empty() ? std::string(key) : name_ + "." + std::string(key);
  }

 private:
  const toml::table& table_;
  std::string name_;
  const std::string& file_;
  std::vector<ConfigError>& errors_;
  std::set<std::string> seen_;
};

bool valid_source_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '.' || c == '_' || c == '-';
         });
}

// A Kafka topic name, or a template of one with {source} / {language}.
bool valid_topic(std::string_view topic) {
  std::string plain;
  for (std::size_t i = 0; i < topic.size();) {
    if (topic.substr(i).starts_with("{source}")) {
      plain += "s";
      i += 8;
    } else if (topic.substr(i).starts_with("{language}")) {
      plain += "l";
      i += 10;
    } else {
      plain += topic[i++];
    }
  }
  return !plain.empty() && plain.size() <= 249 &&
         std::all_of(plain.begin(), plain.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '.' || c == '_' || c == '-';
         });
}

bool valid_proxy(std::string_view proxy) {
  if (proxy.empty()) return true;
  auto parsed = boost::urls::parse_absolute_uri(proxy);
  if (!parsed || parsed->host().empty()) return false;
  static const std::set<std::string, std::less<>> schemes{"http", "https", "socks4", "socks4a", "socks5", "socks5h"};
  return schemes.contains(parsed->scheme());
}

// A TOML table of header names to values, as "Name: value" lines.
void read_headers(TableReader& reader, std::string_view key, std::vector<std::string>& out) {
  const auto* table = reader.table(key);
  if (!table) return;
  for (auto&& [name, node] : *table) {
    const std::string header(name.str());
    const bool valid_name = !header.empty() && std::all_of(header.begin(), header.end(), [](unsigned char c) {
      return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    });
    auto value = node.value<std::string>();
    if (!valid_name)
      reader.error_at(name.source(), reader.qualified(key) + "." + header + ": expected an HTTP header name");
    else if (!node.is_string() || !value || value->find_first_of("\r\n") != std::string::npos)
      reader.error_at(node.source(), reader.qualified(key) + "." + header + ": expected a string without line breaks");
    else
      out.push_back(header + ": " + *value);
  }
}

// host:port where host is what HealthServer can bind: an IP address
// ("[::1]" for IPv6) or localhost; names are not resolved.
bool valid_listen(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    if (!boost::urls::grammar::parse(host.substr(1, host.size() - 2), boost::urls::ipv6_address_rule))
      return false;
  } else if (host != "localhost" && !boost::urls::grammar::parse(host, boost::urls::ipv4_address_rule)) {
    return false;
  }
  auto port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }))
    return false;
  return std::stoi(std::string(port)) <= 65535;
}

bool valid_source_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);  // a fragment is allowed (and never sent)
  if (!parsed) return false;
  auto scheme = parsed->scheme_id();
  if (scheme == boost::urls::scheme::file) return !parsed->path().empty();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         !parsed->host().empty();
}

// "file:relative/path" names a file beside the config; make it absolute.
std::string resolve_file_url(const std::string& url, const std::filesystem::path& base_dir) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme_id() != boost::urls::scheme::file || parsed->has_authority() ||
      parsed->path().starts_with("/"))
    return url;
  return "file://" + (base_dir / std::string(parsed->path())).lexically_normal().string();
}

// A source's id, kind and URL (a relative file: URL made absolute).
void read_source_identity(TableReader& reader, const toml::table& table, const std::filesystem::path& base_dir,
                          SourceConfig& source) {
  auto missing = [&](std::string_view key) {
    reader.error_at(table.source(), reader.qualified(key) + ": missing; expected a string");
  };

  if (!table.contains("id")) missing("id");
  reader.string("id", source.id);
  if (table.contains("id") && !valid_source_id(source.id))
    reader.expected("id", *table.get("id"), "an id of letters, digits, '.', '_' or '-'");

  std::string kind = "feed";
  reader.string("kind", kind);
  if (kind == "feed")
    source.kind = SourceKind::feed;
  else if (kind == "html")
    source.kind = SourceKind::html;
  else if (kind == "sitemap")
    source.kind = SourceKind::sitemap;
  else
    reader.expected("kind", *table.get("kind"), "\"feed\", \"html\" or \"sitemap\"");

  if (!table.contains("url")) missing("url");
  reader.string("url", source.url);
  if (table.contains("url") && !valid_source_url(source.url))
    reader.expected("url", *table.get("url"), "an absolute http://, https:// or file:// URL");
  source.url = resolve_file_url(source.url, base_dir);
}

// How a source is polled and where its records go.
void read_source_options(TableReader& reader, const toml::table& table, SourceConfig& source) {
  reader.duration("interval", source.interval, 1s, kMaxInterval);
  reader.boolean("fetch_articles", source.fetch_articles);
  reader.string("template", source.template_name);
  reader.string("topic", source.topic);
  if (table.contains("topic") && !valid_topic(source.topic))
    reader.expected("topic", *table.get("topic"), "a Kafka topic name ([A-Za-z0-9._-]+, may use {source} and {language})");
  reader.boolean("allow_private_networks", source.allow_private_networks);
  std::string duplicates = "drop";
  reader.string("duplicates", duplicates);
  if (duplicates == "publish")
    source.publish_duplicates = true;
  else if (duplicates != "drop")
    reader.expected("duplicates", *table.get("duplicates"), "\"drop\" or \"publish\"");
  reader.duration("min_interval", source.min_interval, 1s, kMaxInterval);
  reader.duration("max_interval", source.max_interval, 1s, kMaxInterval);
  reader.durations("revisits", source.revisits, 1s, kMaxRevisit);
  if (table.contains("min_interval") && source.min_interval > source.interval)
    reader.expected("min_interval", *table.get("min_interval"), "a duration no longer than interval");
  if (table.contains("max_interval") && source.max_interval.count() > 0 && source.max_interval < source.interval)
    reader.expected("max_interval", *table.get("max_interval"), "a duration no shorter than interval");
  if (table.contains("proxy")) {
    std::string proxy;
    reader.string("proxy", proxy);
    if (!valid_proxy(proxy))
      reader.expected("proxy", *table.get("proxy"),
                      "\"\" (direct) or a proxy URL such as \"http://proxy:3128\" or \"socks5h://proxy:1080\"");
    source.proxy = proxy;
  }
}

// Once per id, not once per pair: 10,000 copies of one source are one
// mistake, not 50 million messages.
void note_duplicate_id(TableReader& reader, const toml::table& table, const SourceConfig& source,
                       std::map<std::string, int>& first_lines, std::set<std::string>& reported_ids) {
  if (!source.id.empty()) {
    auto [first, inserted] = first_lines.try_emplace(source.id, source.line);
    if (!inserted && reported_ids.insert(source.id).second)
      reader.error_at(table.source(), reader.qualified("id") + ": duplicate source id '" +
                                          source.id + "' (first defined on line " +
                                          std::to_string(first->second) + ")");
  }
}

void read_source(const toml::table& table, int index, const std::string& file,
                 const std::filesystem::path& base_dir, std::vector<ConfigError>& errors,
                 std::vector<SourceConfig>& sources, std::map<std::string, int>& first_lines,
                 std::set<std::string>& reported_ids) {
  TableReader reader(table, "sources[" + std::to_string(index) + "]", file, errors);
  SourceConfig source;
  source.line = static_cast<int>(table.source().begin.line);
  read_source_identity(reader, table, base_dir, source);
  read_source_options(reader, table, source);
  read_headers(reader, "headers", source.headers);
  reader.reject_unknown();
  note_duplicate_id(reader, table, source, first_lines, reported_ids);
  sources.push_back(std::move(source));
}

void read_sink(const toml::table& table, const std::string& file, const std::filesystem::path& base_dir,
               std::vector<ConfigError>& errors, SinkConfig& sink) {
  TableReader reader(table, "sink", file, errors);
  std::string kind = "kafka";
  const bool kind_is_string = !table.contains("kind") || table.get("kind")->is_string();
  reader.string("kind", kind);
  bool kind_known = kind_is_string;
  if (kind == "kafka")
    sink.kind = SinkKind::kafka;
  else if (kind == "jsonl")
    sink.kind = SinkKind::jsonl;
  else if (kind_is_string) {
    reader.expected("kind", *table.get("kind"), "\"kafka\" or \"jsonl\"");
    kind_known = false;
  }
  // "-" is standard output, not a file named "-" beside the config.
  const auto* path = table.get("path");
  if (path && path->is_string() && *path->value<std::string>() == "-") {
    reader.take("path");
    sink.path = "-";
  } else {
    reader.path("path", sink.path, base_dir);
  }
  if (kind_known && sink.kind == SinkKind::jsonl && sink.path.empty()) {
    if (path && path->is_string())
      reader.expected("path", *path, "a file path or \"-\" (standard output)");
    else if (!path)
      reader.error_at(table.source(), "sink.path: missing; expected a file path or \"-\" (standard output) "
                                      "for kind = \"jsonl\"");
  }
  if (kind_known && sink.kind == SinkKind::kafka && path)
    reader.expected("path", *path, "no path: it is for kind = \"jsonl\" (kind = \"kafka\" produces to [kafka] brokers)");
  reader.reject_unknown();
}

void read_kafka(const toml::table& table, const std::string& file,
                std::vector<ConfigError>& errors, KafkaConfig& kafka) {
  TableReader reader(table, "kafka", file, errors);
  reader.string("brokers", kafka.brokers);
  if (kafka.brokers.empty()) reader.expected("brokers", *table.get("brokers"), "\"embedded\" or host:port[,host:port...]");
  reader.string("topic", kafka.topic);
  if (table.contains("topic") && !valid_topic(kafka.topic))
    reader.expected("topic", *table.get("topic"), "a Kafka topic name ([A-Za-z0-9._-]+, may use {source} and {language})");
  reader.string("compression", kafka.compression);
  static const std::set<std::string> codecs{"none", "gzip", "snappy", "lz4", "zstd"};
  if (table.contains("compression") && !codecs.contains(kafka.compression))
    reader.expected("compression", *table.get("compression"),
                    "one of none, gzip, snappy, lz4, zstd");
  reader.duration("flush_timeout", kafka.flush_timeout, 0ms, kMaxFlushTimeout);
  reader.duration("delivery_timeout", kafka.delivery_timeout, 0ms, kMaxDeliveryTimeout);
  std::int64_t capacity = static_cast<std::int64_t>(kafka.outbox_capacity);
  reader.integer("outbox_capacity", capacity, 1, 10'000'000);
  kafka.outbox_capacity = static_cast<std::size_t>(capacity);
  reader.string("dead_letter_topic", kafka.dead_letter_topic);
  if (!kafka.dead_letter_topic.empty() && !valid_topic(kafka.dead_letter_topic))
    reader.expected("dead_letter_topic", *table.get("dead_letter_topic"), "a Kafka topic name ([A-Za-z0-9._-]+)");
  reader.integer("dead_letter_max_body", kafka.dead_letter_max_body, 0, 16 * 1024 * 1024);
  reader.string("latest_topic", kafka.latest_topic);
  if (!kafka.latest_topic.empty() && (!valid_topic(kafka.latest_topic) || kafka.latest_topic.find('{') != std::string::npos))
    reader.expected("latest_topic", *table.get("latest_topic"), "a Kafka topic name ([A-Za-z0-9._-]+)");
  if (const auto* props = reader.table("properties")) {
    for (auto&& [key, node] : *props) {
      if (auto v = node.value<std::string>(); v && node.is_string()) {
        // Exactly the check KafkaSink makes at start-up, so check-config
        // finds what run would refuse.
        if (auto why = sinks::kafka_setting_error(std::string(key.str()), *v); !why.empty())
          reader.error_at(node.source(), "kafka.properties." + std::string(key.str()) + ": " + why);
        else
          kafka.properties[std::string(key.str())] = *v;
      } else
        reader.error_at(node.source(), "kafka.properties." + std::string(key.str()) +
                                           ": expected a string (librdkafka setting value)");
    }
  }
  reader.reject_unknown();
}

void read_fetch(const toml::table& table, const std::string& file,
                std::vector<ConfigError>& errors, FetchConfig& fetch) {
  TableReader reader(table, "fetch", file, errors);
  reader.string("user_agent", fetch.user_agent);
  reader.boolean("allow_private_networks", fetch.allow_private_networks);
  reader.duration("connect_timeout", fetch.connect_timeout, 1ms, kMaxConnectTimeout);
  reader.duration("timeout", fetch.timeout, 1ms, kMaxFetchTimeout);
  reader.integer("max_body_bytes", fetch.max_body_bytes, 1024, std::int64_t(1) << 32);
  reader.integer("max_connections_per_host", fetch.max_connections_per_host, 1, 64);
  reader.duration("min_host_delay", fetch.min_host_delay, 0ms, kMaxHostDelay);
  reader.string("proxy", fetch.proxy);
  if (table.contains("proxy") && !valid_proxy(fetch.proxy))
    reader.expected("proxy", *table.get("proxy"),
                    "a proxy URL such as \"http://proxy:3128\" or \"socks5h://proxy:1080\"");
  read_headers(reader, "headers", fetch.headers);
  reader.string("robots", fetch.robots);
  if (table.contains("robots") && fetch.robots != "pages" && fetch.robots != "all" && fetch.robots != "off")
    reader.expected("robots", *table.get("robots"), "\"pages\" (feeds exempt), \"all\" or \"off\"");
  reader.reject_unknown();
}

void read_http(const toml::table& http, const std::string& file, std::vector<ConfigError>& errors,
               HttpConfig& out) {
  TableReader r(http, "http", file, errors);
  r.string("listen", out.listen);
  if (http.contains("listen") && !valid_listen(out.listen))
    r.expected("listen", *http.get("listen"), "host:port with an IP address or localhost as host, such as \"127.0.0.1:9464\" or \"[::1]:9464\"");
  r.reject_unknown();
}

void read_dedupe(const toml::table& dedupe, const std::string& file, std::vector<ConfigError>& errors,
                 DedupeConfig& out) {
  TableReader r(dedupe, "dedupe", file, errors);
  r.duration("ttl", out.ttl, std::chrono::minutes(1), kMaxDedupeTtl);
  r.integer("max_entries", out.max_entries, 1000, 1'000'000'000);
  r.integer("max_distance", out.max_distance, 0, 8);
  r.reject_unknown();
}

bool valid_group(std::string_view group) {
  return !group.empty() && group.size() <= 200 && std::all_of(group.begin(), group.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '.' || c == '_' || c == '-';
         });
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "newsd";
  return name;
}

void read_cluster(const toml::table& cluster, const std::string& file, std::vector<ConfigError>& errors,
                  ClusterConfig& out) {
  TableReader r(cluster, "cluster", file, errors);
  out.enabled = true;
  r.string("group", out.group);
  if (!valid_group(out.group)) {
    if (const auto* node = cluster.get("group"))
      r.expected("group", *node, "a consumer group id ([A-Za-z0-9._-]+, at most 200 characters)");
    else
      r.error_at(cluster.source(), "cluster.group: missing; every instance of one cluster names the same group");
  }
  r.integer("shards", out.shards, 1, 10'000);
  r.string("instance_id", out.instance_id);
  if (cluster.contains("instance_id") && !valid_group(out.instance_id))
    r.expected("instance_id", *cluster.get("instance_id"), "an instance id ([A-Za-z0-9._-]+), unique in the group");
  if (out.instance_id.empty()) out.instance_id = host_name();
  r.boolean("exactly_once", out.exactly_once);
  r.duration("session_timeout", out.session_timeout, std::chrono::seconds(3), std::chrono::minutes(5));
  r.duration("transaction_timeout", out.transaction_timeout, std::chrono::seconds(5), std::chrono::minutes(15));
  r.reject_unknown();
}

const std::set<std::string>& log_levels() {
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  return levels;
}

// [log.components]: a level per known component or per source.ID.
void read_log_components(TableReader& r, const toml::table& components, LogConfig& out) {
  for (auto&& [key, node] : components) {
    std::string name(key.str());
    auto level = node.value<std::string>();
    bool known = is_log_component(name) ||
                 (name.starts_with("source.") && valid_source_id(name.substr(7)));
    if (!known)
      r.error_at(key.source(), "log.components." + name +
                                   ": unknown component; expected newsd, kafka, source, "
                                   "source.ID, http, systemd, config or state");
    else if (!level || !node.is_string() || !log_levels().contains(*level))
      r.error_at(node.source(), "log.components." + name +
                                    ": expected one of trace, debug, info, warn, error, off");
    else
      out.components[name] = *level;
  }
}

void read_log(const toml::table& log, const std::string& file, std::vector<ConfigError>& errors, LogConfig& out) {
  TableReader r(log, "log", file, errors);
  r.string("level", out.level);
  if (log.contains("level") && !log_levels().contains(out.level))
    r.expected("level", *log.get("level"), "one of trace, debug, info, warn, error, off");
  r.string("format", out.format);
  if (log.contains("format") && out.format != "auto" && out.format != "text" && out.format != "json")
    r.expected("format", *log.get("format"), "one of auto, text, json");
  if (const auto* components = r.table("components")) read_log_components(r, *components, out);
  r.reject_unknown();
}

// [[sources]]; a duplicate id is reported once, at its second definition.
void read_sources(TableReader& reader, const toml::node& node, const std::string& file,
                  const std::filesystem::path& base_dir, std::vector<ConfigError>& errors,
                  std::vector<SourceConfig>& sources) {
  const auto* array = node.as_array();
  if (!array || !array->is_array_of_tables()) {
    reader.expected("sources", node, "an array of tables ([[sources]])");
    return;
  }
  int index = 0;
  std::map<std::string, int> first_lines;
  std::set<std::string> reported_ids;
  for (const auto& element : *array)
    read_source(*element.as_table(), index++, file, base_dir, errors, sources, first_lines, reported_ids);
}

}  // namespace

std::string ConfigError::to_string() const {
  std::ostringstream out;
  out << file;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": " << message;
  return out.str();
}

std::string_view to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::html: return "html";
    case SourceKind::sitemap: return "sitemap";
    case SourceKind::feed: break;
  }
  return "feed";
}

std::string_view to_string(SinkKind kind) {
  return kind == SinkKind::kafka ? "kafka" : "jsonl";
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return std::chrono::milliseconds{0};
  // Saturating arithmetic: "99999999999999999999d" is "too long", never a
  // wrapped-around short or negative duration.
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    std::int64_t number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      const int digit = text[i] - '0';
      number = number > (kSaturated - digit) / 10 ? kSaturated : number * 10 + digit;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    auto unit = text.substr(unit_start, i - unit_start);
    std::int64_t unit_ms = 0;
    if (unit == "ms")
      unit_ms = 1;
    else if (unit == "s")
      unit_ms = 1000;
    else if (unit == "m")
      unit_ms = 60'000;
    else if (unit == "h")
      unit_ms = 3'600'000;
    else if (unit == "d")
      unit_ms = 86'400'000;
    else
      return std::nullopt;
    total = number > (kSaturated - total) / unit_ms ? kSaturated : total + number * unit_ms;
  }
  return std::chrono::milliseconds(total);
}

ConfigLoad parse_config(std::string_view text, const std::string& file,
                        const std::filesystem::path& base_dir) {
  ConfigLoad load;
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    load.errors.push_back({file, static_cast<int>(e.source().begin.line),
                           static_cast<int>(e.source().begin.column),
                           "not valid TOML: " + std::string(e.description())});
    return load;
  }

  Config config;
  config.path = file;
  auto& errors = load.errors;
  TableReader reader(root, "", file, errors);
  // An empty state_dir would silently mean the default: say so instead.
  if (const auto* node = root.get("state_dir"); node && node->is_string() && node->value<std::string>()->empty())
    reader.expected("state_dir", *node, "a directory path (default \"/var/lib/newsd\"); \"\" is none");
  reader.path("state_dir", config.state_dir, base_dir);
  reader.path("templates_dir", config.templates_dir, base_dir);

  if (const auto* http = reader.table("http")) read_http(*http, file, errors, config.http);
  if (const auto* sink = reader.table("sink")) read_sink(*sink, file, base_dir, errors, config.sink);
  if (const auto* kafka = reader.table("kafka")) read_kafka(*kafka, file, errors, config.kafka);
  if (const auto* fetch = reader.table("fetch")) read_fetch(*fetch, file, errors, config.fetch);
  if (const auto* dedupe = reader.table("dedupe")) read_dedupe(*dedupe, file, errors, config.dedupe);
  if (const auto* log = reader.table("log")) read_log(*log, file, errors, config.log);
  if (const auto* cluster = reader.table("cluster")) {
    read_cluster(*cluster, file, errors, config.cluster);
    // The cluster coordinates through the brokers newsd produces to.
    if (config.sink.kind != SinkKind::kafka || config.kafka.brokers == "embedded")
      reader.error_at(cluster->source(), "[cluster] needs [sink] kind = \"kafka\" and real [kafka] brokers "
                                         "(not \"embedded\"): Kafka is the cluster's only coordinator");
  }
  if (const auto* node = reader.take("sources")) read_sources(reader, *node, file, base_dir, errors, config.sources);
  if (config.sources.empty() && errors.empty())
    errors.push_back({file, 0, 0, "no [[sources]] defined; expected at least one"});
  reader.reject_unknown();

  std::sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (errors.empty()) load.config = std::move(config);
  return load;
}

ConfigLoad load_config(const std::filesystem::path& path) {
  // A regular file only: reading a FIFO would block (SIGHUP runs this on the
  // event loop) and a device such as /dev/zero would never end.
  auto read = read_regular_file(path, kMaxConfigBytes);
  if (!read.bytes) {
    ConfigLoad load;
    load.errors.push_back({path.string(), 0, 0, "config file " + read.error});
    return load;
  }
  auto base = std::filesystem::absolute(path).parent_path();
  auto load = parse_config(*read.bytes, path.string(), base);
  // Site templates with mistakes stop `newsd run` (ArticlePages); so they
  // are config mistakes here, for check-config and reloads alike.
  if (load.config && !load.config->templates_dir.empty()) {
    std::vector<std::string> errors;
    load_template_directory(load.config->templates_dir, errors);
    for (auto& error : errors)
      load.errors.push_back({path.string(), 0, 0, "templates_dir: " + std::move(error)});
    if (!errors.empty()) load.config.reset();
  }
  return load;
}

sinks::DedupeOptions dedupe_options(const DedupeConfig& dedupe) {
  sinks::DedupeOptions options;
  options.ttl = std::chrono::duration_cast<std::chrono::seconds>(dedupe.ttl);
  options.max_entries = static_cast<std::size_t>(dedupe.max_entries);
  options.max_distance = static_cast<int>(dedupe.max_distance);
  return options;
}

}  // namespace newsd::daemon
