#include "daemon/ops/health_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <boost/system/error_code.hpp>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace {

using namespace std::chrono_literals;

// A blocking client socket whose reads give up after `timeout`: the
// deadline of every wait in these tests.
int connect_to(unsigned short port, std::chrono::milliseconds timeout = 5s) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends GET /healthz and reads until the response's body; empty when the
// server closed the connection or did not answer in time.
std::string get_healthz(int fd) {
  std::string request = "GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return {};
  std::string response;
  char buffer[1024];
  while (response.find("\r\n\r\nok\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return {};
    response.append(buffer, static_cast<std::size_t>(n));
  }
  return response;
}

// True when the server closed the connection (EOF or reset) before the
// socket's read deadline.
bool closed_by_server(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

class HealthServerTest : public ::testing::Test {
 protected:
  void start(std::size_t max_connections) {
    server_ = std::make_unique<HealthServer>(io_, "127.0.0.1:0", nullptr, max_connections);
    port_ = server_->local_endpoint().port();
    server_->start();
    runner_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    for (int fd : open_) ::close(fd);
    boost::asio::post(io_, [this] { server_->stop(); });
    io_.stop();
    if (runner_.joinable()) runner_.join();
  }

  boost::asio::io_context io_;
  std::unique_ptr<HealthServer> server_;
  unsigned short port_ = 0;
  std::thread runner_;
  std::vector<int> open_;
};

TEST_F(HealthServerTest, AConnectionBeyondTheCapIsClosedAndHealthzAnswersOnceOthersLeave) {
  constexpr std::size_t kCap = 4;
  start(kCap);
  // Each answered request proves its connection is being served (kept alive).
  for (std::size_t i = 0; i < kCap; ++i) {
    int fd = connect_to(port_);
    ASSERT_GE(fd, 0);
    open_.push_back(fd);
    ASSERT_NE(get_healthz(fd).find("200 OK"), std::string::npos) << "connection " << i;
  }
  int extra = connect_to(port_, 2s);
  ASSERT_GE(extra, 0);
  EXPECT_TRUE(closed_by_server(extra)) << "the connection beyond the cap was kept open";
  ::close(extra);
  EXPECT_EQ(server_->refused_connections(), 1u);
  // The ones being served still are.
  EXPECT_NE(get_healthz(open_.front()).find("200 OK"), std::string::npos);

  for (int fd : open_) ::close(fd);
  open_.clear();
  // The server notices the closes asynchronously: retry until it answers.
  bool answered = false;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       !answered && std::chrono::steady_clock::now() < deadline;) {
    int fd = connect_to(port_, 1s);
    if (fd >= 0) {
      answered = get_healthz(fd).find("200 OK") != std::string::npos;
      ::close(fd);
    }
  }
  EXPECT_TRUE(answered) << "/healthz did not answer after the connections closed";
}

// Out of file descriptors, a pending connection makes every accept fail at
// once; the loop must wait between attempts, and serve the connection once
// descriptors are back. In a child process: it lowers RLIMIT_NOFILE.
void accept_out_of_descriptors() {
  boost::asio::io_context io;
  HealthServer server(io, "127.0.0.1:0", nullptr);
  server.start();
  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  // What the loop runs out of descriptors, run once while there are plenty:
  // UBSan (sanitizer builds) checks each dynamic type once, probing memory
  // with a pipe, and caches the answer; its first check out of descriptors
  // would fail and call a valid object invalid.
  io.run_for(20ms);
  spdlog::warn("health server test: {}; next, out of descriptors",
               boost::system::error_code(EMFILE, boost::system::system_category()).message());
  timeval tv{5, 0};
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // No descriptor above the ones open now: the next accept fails (EMFILE).
  int next = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ::close(next);
  rlimit original{};
  ::getrlimit(RLIMIT_NOFILE, &original);
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(next);
  if (::setrlimit(RLIMIT_NOFILE, &tight) != 0) _exit(2);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.local_endpoint().port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) _exit(3);
  io.run_for(300ms);
  const auto errors = server.accept_errors();
  std::fprintf(stderr, "accept errors in 300 ms: %llu\n", static_cast<unsigned long long>(errors));
  // 100 + 200 ms of backoff: about three attempts; a spinning loop makes thousands.
  if (errors < 1 || errors > 10) _exit(4);
  ::setrlimit(RLIMIT_NOFILE, &original);
  std::string answer;
  std::thread reader([&] { answer = get_healthz(client); io.stop(); });
  io.run_for(5s);
  reader.join();
  _exit(answer.find("200 OK") != std::string::npos ? 0 : 5);
}

TEST(HealthServerDeathTest, OutOfDescriptorsTheAcceptLoopBacksOffAndRecovers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(accept_out_of_descriptors(), ::testing::ExitedWithCode(0), "accept errors in 300 ms");
}

TEST(AcceptBackoffTest, StartsAt100msAndDoublesUpToOneSecond) {
  EXPECT_EQ(accept_backoff(0ms), 100ms);
  EXPECT_EQ(accept_backoff(100ms), 200ms);
  EXPECT_EQ(accept_backoff(400ms), 800ms);
  EXPECT_EQ(accept_backoff(800ms), 1000ms);
  EXPECT_EQ(accept_backoff(1000ms), 1000ms);
}

}  // namespace
}  // namespace newsd::daemon
