#pragma once
// HealthServer: the daemon's local HTTP port (Boost.Beast). /healthz answers
// 200 while the event loop runs; /readyz answers 200, or 503 with the
// reasons the daemon is not ready. Runs on the daemon's io_context; owned by
// the daemon.
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace newsd::daemon {

class HealthServer {
 public:
  using ReadinessCheck = std::function<std::vector<std::string>()>;  // empty = ready

  // Binds `listen` ("host:port"); throws std::runtime_error when it cannot
  // (a start-up mistake: port taken, bad address).
  HealthServer(boost::asio::io_context& io, const std::string& listen, ReadinessCheck readiness);

  void start();
  void stop();

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  ReadinessCheck readiness_;
};

}  // namespace newsd::daemon
