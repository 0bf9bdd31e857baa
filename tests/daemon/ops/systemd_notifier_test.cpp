#include "daemon/ops/systemd_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

// The service manager's end: a datagram socket bound to a path or an abstract name.
class ManagerSocket {
 public:
  explicit ManagerSocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string raw = name_;
    if (raw.front() == '@') raw.front() = '\0';
    std::memcpy(address.sun_path, raw.data(), raw.size());
    auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + raw.size() +
                                         (raw.front() == '\0' ? 0 : 1));
    if (name_.front() == '/') ::unlink(name_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), length), 0);
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~ManagerSocket() {
    ::close(fd_);
    if (name_.front() == '/') ::unlink(name_.c_str());
  }
  std::string receive() {
    char buffer[4096];
    auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
  }

 private:
  std::string name_;
  int fd_;
};

class SystemdNotifierTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
};

TEST_F(SystemdNotifierTest, WithoutNotifySocketEverythingIsANoOp) {
  ::unsetenv("NOTIFY_SOCKET");
  boost::asio::io_context io;
  SystemdNotifier notifier(io);
  EXPECT_FALSE(notifier.enabled());
  EXPECT_FALSE(notifier.ready("x"));
}

TEST_F(SystemdNotifierTest, SendsStatesToAPathSocket) {
  std::string path = ::testing::TempDir() + "newsd-notify-" + std::to_string(::getpid());
  ManagerSocket manager(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  boost::asio::io_context io;
  SystemdNotifier notifier(io);
  ASSERT_TRUE(notifier.enabled());
  EXPECT_FALSE(notifier.watchdog_timeout());
  EXPECT_TRUE(notifier.ready("3 sources\npolled"));
  EXPECT_EQ(manager.receive(), "READY=1\nSTATUS=3 sources polled");
  EXPECT_TRUE(notifier.stopping("bye"));
  EXPECT_EQ(manager.receive(), "STOPPING=1\nSTATUS=bye");
}

TEST_F(SystemdNotifierTest, PingsTheWatchdogFromTheEventLoopOnAnAbstractSocket) {
  std::string name = "@newsd-notify-test-" + std::to_string(::getpid());
  ManagerSocket manager(name);
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "100000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  boost::asio::io_context io;
  SystemdNotifier notifier(io);
  ASSERT_EQ(notifier.watchdog_timeout(), std::chrono::microseconds(100000));
  notifier.start([] { return "fine"; }, std::chrono::milliseconds(120));
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");  // at once
  io.run_for(std::chrono::milliseconds(400));
  int pings = 0, statuses = 0;
  for (std::string m; !(m = manager.receive()).empty() && pings + statuses < 100;) {
    pings += m == "WATCHDOG=1";
    statuses += m == "STATUS=fine";
    if (pings >= 4 && statuses >= 1) break;
  }
  EXPECT_GE(pings, 4);
  EXPECT_GE(statuses, 1);
  notifier.stop();
}

TEST_F(SystemdNotifierTest, WatchdogMeantForAnotherProcessIsIgnored) {
  ::setenv("NOTIFY_SOCKET", "@newsd-unused", 1);
  ::setenv("WATCHDOG_USEC", "100000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  boost::asio::io_context io;
  SystemdNotifier notifier(io);
  EXPECT_FALSE(notifier.watchdog_timeout());
}

}  // namespace
}  // namespace newsd::daemon
