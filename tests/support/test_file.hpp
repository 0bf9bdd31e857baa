#pragma once
// The whole of a fixture file, for tests of layers below daemon/ (which has
// the bounded reader production uses, daemon/config/bounded_read.hpp). A
// file that cannot be opened fails the running test.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace newsd::testing_support {

inline std::string read_test_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace newsd::testing_support
