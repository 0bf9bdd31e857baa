// DedupeIndex on the cases issue 5 names. Texts are fingerprinted by
// parsers/text_fingerprint (tested on real texts in
// tests/parsers/text/text_fingerprint_test.cpp: diacritics -> equal SimHash,
// syndicated furniture -> within 3 bits); here the index is fed SimHashes
// with the same relations, since sink tests link the sinks library only.
#include "sinks/dedupe/dedupe_index.hpp"

#include <bit>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"
#include <unistd.h>

namespace newsd::sinks {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point kT0 = Clock::time_point(std::chrono::seconds(1'705'300'000));  // 2024-01-15

class DedupeIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-dedupe-");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string id(int n) {
    std::string hex = "00000000000000000000000000000000";
    std::string digits = std::to_string(n);
    hex.replace(hex.size() - digits.size(), digits.size(), digits);
    return hex;
  }

  std::filesystem::path dir_;
};

constexpr std::uint64_t kStory = 0x8f3a'51c2'9e07'd46bULL;        // a body's SimHash
constexpr std::uint64_t kOtherStory = 0x1b6e'f027'44d9'a835ULL;   // an unrelated body's
constexpr std::uint64_t kTitle = 0x1111'2222'3333'4444ULL;
constexpr std::uint64_t kEditedTitle = 0x5555'6666'7777'8888ULL;

TEST_F(DedupeIndexTest, SameArticleInTwoFeedsIsOneArticle) {
  DedupeIndex index(dir_);
  auto first = index.observe({id(1), "feed-a", kTitle, kStory}, kT0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->novelty, Novelty::new_article);
  EXPECT_EQ(first->version, 1u);
  ASSERT_TRUE(index.mark_published(std::vector<PublishedVersion>{{id(1), 1}}));
  // The second feed shows a truncated title and an excerpt: same id, same article.
  auto second = index.observe({id(1), "feed-b", kEditedTitle, kOtherStory}, kT0 + 1min);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->novelty, Novelty::unchanged);
  EXPECT_EQ(second->version, 1u);
  EXPECT_EQ(index.find(id(1))->source, "feed-a");
}

TEST_F(DedupeIndexTest, VerdictsRepeatUntilPublished) {
  DedupeIndex index(dir_);
  EXPECT_EQ(index.observe({id(1), "a", kTitle, kStory}, kT0)->novelty, Novelty::new_article);
  // Kafka did not acknowledge yet (or newsd crashed): still new.
  EXPECT_EQ(index.observe({id(1), "a", kTitle, kStory}, kT0 + 1min)->novelty, Novelty::new_article);
  ASSERT_TRUE(index.mark_published(std::vector<PublishedVersion>{{id(1), 1}}));
  EXPECT_EQ(index.observe({id(1), "a", kTitle, kStory}, kT0 + 2min)->novelty, Novelty::unchanged);
}

TEST_F(DedupeIndexTest, EditedTitleIsANewVersion) {
  DedupeIndex index(dir_);
  index.observe({id(1), "a", kTitle, kStory}, kT0);
  index.mark_published(std::vector<PublishedVersion>{{id(1), 1}});
  auto edited = index.observe({id(1), "a", kEditedTitle, kStory}, kT0 + 5min);
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->novelty, Novelty::updated);
  EXPECT_EQ(edited->version, 2u);
  // Seen again before the acknowledgement: the same version, not a third.
  EXPECT_EQ(index.observe({id(1), "a", kEditedTitle, kStory}, kT0 + 6min)->version, 2u);
  index.mark_published(std::vector<PublishedVersion>{{id(1), 2}});
  EXPECT_EQ(index.observe({id(1), "a", kEditedTitle, kStory}, kT0 + 7min)->novelty, Novelty::unchanged);
  // A light copy-edit of the body (2 bits) is not material; a rewrite is.
  EXPECT_EQ(index.observe({id(1), "a", kEditedTitle, kStory ^ 0b101}, kT0 + 8min)->novelty, Novelty::unchanged);
  auto rewritten = index.observe({id(1), "a", kEditedTitle, kOtherStory}, kT0 + 9min);
  EXPECT_EQ(rewritten->novelty, Novelty::updated);
  EXPECT_EQ(rewritten->version, 3u);
}

// Pages carry an exact digest of what a reader sees: a one-word edit the
// SimHash does not notice, or new authors or dates, is a new version.
TEST_F(DedupeIndexTest, AChangedPageDigestIsANewVersionEvenWhenTheSimHashBarelyMoves) {
  DedupeIndex index(dir_);
  const std::string one = id(1);  // the observations' views point here
  Observation page{one, "a", kTitle, kStory};
  page.content_digest = 101;
  index.observe(page, kT0);
  index.mark_published(std::vector<PublishedVersion>{{id(1), 1}});
  EXPECT_EQ(index.observe(page, kT0 + 1min)->novelty, Novelty::unchanged);
  Observation edited = page;
  edited.body_simhash = kStory ^ 0b1;  // within max_distance: not material on its own
  edited.content_digest = 202;
  auto verdict = index.observe(edited, kT0 + 2min);
  EXPECT_EQ(verdict->novelty, Novelty::updated);
  EXPECT_EQ(verdict->version, 2u);
  // No digest (a feed's sighting of it) compares nothing.
  index.mark_published(std::vector<PublishedVersion>{{id(1), 2}});
  Observation feed{one, "a", kTitle, kStory ^ 0b1};
  EXPECT_EQ(index.observe(feed, kT0 + 3min)->novelty, Novelty::unchanged);
}

TEST_F(DedupeIndexTest, AnEntryWithoutADigestTakesTheFirstOneAsItsBaseline) {
  DedupeIndex index(dir_);
  index.observe({id(1), "a", kTitle, kStory}, kT0);  // older entry: no digest
  index.mark_published(std::vector<PublishedVersion>{{id(1), 1}});
  const std::string one = id(1);
  Observation page{one, "a", kTitle, kStory};
  page.content_digest = 7;
  EXPECT_EQ(index.observe(page, kT0 + 1min)->novelty, Novelty::unchanged);
  page.content_digest = 8;
  EXPECT_EQ(index.observe(page, kT0 + 2min)->novelty, Novelty::updated);
}

TEST_F(DedupeIndexTest, SameTextWithAndWithoutDiacriticsIsANearDuplicate) {
  // parsers::simhash gives both spellings the same value (text_fingerprint_test).
  DedupeIndex index(dir_);
  // Both spellings of the headline normalise to one digest too.
  index.observe({id(1), "almanar", kTitle, kStory}, kT0);
  auto copy = index.observe({id(2), "nna", kTitle, kStory}, kT0 + 1min);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->novelty, Novelty::near_duplicate);
  EXPECT_EQ(copy->duplicate_of, id(1));
}

TEST_F(DedupeIndexTest, SyndicatedStoryWithDifferentFurnitureIsANearDuplicate) {
  DedupeIndex index(dir_);
  index.observe({id(1), "reuters", kTitle, kStory}, kT0);
  // Within 3 bits, in every band position: banding must still find it.
  for (int spread = 0; spread < 4; ++spread) {
    std::uint64_t copy = kStory ^ (std::uint64_t{1} << (spread * 16)) ^ (std::uint64_t{1} << ((spread * 16 + 17) % 64)) ^
                         (std::uint64_t{1} << ((spread * 16 + 33) % 64));
    auto verdict = index.observe({id(10 + spread), "annahar", kTitle, copy}, kT0 + 1min);
    ASSERT_TRUE(verdict);
    EXPECT_EQ(verdict->novelty, Novelty::near_duplicate) << spread;
    EXPECT_EQ(verdict->duplicate_of, id(1)) << "a copy of a copy points at the first article";
    EXPECT_EQ(verdict->version, 1u);
  }
  // Four bits apart in four bands, under another headline: another story as far as k = 3 goes.
  std::uint64_t far = kStory ^ 1 ^ (1ULL << 16) ^ (1ULL << 32) ^ (1ULL << 48);
  EXPECT_EQ(index.observe({id(20), "x", kEditedTitle, far}, kT0)->novelty, Novelty::new_article);
  EXPECT_EQ(index.observe({id(21), "x", kTitle, kOtherStory}, kT0)->novelty, Novelty::new_article);
  // No body, no near-duplicate judgement.
  EXPECT_EQ(index.observe({id(22), "x", kTitle, 0}, kT0)->novelty, Novelty::new_article);
  EXPECT_EQ(index.observe({id(23), "x", kTitle, 0}, kT0)->novelty, Novelty::new_article);
  // A dropped duplicate stays a duplicate when seen again; a published one is unchanged.
  EXPECT_EQ(index.observe({id(10), "annahar", kTitle, kStory ^ 0x10001ULL ^ (1ULL << 33)}, kT0 + 2min)->novelty,
            Novelty::near_duplicate);
  index.mark_published(std::vector<PublishedVersion>{{id(11), 1}});
  auto again = index.observe({id(11), "annahar", kTitle, 0}, kT0 + 2min);
  EXPECT_EQ(again->novelty, Novelty::unchanged);
  EXPECT_EQ(again->duplicate_of, id(1));
}

TEST_F(DedupeIndexTest, BatchesSeeTheirOwnEarlierObservations) {
  DedupeIndex index(dir_);
  const std::string one = id(1), two = id(2);  // Observation holds views
  std::vector<Observation> batch{{one, "a", kTitle, kStory}, {two, "a", kTitle, kStory ^ 1}, {one, "a", kTitle, kStory}};
  auto verdicts = index.observe(batch, kT0);
  ASSERT_TRUE(verdicts);
  ASSERT_EQ(verdicts->size(), 3u);
  EXPECT_EQ((*verdicts)[0].novelty, Novelty::new_article);
  EXPECT_EQ((*verdicts)[1].novelty, Novelty::near_duplicate);
  EXPECT_EQ((*verdicts)[2].novelty, Novelty::new_article);  // not yet published
  EXPECT_EQ(index.size(), 2u);
}

TEST_F(DedupeIndexTest, BadIdsAreRefusedAndNothingOfTheBatchIsRecorded) {
  DedupeIndex index(dir_);
  const std::string one = id(1);
  std::vector<Observation> batch{{one, "a", kTitle, kStory}, {"not-an-id", "a", kTitle, kStory}};
  EXPECT_FALSE(index.observe(batch, kT0));
  EXPECT_EQ(index.size(), 0u);
}

TEST_F(DedupeIndexTest, EntriesExpireAfterTheTtlSinceLastSeen) {
  DedupeOptions options;
  options.ttl = 24h;
  options.touch_interval = 1h;
  DedupeIndex index(dir_, options);
  index.observe({id(1), "a", kTitle, kStory}, kT0);
  index.observe({id(2), "a", kTitle, kOtherStory}, kT0);
  // id 1 stays in its feed and is seen again; id 2 is not.
  index.observe({id(1), "a", kTitle, kStory}, kT0 + 20h);
  EXPECT_EQ(index.find(id(1))->last_seen, kT0 + 20h);
  EXPECT_EQ(index.expire(kT0 + 30h), 1u);
  EXPECT_TRUE(index.find(id(1)));
  EXPECT_FALSE(index.find(id(2)));
  EXPECT_FALSE(index.find_near_duplicate(kOtherStory)) << "its bands went with it";
  EXPECT_TRUE(index.find_near_duplicate(kStory));
  // Observing also forgets what has expired.
  index.observe({id(3), "a", kTitle, 0}, kT0 + 50h);
  EXPECT_FALSE(index.find(id(1)));
  EXPECT_EQ(index.size(), 1u);
}

TEST_F(DedupeIndexTest, TouchIntervalLimitsWritesForUnchangedArticles) {
  DedupeOptions options;
  options.touch_interval = 10min;
  DedupeIndex index(dir_, options);
  index.observe({id(1), "a", kTitle, kStory}, kT0);
  index.observe({id(1), "a", kTitle, kStory}, kT0 + 5min);
  EXPECT_EQ(index.find(id(1))->last_seen, kT0);
  index.observe({id(1), "a", kTitle, kStory}, kT0 + 11min);
  EXPECT_EQ(index.find(id(1))->last_seen, kT0 + 11min);
  EXPECT_EQ(index.find(id(1))->first_seen, kT0);
}

TEST_F(DedupeIndexTest, SizeBoundEvictsTheLeastRecentlySeen) {
  DedupeOptions options;
  options.max_entries = 100;
  options.touch_interval = 0s;
  DedupeIndex index(dir_, options);
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> bodies;
  for (int i = 0; i < 150; ++i) {
    bodies.push_back(rng() | 1);
    ASSERT_TRUE(index.observe({id(i), "a", kTitle, bodies.back()}, kT0 + std::chrono::seconds(i)));
    if (i == 120) {
      ASSERT_TRUE(index.observe({id(0), "a", kTitle, bodies[0]}, kT0 + std::chrono::seconds(i)));
    }
  }
  EXPECT_EQ(index.size(), 100u);
  EXPECT_TRUE(index.find(id(0))) << "seen again recently";
  EXPECT_FALSE(index.find(id(1)));
  EXPECT_FALSE(index.find(id(50)));
  EXPECT_TRUE(index.find(id(51)));
  EXPECT_TRUE(index.find(id(149)));
  EXPECT_FALSE(index.find_near_duplicate(bodies[20]));
  EXPECT_TRUE(index.find_near_duplicate(bodies[140]));
}

TEST_F(DedupeIndexTest, ReopeningKeepsEverything) {
  {
    DedupeIndex index(dir_);
    index.observe({id(1), "a", kTitle, kStory}, kT0);
    index.mark_published(std::vector<PublishedVersion>{{id(1), 1}});
    index.observe({id(1), "a", kEditedTitle, kStory}, kT0 + 1min);  // version 2, not yet acknowledged
    index.observe({id(2), "b", kEditedTitle, kStory ^ 4}, kT0 + 2min);
  }
  DedupeIndex index(dir_);
  EXPECT_EQ(index.size(), 2u);
  auto entry = index.find(id(1));
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->version, 2u);
  EXPECT_EQ(entry->published_version, 1u);
  EXPECT_EQ(entry->first_seen, kT0);
  EXPECT_EQ(entry->source, "a");
  // The unacknowledged version is offered again after the restart.
  auto again = index.observe({id(1), "a", kEditedTitle, kStory}, kT0 + 3min);
  EXPECT_EQ(again->novelty, Novelty::updated);
  EXPECT_EQ(again->version, 2u);
  EXPECT_EQ(index.find(id(2))->duplicate_of, id(1));
  EXPECT_EQ(index.find_near_duplicate(kStory ^ 2)->id, id(1));
  auto stats = index.stats();
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_GT(stats.file_bytes, stats.entry_bytes + stats.band_bytes + stats.time_bytes);
}

TEST_F(DedupeIndexTest, TheMapGrowsWhenFull) {
  DedupeOptions options;
  options.map_size = 64 * 1024;  // a few pages
  DedupeIndex index(dir_, options);
  std::vector<Observation> batch;
  std::vector<std::string> ids;
  for (int i = 0; i < 2000; ++i) ids.push_back(id(i));
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) batch.push_back({ids[static_cast<std::size_t>(i)], "a", kTitle, rng() | 1});
  for (std::size_t start = 0; start < batch.size(); start += 500)
    ASSERT_TRUE(index.observe(std::span<const Observation>(batch).subspan(start, 500), kT0));
  EXPECT_EQ(index.size(), 2000u);
}

// Headline word sets (parsers::title_words gives sorted hashes; any sorted
// distinct values do here).
const std::vector<std::uint32_t> kMarketWords{11, 12, 13, 14, 15, 16};      // "Stocks fall as the Fed ..."
const std::vector<std::uint32_t> kRetitledWords{11, 12, 13, 14, 15, 17, 18};  // the same words, a kicker added
const std::vector<std::uint32_t> kStadiumWords{21, 22, 23, 24, 25};          // another story
const std::vector<std::uint32_t> kFloodWords{31, 32, 33, 34};                // a third
constexpr std::uint64_t kMarketTitle = 0xa1, kRetitledTitle = 0xa2, kStadiumTitle = 0xb1, kFloodTitle = 0xc1;
constexpr std::uint64_t kTeaser = 0x2c4d'6e8f'1a3b'5c7dULL;  // "This article is for subscribers only..."

TEST_F(DedupeIndexTest, ATeaserBodyUnderDifferentHeadlinesDoesNotMergeStories) {
  DedupeIndex index(dir_);
  const std::string one = id(1), two = id(2), three = id(3);
  std::vector<Observation> poll{{one, "paper", kMarketTitle, kTeaser, kMarketWords, 40},
                                {two, "paper", kStadiumTitle, kTeaser, kStadiumWords, 40},
                                {three, "paper", kFloodTitle, kTeaser ^ 1, kFloodWords, 40}};
  auto verdicts = index.observe(poll, kT0);
  ASSERT_TRUE(verdicts);
  for (const auto& verdict : *verdicts) EXPECT_EQ(verdict.novelty, Novelty::new_article);
  EXPECT_TRUE(index.find(one)->furniture) << "one site, one body, two headlines: furniture";
  EXPECT_TRUE(index.find(three)->furniture);
  // The same teaser under the same headline elsewhere is still the same story.
  auto copy = index.observe({id(4), "aggregator", kMarketTitle, kTeaser, kMarketWords, 40}, kT0 + 1min);
  EXPECT_EQ(copy->novelty, Novelty::near_duplicate);
  EXPECT_EQ(copy->duplicate_of, one);
}

TEST_F(DedupeIndexTest, ALongBodyIsOneStoryUnderAnotherOutletsHeadline) {
  DedupeIndex index(dir_);
  index.observe({id(1), "reuters", kMarketTitle, kStory, kMarketWords, 450}, kT0);
  auto retitled = index.observe({id(2), "annahar", kStadiumTitle, kStory ^ 2, kStadiumWords, 440}, kT0 + 1min);
  EXPECT_EQ(retitled->novelty, Novelty::near_duplicate);
  EXPECT_EQ(retitled->duplicate_of, id(1));
  // Short: a headline must agree.
  index.observe({id(3), "afp", kMarketTitle, kOtherStory, kMarketWords, 40}, kT0);
  EXPECT_EQ(index.observe({id(4), "nna", kFloodTitle, kOtherStory, kFloodWords, 40}, kT0)->novelty,
            Novelty::new_article);
}

TEST_F(DedupeIndexTest, ALongBodyThatIsASitesFurnitureNeverMergesOnItsOwn) {
  DedupeIndex index(dir_);
  // A 300-word consent wall under two headlines of one site...
  index.observe({id(1), "site", kMarketTitle, kStory, kMarketWords, 300}, kT0);
  EXPECT_EQ(index.observe({id(2), "site", kStadiumTitle, kStory, kStadiumWords, 300}, kT0)->novelty,
            Novelty::new_article);
  // ...and under a third headline from a mirror of the site.
  EXPECT_EQ(index.observe({id(3), "mirror", kFloodTitle, kStory, kFloodWords, 300}, kT0)->novelty,
            Novelty::new_article);
}

TEST_F(DedupeIndexTest, HeadlinesSharingMostWordsAgree) {
  DedupeIndex index(dir_);
  index.observe({id(1), "a", kMarketTitle, kStory, kMarketWords, 30}, kT0);
  auto kicker = index.observe({id(2), "b", kRetitledTitle, kStory ^ 1, kRetitledWords, 30}, kT0);
  EXPECT_EQ(kicker->novelty, Novelty::near_duplicate);
  EXPECT_EQ(kicker->duplicate_of, id(1));
}

TEST_F(DedupeIndexTest, TheSameHeadlineToleratesAnEditedBody) {
  DedupeIndex index(dir_);
  index.observe({id(1), "a", kMarketTitle, kStory, kMarketWords, 300}, kT0);
  // One sentence edited and a furniture line added: 9 bits, beyond the bands' 3.
  std::uint64_t edited = kStory ^ 0x1'0101'0101ULL ^ (0xfULL << 40);
  ASSERT_EQ(std::popcount(edited ^ kStory), 9);
  auto copy = index.observe({id(2), "b", kMarketTitle, edited, kMarketWords, 310}, kT0);
  EXPECT_EQ(copy->novelty, Novelty::near_duplicate);
  // Another day's text under a standing headline ("Weather", "Live updates"): another story.
  EXPECT_EQ(index.observe({id(3), "b", kMarketTitle, kOtherStory, kMarketWords, 300}, kT0)->novelty,
            Novelty::new_article);
  // A headline edit moves the entry to its new headline.
  index.mark_published(std::vector<PublishedVersion>{{id(1), 1}});
  EXPECT_EQ(index.observe({id(1), "a", kFloodTitle, kStory, kFloodWords, 300}, kT0 + 1min)->novelty,
            Novelty::updated);
  auto late = index.observe({id(4), "c", kFloodTitle, edited, kFloodWords, 300}, kT0 + 2min);
  EXPECT_EQ(late->novelty, Novelty::near_duplicate);
  EXPECT_EQ(late->duplicate_of, id(1));
}

TEST_F(DedupeIndexTest, RestoredStoriesAreKnownAtTheirVersion) {
  DedupeIndex index(dir_);
  const std::string one = id(1), two = id(2);
  // Records read back from Kafka, in any order: the highest version wins.
  std::vector<PublishedStory> stories{{{one, "a", kMarketTitle, kStory, kMarketWords, 300}, 2, ""},
                                      {{one, "a", kTitle, kStory, {}, 300}, 1, ""},
                                      {{two, "b", kMarketTitle, kStory ^ 1, kMarketWords, 300}, 1, one}};
  ASSERT_TRUE(index.restore(stories, kT0));
  auto entry = index.find(one);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->version, 2u);
  EXPECT_EQ(entry->published_version, 2u);
  EXPECT_EQ(index.find(two)->duplicate_of, one);
  // Seen again as published: nothing to do; edited: the next version.
  EXPECT_EQ(index.observe({one, "a", kMarketTitle, kStory, kMarketWords, 300}, kT0 + 1min)->novelty,
            Novelty::unchanged);
  auto edited = index.observe({one, "a", kFloodTitle, kStory, kFloodWords, 300}, kT0 + 2min);
  EXPECT_EQ(edited->novelty, Novelty::updated);
  EXPECT_EQ(edited->version, 3u);
  // A new URL of the same story is recognised through the restored index.
  auto copy = index.observe({id(3), "c", kMarketTitle, kStory ^ 2, kMarketWords, 300}, kT0 + 3min);
  EXPECT_EQ(copy->novelty, Novelty::near_duplicate);
}

}  // namespace
}  // namespace newsd::sinks
