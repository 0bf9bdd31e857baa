#pragma once
// LoopbackHttpServer: a deliberately small HTTP/1.1 server on 127.0.0.1 and
// an ephemeral port, for fetcher tests. Each path gets a scripted coroutine
// that writes whatever bytes it likes, so the server can also misbehave:
// never answer, trickle, reset the connection, lie about the encoding.
//
// Owned by the test; runs on the test's io_context (the same thread as the
// fetcher under test). Connection coroutines share the server's state through
// a shared_ptr, so they may outlive the server object harmlessly.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace newsd::fetchers {

// One request as the server received it. Header names are lower-cased.
struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string path;  // target without the query
  std::map<std::string, std::string> headers;

  std::string header(const std::string& lower_name) const {
    auto found = headers.find(lower_name);
    return found == headers.end() ? std::string() : found->second;
  }
  bool has_header(const std::string& lower_name) const { return headers.contains(lower_name); }
};

// Response header lines for ServerConnection::respond. A builder rather than
// an initializer list: GCC 12 rejects a braced list of string literals inside
// a co_await expression ("array used as initializer").
class ResponseHeaders {
 public:
  ResponseHeaders add(std::string_view name, std::string_view value) && {
    lines_ += std::string(name) + ": " + std::string(value) + "\r\n";
    return std::move(*this);
  }
  const std::string& lines() const { return lines_; }

 private:
  std::string lines_;
};

// The server side of one accepted connection, handed to a route script.
class ServerConnection {
 public:
  explicit ServerConnection(boost::asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  bool open() const { return socket_.is_open(); }

  // Writes raw bytes; false once the peer is gone.
  boost::asio::awaitable<bool> write(std::string_view bytes) {
    auto [ec, n] = co_await boost::asio::async_write(socket_, boost::asio::buffer(bytes.data(), bytes.size()),
                                                      boost::asio::as_tuple(boost::asio::use_awaitable));
    (void)n;
    co_return !ec;
  }

  // A well-formed response with Content-Length; the connection stays open.
  boost::asio::awaitable<bool> respond(int status, ResponseHeaders headers, std::string_view body) {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n" + headers.lines();
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    // One write: head and body in two segments meet Nagle and delayed ACK (40 ms).
    head.append(body);
    co_return co_await write(head);
  }

  // Reads and discards until the peer closes: a server that never answers.
  boost::asio::awaitable<void> wait_for_peer_close() {
    char scratch[1024];
    for (;;) {
      auto [ec, n] = co_await socket_.async_read_some(boost::asio::buffer(scratch),
                                                       boost::asio::as_tuple(boost::asio::use_awaitable));
      (void)n;
      if (ec) break;
    }
    close();
  }

  boost::asio::awaitable<void> pause(std::chrono::milliseconds duration) {
    boost::asio::steady_timer timer(socket_.get_executor(), duration);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

  // Aborts the connection with a TCP RST instead of an orderly FIN.
  void reset() {
    boost::system::error_code ignored;
    socket_.set_option(boost::asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  static std::string reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 301: return "Moved Permanently";
      case 302: return "Found";
      case 304: return "Not Modified";
      case 404: return "Not Found";
      case 429: return "Too Many Requests";
      case 503: return "Service Unavailable";
      case 500: return "Internal Server Error";
      default: return "Status";
    }
  }

  boost::asio::ip::tcp::socket socket_;
};

using Route = std::function<boost::asio::awaitable<void>(ServerConnection&, const ReceivedRequest&)>;

class LoopbackHttpServer {
 public:
  // `address` may be any of 127/8: a second server on 127.0.0.2 is another
  // host as far as per-host politeness is concerned.
  explicit LoopbackHttpServer(boost::asio::io_context& io, std::string address = "127.0.0.1")
      : state_(std::make_shared<State>(io)), address_(std::move(address)) {
    using boost::asio::ip::tcp;
    tcp::endpoint endpoint(boost::asio::ip::make_address(address_), 0);
    state_->acceptor.open(endpoint.protocol());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(endpoint);
    state_->acceptor.listen();
    port_ = state_->acceptor.local_endpoint().port();
    boost::asio::co_spawn(io, accept_loop(state_), boost::asio::detached);
  }

  ~LoopbackHttpServer() {
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
    for (auto& weak : state_->connections) {
      if (auto connection = weak.lock()) connection->close();
    }
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // Scripts the reply for one path (query ignored). Unknown paths get 404.
  void route(std::string path, Route script) { state_->routes[std::move(path)] = std::move(script); }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view target) const {
    return "http://" + address_ + ":" + std::to_string(port_) + std::string(target);
  }

  const std::vector<ReceivedRequest>& requests() const { return state_->requests; }
  std::size_t count(std::string_view path) const {
    return static_cast<std::size_t>(std::count_if(state_->requests.begin(), state_->requests.end(),
                                                  [&](const ReceivedRequest& r) { return r.path == path; }));
  }
  std::size_t accepted() const { return state_->accepted; }

 private:
  struct State {
    explicit State(boost::asio::io_context& io) : acceptor(io) {}
    boost::asio::ip::tcp::acceptor acceptor;
    std::map<std::string, Route, std::less<>> routes;
    std::vector<ReceivedRequest> requests;
    std::vector<std::weak_ptr<ServerConnection>> connections;
    std::size_t accepted = 0;
  };

  static boost::asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
    for (;;) {
      auto [ec, socket] = co_await state->acceptor.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec == boost::asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
      if (ec) continue;
      ++state->accepted;
      auto connection = std::make_shared<ServerConnection>(std::move(socket));
      state->connections.push_back(connection);
      boost::asio::co_spawn(state->acceptor.get_executor(), serve(state, connection), boost::asio::detached);
    }
  }

  static constexpr std::string_view kEndOfHead = "\r\n\r\n";

  static boost::asio::awaitable<void> serve(std::shared_ptr<State> state,
                                            std::shared_ptr<ServerConnection> connection) {
    std::string buffer;
    while (connection->open()) {
      auto [ec, n] =
          co_await boost::asio::async_read_until(connection->socket(), boost::asio::dynamic_buffer(buffer), kEndOfHead,
                                                 boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) break;
      ReceivedRequest request = parse(std::string_view(buffer).substr(0, n));
      buffer.erase(0, n);
      state->requests.push_back(request);
      auto route = state->routes.find(request.path);
      if (route == state->routes.end()) {
        co_await connection->respond(404, ResponseHeaders{}.add("Content-Type", "text/plain"), "not found");
      } else {
        // Copied: a script may outlive a later route() for the same path.
        Route script = route->second;
        co_await script(*connection, request);
      }
    }
    connection->close();
  }

  static ReceivedRequest parse(std::string_view head) {
    ReceivedRequest request;
    auto next_line = [&head]() {
      const auto end = head.find("\r\n");
      std::string_view line = head.substr(0, end);
      head = end == std::string_view::npos ? std::string_view() : head.substr(end + 2);
      return line;
    };
    const std::string_view request_line = next_line();
    const auto first_space = request_line.find(' ');
    const auto second_space = request_line.find(' ', first_space + 1);
    request.method = std::string(request_line.substr(0, first_space));
    request.target = std::string(request_line.substr(first_space + 1, second_space - first_space - 1));
    request.path = request.target.substr(0, request.target.find('?'));
    for (std::string_view line = next_line(); !line.empty(); line = next_line()) {
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      request.headers[name] = std::string(value);
    }
    return request;
  }

  std::shared_ptr<State> state_;
  std::string address_;
  std::uint16_t port_ = 0;
};

}  // namespace newsd::fetchers
