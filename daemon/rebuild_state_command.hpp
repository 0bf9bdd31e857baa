#pragma once
// `newsd rebuild-state --config FILE`: rebuilds what newsd remembers of its
// publications (the published set with each id's version, and the story
// index: versions, headline digests and words, body fingerprints) from the
// article records it wrote to Kafka, so that a lost or damaged state
// directory costs no duplicates. Run with newsd stopped.
#include <regex>
#include <string>
#include <vector>

namespace newsd::daemon {

// The topics a config's records can go to: kafka.topic and every source's
// topic, each a template whose {source} / {language} match any topic-name
// characters. A whole-name match.
std::regex topics_pattern(const std::vector<std::string>& templates);

// argv[0] is "rebuild-state". Exit codes: 0 rebuilt, 1 failure (Kafka
// unreachable, state directory in use or unusable), 2 usage, 3 bad config.
int run_rebuild_state_command(int argc, char** argv);

}  // namespace newsd::daemon
