// Which topics `newsd rebuild-state` reads: the config's topic templates.
#include "daemon/commands/rebuild_state_command.hpp"

#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

TEST(NamesTopic, TemplatesMatchEveryTopicTheyCanName) {
  const std::vector<std::string> templates{"news.articles", "news.{source}", "lang-{language}.v1"};
  for (const char* topic : {"news.articles", "news.wafaamagazine", "news.bbc-arabic", "lang-ar.v1", "lang-en.v1"})
    EXPECT_TRUE(names_topic(templates, topic)) << topic;
  for (const char* topic : {"news", "newsXarticles", "other.articles", "news.", "lang-ar.v2", "lang-.v1",
                            "__consumer_offsets", "news.a b"})
    EXPECT_FALSE(names_topic(templates, topic)) << topic;
}

TEST(NamesTopic, NoTemplatesMatchNothing) { EXPECT_FALSE(names_topic({}, "news.articles")); }

}  // namespace
}  // namespace newsd::daemon
