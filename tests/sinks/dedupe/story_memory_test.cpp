// StoryMemory: the story index's owner on the event loop. What it adds to
// DedupeIndex (tested on its own in dedupe_index_test.cpp): acknowledged
// versions applied before the next verdict, the delivery state's unapplied
// journal applied at construction (a crash between the outbox's commit and
// its own), the expiry sweep, and a failed write reported as nothing.
#include "sinks/dedupe/story_memory.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "sinks/outbox/outbox.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/test_dir.hpp"

namespace newsd::daemon {
namespace {

using namespace std::chrono_literals;
using sinks::Novelty;
using testing::FakeSink;
using testing::run_until;

constexpr std::uint64_t kTitle = 0x1111'2222'3333'4444ULL;
constexpr std::uint64_t kEditedTitle = 0x5555'6666'7777'8888ULL;

class StoryMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-story-memory-");
    state_ = std::make_unique<sinks::DeliveryState>(dir_ / "delivery");
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path stories() const { return dir_ / "stories"; }

  static std::string id(int n) {
    std::string hex(32, '0');
    std::string digits = std::to_string(n);
    hex.replace(hex.size() - digits.size(), digits.size(), digits);
    return hex;
  }

  // An article of source s1 (views `article`: keep it alive); bodies of
  // different articles are far apart.
  static sinks::Observation observation_of(const std::string& article, std::uint64_t title = kTitle) {
    return {article, "s1", title, 0x9e37'79b9'7f4a'7c15ULL * (std::stoull(article) + 1), {}, 120};
  }
  struct Sighting {
    std::string id;
    std::uint64_t title = kTitle;
    sinks::Observation observation() const { return observation_of(id, title); }
  };

  static std::optional<sinks::Verdict> observe(StoryMemory& memory, const Sighting& sighting) {
    auto observation = sighting.observation();
    boost::asio::io_context io;  // observe() is a coroutine; without a writer thread it runs inline
    auto verdicts = testing::run_task(io, memory.observe(std::span<const sinks::Observation>(&observation, 1)));
    if (!verdicts) return std::nullopt;
    return verdicts->front();
  }

  // Acknowledges (id, version) through an Outbox, as Kafka's delivery report
  // does, without telling any story memory: the outbox's commit happened,
  // the story memory's did not (a crash between the two).
  void acknowledge_through_outbox(const std::string& article, std::uint32_t version) {
    boost::asio::io_context io;
    FakeSink sink;
    Outbox outbox(io, *state_, sink, 10);
    std::vector<std::pair<std::string, sinks::OutRecord>> records{
        {article, sinks::OutRecord{"news", article, "{}", {{"version", std::to_string(version)}}}}};
    ASSERT_EQ(outbox.submit(records), 1u);
    ASSERT_TRUE(run_until(io, [&] { return sink.produced.size() == 1; }));
    sink.deliver_all();
    ASSERT_TRUE(run_until(io, [&] { return outbox.size() == 0; }));
  }

  using Journal = std::vector<std::pair<std::string, std::uint32_t>>;

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::unique_ptr<sinks::DeliveryState> state_;
};

TEST_F(StoryMemoryTest, APublishedArticleObservedAgainIsUnchanged) {
  StoryMemory memory(io_, stories(), {}, *state_);
  const Sighting article{id(1)};

  auto first = observe(memory, article);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->novelty, Novelty::new_article);
  EXPECT_EQ(first->version, 1u);
  // Not acknowledged yet: the verdict repeats (nothing is lost if the
  // record never reaches Kafka).
  auto repeated = observe(memory, article);
  ASSERT_TRUE(repeated);
  EXPECT_EQ(repeated->novelty, Novelty::new_article);

  acknowledge_through_outbox(article.id, 1);
  ASSERT_EQ(state_->unapplied(), (Journal{{article.id, 1}}));
  memory.published(article.id, 1);
  ASSERT_TRUE(run_until(io_, [&] { return state_->unapplied().empty(); }))
      << "the story memory's commit did not clear the journal";

  auto again = observe(memory, article);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->novelty, Novelty::unchanged);
  EXPECT_EQ(again->version, 1u);
}

TEST_F(StoryMemoryTest, AnAcknowledgementIsAppliedBeforeTheNextVerdictEvenBeforeItsCommitRan) {
  StoryMemory memory(io_, stories(), {}, *state_);
  const Sighting article{id(2)};
  ASSERT_TRUE(observe(memory, article));
  memory.published(article.id, 1);
  // The batched commit is posted, not run: observe() must apply it first.
  auto again = observe(memory, article);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->novelty, Novelty::unchanged);
}

TEST_F(StoryMemoryTest, AnAcknowledgementJournaledBeforeACrashIsAppliedAtConstruction) {
  const Sighting article{id(3)};
  {
    StoryMemory memory(io_, stories(), {}, *state_);
    auto first = observe(memory, article);
    ASSERT_TRUE(first);
    ASSERT_EQ(first->novelty, Novelty::new_article);
  }
  // Kafka acknowledged version 1; the outbox recorded it (and journaled it
  // for the story memory), then newsd died before the story memory's commit.
  acknowledge_through_outbox(article.id, 1);
  ASSERT_EQ(state_->unapplied(), (Journal{{article.id, 1}}));
  state_.reset();
  state_ = std::make_unique<sinks::DeliveryState>(dir_ / "delivery");

  StoryMemory memory(io_, stories(), {}, *state_);
  EXPECT_TRUE(state_->unapplied().empty()) << "the journal was not applied and cleared at start";
  auto again = observe(memory, article);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->novelty, Novelty::unchanged) << "a delivered version would be produced again";
  EXPECT_EQ(again->version, 1u);
  // And an edit is a new version after the delivered one, not a
  // replacement of it (one (id, version) never has two values).
  auto edited = observe(memory, Sighting{article.id, kEditedTitle});
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->novelty, Novelty::updated);
  EXPECT_EQ(edited->version, 2u);
}

TEST_F(StoryMemoryTest, StartingExpiryForgetsStoriesNotSeenWithinTheTtlAtOnce) {
  const auto now = std::chrono::system_clock::now();
  const Sighting old_story{id(4)}, recent_story{id(5)};
  {
    // The index as an earlier run left it: one story last seen two hours ago.
    sinks::DedupeIndex index(stories());
    ASSERT_TRUE(index.observe(old_story.observation(), now - 2h));
    ASSERT_TRUE(index.observe(recent_story.observation(), now));
    std::vector<sinks::PublishedVersion> published{{old_story.id, 1}, {recent_story.id, 1}};
    ASSERT_TRUE(index.mark_published(published));
  }
  sinks::DedupeOptions options;
  options.ttl = 1h;
  {
    StoryMemory memory(io_, stories(), options, *state_);
    memory.start_expiry();
    memory.close();
  }
  sinks::DedupeIndex index(stories(), options);
  EXPECT_FALSE(index.find(old_story.id)) << "not swept";
  EXPECT_TRUE(index.find(recent_story.id));
}

TEST_F(StoryMemoryTest, AWriteTheIndexCannotMakeGivesNoVerdicts) {
  // The map starts tiny and may double only a few times: a batch far larger
  // than it can ever hold fails to commit.
  sinks::DedupeOptions options;
  options.map_size = 32 * 1024;
  StoryMemory memory(io_, stories(), options, *state_);
  ASSERT_TRUE(observe(memory, Sighting{id(6)})) << "a small write fits";

  // Long word lists make each entry about 1 KiB; own headlines keep the
  // lookups cheap.
  std::vector<std::uint32_t> words(255);
  for (std::uint32_t w = 0; w < words.size(); ++w) words[w] = w + 1;
  std::vector<std::string> ids;
  for (int n = 0; n < 30'000; ++n) ids.push_back(id(100 + n));
  std::vector<sinks::Observation> batch;
  for (const auto& article : ids) {
    batch.push_back(observation_of(article, kTitle + batch.size()));
    batch.back().title_words = words;
  }
  EXPECT_FALSE(testing::run_task(io_, memory.observe(batch))) << "a failed write must not give verdicts";

  // Nothing of the failed batch was recorded; the memory still works.
  auto after = observe(memory, Sighting{ids.front()});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->novelty, Novelty::new_article);
}

}  // namespace
}  // namespace newsd::daemon
