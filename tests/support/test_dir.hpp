#pragma once
// A directory of the running test's own under the system's temp folder,
// named after the process and the test, and empty: removed if a crashed
// earlier run left it. The test removes it when done.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace newsd::testing_support {

inline std::filesystem::path fresh_test_dir(std::string_view prefix) {
  auto dir = std::filesystem::temp_directory_path() /
             (std::string(prefix) + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace newsd::testing_support
