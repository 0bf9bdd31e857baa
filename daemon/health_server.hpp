#pragma once
// HealthServer: the daemon's local HTTP port (Boost.Beast). /healthz answers
// 200 while the event loop runs; /readyz answers 200, or 503 with the
// reasons the daemon is not ready; other paths (/metrics, /sources, /) are
// routes the daemon adds. Handlers run on the event loop. Runs on the
// daemon's io_context; owned by the daemon.
#include <functional>
#include <map>
#include <string>
#include <vector>

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

  // Binds `listen` ("host:port"); throws std::runtime_error when it cannot
  // (a start-up mistake: port taken, bad address).
  HealthServer(boost::asio::io_context& io, const std::string& listen, ReadinessCheck readiness);

  // Answers GET `path` (exact match, query ignored) with what `handler` returns.
  void add_route(std::string path, Handler handler);

  void start();
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  // What /readyz reports: empty when ready.
  std::vector<std::string> unready() const { return readiness_ ? readiness_() : std::vector<std::string>{}; }

 private:
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ReadinessCheck readiness_;
  std::map<std::string, Handler, std::less<>> routes_;
};

}  // namespace newsd::daemon
