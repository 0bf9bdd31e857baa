#include "daemon/config/bounded_read.hpp"

#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

TEST(BoundedReadTest, AStreamUpToTheCapIsRead) {
  std::istringstream in(std::string(100'000, 'x'));
  auto read = read_stream(in, 100'000);
  ASSERT_TRUE(read.bytes) << read.error;
  EXPECT_EQ(read.bytes->size(), 100'000u);
}

TEST(BoundedReadTest, AStreamPastTheCapIsAnError) {
  std::istringstream in(std::string(100'001, 'x'));
  auto read = read_stream(in, 100'000);
  EXPECT_FALSE(read.bytes);
  EXPECT_EQ(read.error, "is larger than the limit of 100000 bytes");
}

TEST(BoundedReadTest, ACharacterDeviceIsNotARegularFile) {
  auto read = read_regular_file("/dev/zero", 1024);
  EXPECT_FALSE(read.bytes);
  EXPECT_EQ(read.error, "is not a regular file");
}

TEST(BoundedReadTest, ADirectoryIsSaidToBeOne) {
  auto read = read_regular_file("/", 1024);
  EXPECT_EQ(read.error, "is a directory");
}

}  // namespace
}  // namespace newsd::daemon
