#include "daemon/commands/rebuild_state_command.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>
#include <set>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include "daemon/config/config.hpp"
#include "daemon/ops/state_dir_lock.hpp"
#include "sinks/dedupe/story_memory.hpp"
#include "parsers/articles/article.hpp"
#include "parsers/text/text_fingerprint.hpp"
#include "sinks/dedupe/dedupe_index.hpp"
#include "sinks/dedupe/story_restorer.hpp"
#include "sinks/outbox/delivery_state.hpp"
#include "sinks/kafka/kafka_topic_reader.hpp"

namespace newsd::daemon {
namespace {

constexpr const char* kHelp = R"(usage: newsd rebuild-state --config FILE [--timeout SECONDS]

Rebuilds the published set and the story index under the config's state_dir
from the article records newsd wrote to Kafka: every partition of kafka.topic
and of every source's topic (templates such as news.{source} match every
topic they can name), read from the beginning. Afterwards newsd publishes
nothing again that those topics hold, and an edited story continues at the
next version.

Run it with newsd stopped (it takes the state directory's lock), after
moving a damaged or lost state directory away. Records newsd never published
(dropped near duplicates) are judged again when next seen. Feed validators
are not in Kafka: the first poll of each source is a full GET.

Exit codes: 0 rebuilt, 1 failure (Kafka unreachable or too slow, state
directory in use or unusable), 2 usage error, 3 invalid config.
)";

bool topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// `pattern` matches all of `topic`; a placeholder takes one or more topic
// characters (backtracking over its length: templates are short).
bool matches(std::string_view pattern, std::string_view topic) {
  if (pattern.empty()) return topic.empty();
  for (std::string_view placeholder : {"{source}", "{language}"}) {
    if (!pattern.starts_with(placeholder)) continue;
    const auto rest = pattern.substr(placeholder.size());
    for (std::size_t n = 1; n <= topic.size() && topic_char(topic[n - 1]); ++n)
      if (matches(rest, topic.substr(n))) return true;
    return false;
  }
  return !topic.empty() && pattern.front() == topic.front() && matches(pattern.substr(1), topic.substr(1));
}

}  // namespace

bool names_topic(const std::vector<std::string>& templates, std::string_view topic) {
  return std::any_of(templates.begin(), templates.end(),
                     [&](const std::string& pattern) { return matches(pattern, topic); });
}

int run_rebuild_state_command(int argc, char** argv) {
  const char* path = nullptr;
  long timeout_s = 300;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kHelp;
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) path = argv[++i];
    else if (arg == "--timeout" && i + 1 < argc) timeout_s = std::strtol(argv[++i], nullptr, 10);
    else {
      std::cerr << "newsd rebuild-state: unexpected argument '" << arg << "'\n" << kHelp;
      return 2;
    }
  }
  if (path == nullptr || timeout_s <= 0) {
    std::cerr << "newsd rebuild-state: --config FILE is required (and --timeout a positive number)\n";
    return 2;
  }
  auto load = load_config(path);
  for (const auto& error : load.errors) std::cerr << error.to_string() << '\n';
  if (!load.config) return 3;
  const Config& config = *load.config;
  if (config.kafka.brokers == "embedded") {
    std::cerr << "newsd rebuild-state: kafka.brokers is \"embedded\", which keeps nothing across runs\n";
    return 1;
  }
  std::vector<std::string> templates{config.kafka.topic};
  for (const auto& source : config.sources)
    if (!source.topic.empty()) templates.push_back(source.topic);
  try {
    StateDirLock lock(config.state_dir);
    sinks::DeliveryState published(config.state_dir / "delivery");
    sinks::DedupeIndex index(config.state_dir / "dedupe", dedupe_options(config.dedupe));
    sinks::StoryRestorer rebuilder(published, index);
    sinks::KafkaReaderConfig reader{config.kafka.brokers, config.kafka.properties, std::chrono::seconds(timeout_s)};
    auto summary = sinks::read_topics(reader, [&](std::string_view topic) { return names_topic(templates, topic); },
                                      [&](const sinks::ReadRecord& r) { rebuilder.add(r.key, r.value); });
    rebuilder.flush();
    std::string names;
    for (const auto& topic : summary.topics) names += (names.empty() ? "" : ", ") + topic;
    std::cout << "rebuilt " << config.state_dir.string() << " from " << summary.topics.size() << " topics ("
              << (names.empty() ? "none found" : names) << "): " << rebuilder.records() << " article records, "
              << rebuilder.stories() << " stories\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "newsd rebuild-state: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace newsd::daemon
