#pragma once
// HostPoliteness: how newsd treats one web host, whatever asks for it (feed,
// listing and article fetches all queue here): at most N requests in flight
// to the host, a minimum delay between the starts of two requests to it, and
// a pause of every request to it after a 429 / 503 (for its Retry-After, or a
// default). Waiters are served first come, first served.
//
// Owned by HttpFetcher; lives on one io_context and is only used from its
// thread. A Turn is the right to send one request; it gives the slot back
// when destroyed, also after the HostPoliteness itself is gone.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

namespace newsd::fetchers {

struct PolitenessOptions {
  int max_connections_per_host = 2;                 // requests in flight to one host
  std::chrono::milliseconds min_host_delay{0};      // between two request starts to one host
  std::chrono::milliseconds default_pause{std::chrono::seconds(60)};  // 429/503 without Retry-After
  std::chrono::milliseconds max_pause{std::chrono::hours(1)};         // cap on a Retry-After
};

class HostPoliteness {
 private:
  struct State;

 public:
  using Clock = std::chrono::steady_clock;

  // The right to send one request to one host.
  class Turn {
   public:
    Turn() = default;
    Turn(Turn&& other) noexcept;
    Turn& operator=(Turn&& other) noexcept;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn() { release(); }

    explicit operator bool() const { return !host_.empty(); }
    // Gives the slot back now.
    void release();

   private:
    friend class HostPoliteness;
    Turn(std::weak_ptr<State> state, std::string host) : state_(std::move(state)), host_(std::move(host)) {}
    std::weak_ptr<State> state_;
    std::string host_;
  };

  HostPoliteness(boost::asio::io_context& io, PolitenessOptions options);
  ~HostPoliteness();
  HostPoliteness(const HostPoliteness&) = delete;
  HostPoliteness& operator=(const HostPoliteness&) = delete;

  // Waits for a turn at `host` (lower-case host name). Completes with an
  // empty Turn when the wait was cancelled or shutdown() was called.
  boost::asio::awaitable<Turn> acquire(std::string host);

  // The host asked us to stay away (429 / 503): nothing starts there before
  // now + `retry_after` (default_pause when absent, capped at max_pause).
  void pause(const std::string& host, std::optional<std::chrono::milliseconds> retry_after);

  // A longer minimum delay for one host (robots.txt Crawl-delay); never
  // shorter than the configured one.
  void set_host_delay(const std::string& host, std::chrono::milliseconds delay);

  // Wakes every waiter with an empty Turn; later acquire() calls fail at once.
  void shutdown();

  std::size_t waiting() const;
  std::size_t hosts() const;

 private:
  std::shared_ptr<State> state_;
};

// Parses a Retry-After value: delta-seconds, or an HTTP-date read against
// `now` (the server's Date when known). Empty when absent or malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now);

}  // namespace newsd::fetchers
