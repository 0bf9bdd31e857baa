#pragma once
// `newsd rebuild-state --config FILE`: rebuilds what newsd remembers of its
// publications (the published set with each id's version, and the story
// index: versions, headline digests and words, body fingerprints) from the
// article records it wrote to Kafka, so that a lost or damaged state
// directory costs no duplicates. Run with newsd stopped.
#include <string>
#include <string_view>
#include <vector>

namespace newsd::daemon {

// Whether `topic` is one a config's records can go to: kafka.topic or a
// source's topic, each a template whose {source} / {language} stand for one
// or more topic-name characters ([A-Za-z0-9._-]). A whole-name match.
bool names_topic(const std::vector<std::string>& templates, std::string_view topic);

// argv[0] is "rebuild-state". Exit codes: 0 rebuilt, 1 failure (Kafka
// unreachable, state directory in use or unusable), 2 usage, 3 bad config.
int run_rebuild_state_command(int argc, char** argv);

}  // namespace newsd::daemon
