#pragma once
// HealthServer: the daemon's local HTTP port (Boost.Beast). /healthz answers
// 200 while the event loop runs; /readyz answers 200, or 503 with the
// reasons the daemon is not ready; other paths (/metrics, /sources, /) are
// routes the daemon adds. Handlers run on the event loop. Runs on the
// daemon's io_context; owned by the daemon.
//
// Under pressure it stays cheap: at most max_connections are served at
// once (a further one is accepted and closed at once, and counted), and
// when the process runs out of file descriptors the accept loop backs off
// instead of spinning on the failing accept.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace newsd::daemon {

class HealthServer {
 public:
  using ReadinessCheck = std::function<std::vector<std::string>()>;  // empty = ready

  struct Reply {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  using Handler = std::function<Reply()>;

  static constexpr std::size_t kDefaultMaxConnections = 64;

  // Binds `listen` ("host:port"); throws std::runtime_error when it cannot
  // (a start-up mistake: port taken, bad address).
  HealthServer(boost::asio::io_context& io, const std::string& listen, ReadinessCheck readiness,
               std::size_t max_connections = kDefaultMaxConnections);

  // Answers GET `path` (exact match, query ignored) with what `handler` returns.
  void add_route(std::string path, Handler handler);

  void start();
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  // What /readyz reports: empty when ready.
  std::vector<std::string> unready() const { return readiness_ ? readiness_() : std::vector<std::string>{}; }

  // Connections closed unanswered because max_connections were being served.
  std::uint64_t refused_connections() const { return refused_.load(std::memory_order_relaxed); }

  // Failed accepts (out of descriptors, mostly): with the backoff, a few a
  // second at most while the shortage lasts.
  std::uint64_t accept_errors() const { return accept_errors_.load(std::memory_order_relaxed); }

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ReadinessCheck readiness_;
  std::map<std::string, Handler, std::less<>> routes_;
  std::size_t max_connections_;
  std::size_t connections_ = 0;  // being served; event loop only
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> accept_errors_{0};
};

// How long the accept loop waits after it ran out of file descriptors,
// given the previous wait (zero after a successful accept): 100 ms,
// doubling up to 1 s.
std::chrono::milliseconds accept_backoff(std::chrono::milliseconds previous);

}  // namespace newsd::daemon
