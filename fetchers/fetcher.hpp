#pragma once
// The fetch stage's seam: anything that turns a FetchRequest into a
// FetchResponse (HttpFetcher for http(s), FileFetcher for `file:` sources, a
// fake in tests), and the one reading of a response every caller shares.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

namespace newsd::fetchers {

struct FetchRequest {
  std::string url;                 // http:// or https:// only
  std::string if_none_match;       // ETag from the previous 200, sent as If-None-Match
  std::string if_modified_since;   // Last-Modified from the previous 200
  std::vector<std::string> extra_headers;  // "Name: value"
  // The one host (as in a URL, lower case, IPv6 without brackets) whose
  // private addresses this request may reach: a source's own configured
  // host when the source sets allow_private_networks. A redirect or an
  // article link to any other private host is refused. Empty = none.
  std::string private_host;        // (parsers::url_host of the source URL)
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
  unreadable_file,  // a `file:` source that cannot be read
  other,
};

const char* to_string(FetchError error);

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

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Completes with a response or an error value, never an exception; on the
  // event loop's thread.
  virtual boost::asio::awaitable<FetchResponse> fetch(FetchRequest request) = 0;
};

// What a response means to whoever asked for a document.
struct FetchVerdict {
  enum class Kind { ok, not_modified, failed };
  Kind kind = Kind::failed;
  // When failed: the kind of failure without the details that vary per
  // attempt ("timeout", "HTTP 503"), for metrics and for telling a new
  // failure from the same one again; and the whole message, for logs.
  std::string error_kind;
  std::string error;

  bool ok() const { return kind == Kind::ok; }
};

// 2xx is ok, 304 not modified; any other status and every transport error
// (including a cancelled fetch) is a failure.
FetchVerdict classify(const FetchResponse& response);

// Whether the failure says the host could not be reached at all (name,
// connection, timeout): evidence of a network outage rather than of one
// site's trouble.
bool unreachable(const FetchResponse& response);

}  // namespace newsd::fetchers
