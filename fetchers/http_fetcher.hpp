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
#include <boost/asio/ip/address.hpp>

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
  // addresses; without it only FetchRequest::private_host may.
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

struct FetchRequest {
  std::string url;                 // http:// or https:// only
  std::string if_none_match;       // ETag from the previous 200, sent as If-None-Match
  std::string if_modified_since;   // Last-Modified from the previous 200
  std::vector<std::string> extra_headers;  // "Name: value"
  // The one host (as in a URL, lower case, IPv6 without brackets) whose
  // private addresses this request may reach: a source's own configured
  // host when the source sets allow_private_networks. A redirect or an
  // article link to any other private host is refused. Empty = none.
  std::string private_host;
  std::optional<std::string> proxy;        // overrides FetchOptions::proxy; "" = connect directly
  // Feeds are exempt from robots.txt unless FetchOptions::robots_for_feeds:
  // a feed is published for machines to poll and the operator named each
  // one, as with Google's Feedfetcher; listing and article pages are not.
  bool is_feed = false;
  bool skip_robots = false;  // never check (the robots.txt request itself)
};

// Why a transfer produced no HTTP response.
enum class FetchError {
  none,
  invalid_url,      // not http(s), or unparsable
  resolve,          // DNS failure
  connect,          // connection refused / unreachable
  timeout,          // connect, total or low-speed timeout
  tls,              // certificate or handshake failure
  too_large,        // body over max_body_bytes (after decompression)
  too_many_redirects,
  blocked_address,  // resolved to a private/loopback address without permission
  protocol,         // malformed response, bad chunked encoding, reset connection...
  cancelled,        // the fetcher shut down
  robots_disallowed,  // the site's robots.txt forbids this path to our user agent
  other,
};

const char* to_string(FetchError error);

// True for the addresses the SSRF guard refuses without allow_private_networks:
// unspecified, loopback, private, CGNAT, link-local (cloud metadata), unique
// local, multicast and reserved ranges, and IPv6 forms that embed such an IPv4
// address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
bool is_blocked_address(const boost::asio::ip::address& address);

// The host of `url` as FetchRequest::private_host expects it; empty when
// `url` has none. parsers::url_host under the name the pipeline still
// calls it by.
inline std::string host_of_url(const std::string& url) { return parsers::url_host(url); }

struct FetchResponse {
  FetchError error = FetchError::none;
  std::string error_detail;        // curl's message when error != none
  long status = 0;                 // HTTP status (0 when no response)
  std::string effective_url;       // after redirects
  std::string body;                // decompressed
  std::string content_type;
  std::string content_location;
  std::string etag;
  std::string last_modified;
  std::string retry_after;
  std::string cache_control;
  std::string expires;
  std::string date;
  // Where the requested URL has moved for good: set when the redirects
  // began with 301 / 308 hops; the URL those permanent hops led to.
  std::string permanent_redirect;
  long http_version = 0;           // 10, 11, 20 or 30
  // Where the final response, a redirect curl did not follow, points
  // (absolute); empty otherwise.
  std::string redirect_url;
  long new_connections = 0;        // connections this transfer opened (0 = reused one)
  std::chrono::milliseconds elapsed{0};  // the transfer itself
  std::chrono::milliseconds queued{0};   // waiting for robots.txt and the host's turn before it

  bool ok() const { return error == FetchError::none; }
};

class HttpFetcher {
 public:
  HttpFetcher(boost::asio::io_context& io, FetchOptions options);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // Starts one transfer; completes when it ends, with a response or an error
  // value (never an exception). Must be awaited on the io_context's thread.
  boost::asio::awaitable<FetchResponse> fetch(FetchRequest request);

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
