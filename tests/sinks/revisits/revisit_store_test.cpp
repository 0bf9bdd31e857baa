#include "sinks/revisits/revisit_store.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"

namespace newsd::sinks {
namespace {

Revisit entry(std::string id, std::string source, std::int64_t due) {
  Revisit r;
  r.id = std::move(id);
  r.source = std::move(source);
  r.url = "https://example.org/" + r.id;
  r.topic = "news";
  r.published = due - 900;
  r.due = due;
  return r;
}

class RevisitStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing_support::fresh_test_dir("newsd-revisits-"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(RevisitStoreTest, DueEntriesComeEarliestFirstPerSourceUpToTheLimit) {
  RevisitStore store(dir_);
  std::vector<Revisit> entries{entry("c", "s1", 300), entry("a", "s1", 100), entry("b", "s1", 200),
                               entry("x", "s2", 50), entry("later", "s1", 10'000)};
  ASSERT_TRUE(store.add(entries));
  auto due = store.due("s1", 1000, 10);
  ASSERT_EQ(due.size(), 3u);
  EXPECT_EQ(due[0].id, "a");
  EXPECT_EQ(due[1].id, "b");
  EXPECT_EQ(due[2].id, "c");
  EXPECT_EQ(store.due("s1", 1000, 2).size(), 2u);
  EXPECT_EQ(store.due("s2", 1000, 10).size(), 1u);
  EXPECT_TRUE(store.due("s", 1000, 10).empty()) << "a source whose id is a prefix of another's sees none of its";
}

TEST_F(RevisitStoreTest, AStoryIsScheduledOnceAndItsEntrySurvivesAReopen) {
  {
    RevisitStore store(dir_);
    ASSERT_TRUE(store.add(std::vector{entry("a", "s1", 100)}));
    ASSERT_TRUE(store.add(std::vector{entry("a", "s1", 999)}));  // published again: keeps its schedule
    EXPECT_EQ(store.size(), 1u);
  }
  RevisitStore store(dir_);
  auto found = store.find("a");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->due, 100);
  EXPECT_EQ(found->url, "https://example.org/a");
}

TEST_F(RevisitStoreTest, ReplaceMovesAnEntryToItsNextStepOrForgetsIt) {
  RevisitStore store(dir_);
  auto first = entry("a", "s1", 100);
  ASSERT_TRUE(store.add(std::vector{first}));
  auto next = first;
  next.step = 1;
  next.due = 5000;
  next.etag = "\"e\"";
  ASSERT_TRUE(store.replace(first, next));
  EXPECT_TRUE(store.due("s1", 1000, 10).empty());
  auto due = store.due("s1", 5000, 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].step, 1u);
  EXPECT_EQ(due[0].etag, "\"e\"");
  ASSERT_TRUE(store.replace(next, std::nullopt));
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.find("a"));
}

TEST_F(RevisitStoreTest, TheEntriesOfSourcesNoLongerConfiguredAreForgotten) {
  RevisitStore store(dir_);
  ASSERT_TRUE(store.add(std::vector{entry("a", "gone", 100), entry("b", "gone", 200), entry("c", "kept", 150),
                                    entry("d", "gone2", 50), entry("e", "kept", 300)}));
  auto forgotten = store.retain_sources({"kept"});
  ASSERT_TRUE(forgotten);
  EXPECT_EQ(*forgotten, 3u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.find("a"));
  EXPECT_FALSE(store.find("b"));
  EXPECT_TRUE(store.find("c"));
  EXPECT_EQ(store.due("kept", 1000, 10).size(), 2u);
}

TEST(RevisitEncoding, RoundTripsAndRefusesATruncatedEntry) {
  auto r = entry("a", "s1", 100);
  r.misses = 1;
  r.failures = 2;
  r.last_modified = "Tue, 01 Dec 2026 04:00:00 GMT";
  auto bytes = encode_revisit(r);
  auto back = decode_revisit(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->misses, 1u);
  EXPECT_EQ(back->failures, 2u);
  EXPECT_EQ(back->last_modified, r.last_modified);
  EXPECT_EQ(back->published, r.published);
  EXPECT_FALSE(decode_revisit(std::string_view(bytes).substr(0, bytes.size() - 3)));
}

}  // namespace
}  // namespace newsd::sinks
