#include "daemon/ops/state_dir_lock.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"

namespace newsd::daemon {
namespace {

class StateDirLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-lock-");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(StateDirLockTest, CreatesTheDirectoryAndWritesTheHoldersPid) {
  StateDirLock lock(dir_ / "state");
  std::ifstream in(dir_ / "state" / "lock");
  std::string pid;
  std::getline(in, pid);
  EXPECT_EQ(pid, std::to_string(::getpid()));
}

// flock locks belong to an open file description, so a second open in the
// same process contends exactly as a second newsd process would.
TEST_F(StateDirLockTest, ASecondLockFailsNamingTheHoldersPid) {
  StateDirLock first(dir_);
  try {
    StateDirLock second(dir_);
    FAIL() << "a second lock on one state directory was granted";
  } catch (const std::runtime_error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("in use by another newsd"), std::string::npos) << message;
    EXPECT_NE(message.find("pid " + std::to_string(::getpid())), std::string::npos) << message;
  }
}

TEST_F(StateDirLockTest, IsFreeAgainOnceTheHolderIsGone) {
  std::optional<StateDirLock> first(std::in_place, dir_);
  EXPECT_THROW(StateDirLock{dir_}, std::runtime_error);
  first.reset();
  EXPECT_NO_THROW(StateDirLock{dir_});
}

}  // namespace
}  // namespace newsd::daemon
