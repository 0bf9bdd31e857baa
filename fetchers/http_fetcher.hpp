#pragma once
// HttpFetcher: every HTTP(S) transfer of newsd, on one libcurl multi handle
// driven by a Boost.Asio io_context through the multi_socket API (curl names
// the sockets to watch and when its timer fires; asio waits). Thousands of
// transfers in flight on one thread, no thread per request.
//
// Owned by the daemon; lives on one io_context and must only be used from
// that context's thread. fetch() completions run on that thread too.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "fetchers/fetcher.hpp"
#include "parsers/identity/article_identity.hpp"

namespace newsd::fetchers {

struct FetchOptions {
  std::string user_agent = "newsd";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  // A transfer slower than low_speed_bytes per second for low_speed_time is aborted.
  long low_speed_bytes = 1;
  std::chrono::seconds low_speed_time{20};
  std::int64_t max_body_bytes = 16 * 1024 * 1024;  // after decompression
  long max_redirects = 5;
  // Lets every request reach loopback, private, link-local and metadata
  // addresses (see address_guard.hpp); without it only
  // FetchRequest::private_host may.
  bool allow_private_networks = false;
  // Proxy for every request ("http://host:port", "socks5h://host:port");
  // empty = none. The http_proxy / https_proxy / all_proxy / no_proxy
  // environment variables are ignored: a proxy the operator did not
  // configure would carry requests past the SSRF guard. Through a proxy the
  // guard still checks every hop: a literal address as it is, a name as our
  // own resolver answers it (pinned with CONNECT_TO where curl can).
  std::string proxy;
  std::vector<std::string> headers;  // "Name: value", sent with every request
  std::string ca_file;               // PEM bundle to verify servers with; empty = the system's
  // Politeness per host name (see HostPoliteness), shared by every request.
  int max_connections_per_host = 2;
  std::chrono::milliseconds min_host_delay{0};
  // robots.txt: obeyed, per origin and cached for robots_ttl, for every
  // request that does not set skip_robots; for feeds only with robots_for_feeds.
  bool robots = true;
  bool robots_for_feeds = false;
  std::chrono::milliseconds robots_ttl{std::chrono::hours(24)};
  long max_idle_connections = 256;   // connections kept open for reuse
};

class HttpFetcher final : public Fetcher {
 public:
  HttpFetcher(boost::asio::io_context& io, FetchOptions options);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // Starts one transfer; completes when it ends, with a response or an error
  // value (never an exception). Must be awaited on the io_context's thread.
  boost::asio::awaitable<FetchResponse> fetch(FetchRequest request) override;

  // Aborts every transfer in flight; their awaiters complete with `cancelled`.
  // Final: fetches started afterwards complete with `cancelled` at once.
  void shutdown();

  std::size_t in_flight() const;      // transfers on the wire
  std::size_t waiting_for_host() const;  // requests queued behind their host's politeness

 private:
  struct Impl;
  struct HopRules;  // what one transfer of a redirect chain may do (http_fetcher.cpp)

  // One transfer: no robots.txt, no politeness, no guard beyond curl's socket callbacks.
  boost::asio::awaitable<FetchResponse> transfer(FetchRequest request, const HopRules& hop);
  // Through a proxy the sockets go to the proxy, so each hop's target is
  // checked here before the proxy is asked for it, and redirects are
  // followed one transfer at a time.
  boost::asio::awaitable<FetchResponse> follow_through_proxy(FetchRequest request);
  // Whether robots.txt of `origin` lets us fetch `path`; fetches and caches it.
  boost::asio::awaitable<bool> robots_allow(const FetchRequest& request, const std::string& origin,
                                            const std::string& host, const std::string& path);

  std::unique_ptr<Impl> impl_;
};

}  // namespace newsd::fetchers
