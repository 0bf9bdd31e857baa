// Which topics `newsd rebuild-state` reads: the config's topic templates.
#include "daemon/rebuild_state_command.hpp"

#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

TEST(TopicsPattern, TemplatesMatchEveryTopicTheyCanName) {
  const auto pattern = topics_pattern({"news.articles", "news.{source}", "lang-{language}.v1"});
  for (const char* topic : {"news.articles", "news.wafaamagazine", "news.bbc-arabic", "lang-ar.v1", "lang-en.v1"})
    EXPECT_TRUE(std::regex_match(topic, pattern)) << topic;
  for (const char* topic : {"news", "newsXarticles", "other.articles", "news.", "lang-ar.v2", "__consumer_offsets"})
    EXPECT_FALSE(std::regex_match(topic, pattern)) << topic;
}

TEST(TopicsPattern, NoTemplatesMatchNothing) {
  EXPECT_FALSE(std::regex_match("news.articles", topics_pattern({})));
}

}  // namespace
}  // namespace newsd::daemon
