#include "daemon/ops/health_server.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

tcp::endpoint parse_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("http.listen: expected host:port");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("http.listen: '" + host + "' is not an IP address");
  return {address, static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))};
}

using Routes = std::map<std::string, HealthServer::Handler, std::less<>>;

http::response<http::string_body> respond(const http::request<http::string_body>& request,
                                          const HealthServer::ReadinessCheck& readiness,
                                          const Routes& routes) {
  http::response<http::string_body> response;
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.body() = "only GET\n";
  } else if (target == "/healthz") {
    response.result(http::status::ok);
    response.body() = "ok\n";
  } else if (target == "/readyz") {
    auto reasons = readiness ? readiness() : std::vector<std::string>{};
    response.result(reasons.empty() ? http::status::ok : http::status::service_unavailable);
    if (reasons.empty()) response.body() = "ready\n";
    for (const auto& reason : reasons) response.body() += reason + "\n";
  } else if (auto route = routes.find(target); route != routes.end()) {
    auto reply = route->second();
    response.result(static_cast<http::status>(reply.status));
    response.set(http::field::content_type, reply.content_type);
    response.body() = std::move(reply.body);
  } else {
    response.result(http::status::not_found);
    response.body() = "not found\n";
  }
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();  // keeps Content-Length
  return response;
}

asio::awaitable<void> serve(tcp::socket socket, HealthServer::ReadinessCheck readiness,
                            const Routes& routes) {
  boost::beast::tcp_stream stream(std::move(socket));
  boost::beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(std::chrono::seconds(30));
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (read_ec) break;
    auto response = respond(parser.get(), readiness, routes);
    bool keep_alive = response.keep_alive();
    auto [write_ec, written] = co_await http::async_write(stream, response, use_tuple);
    if (write_ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace

HealthServer::HealthServer(asio::io_context& io, const std::string& listen, ReadinessCheck readiness,
                           std::size_t max_connections)
    : io_(io), acceptor_(io), readiness_(std::move(readiness)), max_connections_(max_connections) {
  auto endpoint = parse_listen(listen);
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("http.listen " + listen + ": " + ec.message());
}

void HealthServer::add_route(std::string path, Handler handler) {
  routes_[std::move(path)] = std::move(handler);
}

std::chrono::milliseconds accept_backoff(std::chrono::milliseconds previous) {
  constexpr std::chrono::milliseconds kFirst{100}, kMost{1000};
  if (previous < kFirst) return kFirst;
  return std::min(previous * 2, kMost);
}

void HealthServer::start() { asio::co_spawn(io_, accept_loop(), asio::detached); }

asio::awaitable<void> HealthServer::accept_loop() {
  std::chrono::milliseconds backoff{0};
  asio::steady_timer pause(io_);
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      accept_errors_.fetch_add(1, std::memory_order_relaxed);
      // Out of descriptors (or kernel memory): the pending connection stays
      // in the backlog and accept fails again at once. Wait instead of
      // spinning; it is taken once a descriptor frees up.
      const int code = ec.value();
      if (ec.category() == boost::system::system_category() &&
          (code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM)) {
        if (backoff.count() == 0) spdlog::warn("http: cannot accept connections: {}; backing off", ec.message());
        backoff = accept_backoff(backoff);
        pause.expires_after(backoff);
        auto [wait_ec] = co_await pause.async_wait(use_tuple);
        if (wait_ec || !acceptor_.is_open()) co_return;
      }
      continue;
    }
    if (backoff.count() != 0) spdlog::info("http: accepting connections again");
    backoff = std::chrono::milliseconds{0};
    if (connections_ >= max_connections_) {
      // Closed unanswered: a flood of idle connections must not hold every
      // descriptor, and the ones being served finish normally.
      refused_.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++connections_;
    asio::co_spawn(io_, serve(std::move(socket), readiness_, routes_),
                   [this](std::exception_ptr) { --connections_; });
  }
}

void HealthServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

}  // namespace newsd::daemon
