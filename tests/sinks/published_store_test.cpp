#include "sinks/published_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace newsd::sinks {
namespace {

class PublishedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(PublishedStoreTest, RemembersAcrossReopen) {
  {
    PublishedStore store(dir_);
    EXPECT_FALSE(store.contains("a"));
    std::vector<std::string> ids{"a", "b", "c"};
    ASSERT_TRUE(store.mark_published(ids, std::chrono::system_clock::now()));
    EXPECT_TRUE(store.contains("b"));
    EXPECT_EQ(store.size(), 3u);
  }
  PublishedStore reopened(dir_);
  EXPECT_TRUE(reopened.contains("a"));
  EXPECT_TRUE(reopened.contains("c"));
  EXPECT_FALSE(reopened.contains("d"));
  EXPECT_EQ(reopened.size(), 3u);
}

TEST_F(PublishedStoreTest, MarkingTwiceKeepsOneEntry) {
  PublishedStore store(dir_);
  std::vector<std::string> ids{"x"};
  ASSERT_TRUE(store.mark_published(ids, std::chrono::system_clock::now()));
  ASSERT_TRUE(store.mark_published(ids, std::chrono::system_clock::now()));
  EXPECT_EQ(store.size(), 1u);
}

TEST_F(PublishedStoreTest, UnusableDirectoryIsAStartUpError) {
  std::filesystem::create_directories(dir_);
  auto file = dir_ / "plain-file";
  { std::ofstream(file) << "x"; }
  EXPECT_THROW(PublishedStore(file / "state"), std::runtime_error);
}

}  // namespace
}  // namespace newsd::sinks
