// HttpFetcher on libcurl's multi_socket API (see http_fetcher.hpp).
//
// The libcurl edge is a handful of noexcept C callbacks; each translates into
// a call on Impl, which only ever runs on the io_context thread. Completion
// handlers are always posted, never invoked inline, so caller code never runs
// inside libcurl or inside one of our loops over transfers.
#include "fetchers/http_fetcher.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "fetchers/address_guard.hpp"
#include "fetchers/host_politeness.hpp"
#include "fetchers/robots_txt.hpp"
#include "parsers/text/stated_time.hpp"

namespace newsd::fetchers {
namespace {

namespace asio = boost::asio;
using FetchHandler = asio::any_completion_handler<void(FetchResponse)>;

struct CurlMultiDeleter {
  void operator()(CURLM* multi) const noexcept { curl_multi_cleanup(multi); }
};
struct CurlEasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using CurlMultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init is not thread-safe and must run before any other curl
// call; every fetcher in the process shares this one initialisation.
void init_curl_once() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw std::runtime_error(std::string("curl_global_init failed: ") + curl_easy_strerror(result));
  }
}

std::optional<asio::ip::address> address_of(const curl_sockaddr& socket_address) {
  if (socket_address.family == AF_INET && socket_address.addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, &socket_address.addr, sizeof in);
    return asio::ip::address_v4(ntohl(in.sin_addr.s_addr));
  }
  if (socket_address.family == AF_INET6 && socket_address.addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, &socket_address.addr, sizeof in6);
    asio::ip::address_v6::bytes_type bytes{};
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    return asio::ip::address_v6(bytes, in6.sin6_scope_id);
  }
  return std::nullopt;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// What politeness and robots.txt need to know about a request's URL.
struct Target {
  std::string host;    // lower-case host name or address literal, without brackets
  std::string origin;  // scheme://host[:port], for robots.txt
  std::string path;    // path and query
};

std::optional<Target> target_of(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->host().empty()) return std::nullopt;
  Target target;
  target.host = parsers::url_host(url);
  std::string scheme(parsed->scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  target.origin = scheme + "://" + std::string(parsed->encoded_host_and_port());
  target.path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) target.path += "?" + std::string(parsed->encoded_query());
  return target;
}

// One response of a transfer's redirect chain, from the header callback.
struct Hop {
  long status = 0;
  std::string location;
};

// One socket curl asked us to watch. Shared with the pending waits, so a
// readiness handler that fires after curl dropped the socket (or after the fd
// number was closed and reused for a new connection) finds `released` set and
// leaves the new owner of that number alone.
struct SocketWatch {
  SocketWatch(asio::io_context& io, curl_socket_t socket) : descriptor(io), fd(socket) {}
  ~SocketWatch() { release(); }
  SocketWatch(const SocketWatch&) = delete;
  SocketWatch& operator=(const SocketWatch&) = delete;

  // curl owns the fd: stop watching it without closing it.
  void release() {
    released = true;
    if (descriptor.is_open()) descriptor.release();
  }

  asio::posix::stream_descriptor descriptor;
  curl_socket_t fd;
  int wanted = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits curl asked for last
  bool read_armed = false;
  bool write_armed = false;
  bool released = false;
};

enum class Direction { read, write };

// One transfer in flight: its easy handle, the awaiting handler and what the
// curl callbacks collected so far. Owned by Impl::transfers_; CURLOPT_PRIVATE
// and the per-transfer callback data point at it, so it never moves.
struct Transfer {
  // Boost 1.81's any_completion_handler move assignment recurses forever
  // (it forwards an lvalue to its own converting constructor), so the
  // handler is only ever move-constructed.
  Transfer(asio::io_context& io, FetchHandler h) : handler(std::move(h)), work(io.get_executor()) {}

  std::uint64_t id = 0;
  FetchHandler handler;
  asio::cancellation_slot cancellation;
  // A suspended awaiter is not work by itself; keep run() from returning.
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool allow_all_private = false;  // FetchOptions::allow_private_networks
  std::string private_host;        // FetchRequest::private_host
  bool via_proxy = false;  // sockets go to the configured proxy; hops are checked before each transfer
  std::string url;         // as requested
  std::vector<Hop> hops;
  std::size_t max_body_bytes = 0;
  bool body_too_large = false;
  bool out_of_memory = false;
  std::string blocked_detail;  // set when the SSRF guard refused an address
  FetchResponse response;
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  CurlSlistPtr headers;
  CurlSlistPtr connect_to;  // CURLOPT_CONNECT_TO: the address the guard checked, through a proxy
  CurlEasyPtr easy;  // declared last: cleaned up before the header list it points at
};

FetchError classify(CURLcode code, const Transfer& transfer) {
  switch (code) {
    case CURLE_OK:
      return FetchError::none;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return FetchError::invalid_url;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return FetchError::resolve;
    case CURLE_COULDNT_CONNECT:
      // Refusing every address in opensocket surfaces as a connect failure.
      return transfer.blocked_detail.empty() ? FetchError::connect : FetchError::blocked_address;
    case CURLE_ABORTED_BY_CALLBACK:
      // The pre-request check refused a reused connection to a private peer.
      return transfer.blocked_detail.empty() ? FetchError::other : FetchError::blocked_address;
    case CURLE_OPERATION_TIMEDOUT:
      return FetchError::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return FetchError::tls;
    case CURLE_FILESIZE_EXCEEDED:
      return FetchError::too_large;
    case CURLE_OUT_OF_MEMORY:
      // curl's own header buffer (100 KB) is full: the server's fault.
      return transfer.out_of_memory ? FetchError::other : FetchError::protocol;
    case CURLE_WRITE_ERROR:
      return transfer.body_too_large ? FetchError::too_large : FetchError::other;
    case CURLE_TOO_MANY_REDIRECTS:
      return FetchError::too_many_redirects;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_RANGE_ERROR:
    case CURLE_UNRECOVERABLE_POLL:
      return FetchError::protocol;
    default:
      return FetchError::other;
  }
}

std::string header_value(CURL* easy, const char* name) {
  curl_header* header = nullptr;
  // request -1: the last response, i.e. the one after every redirect.
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &header) == CURLHE_OK && header != nullptr &&
      header->value != nullptr) {
    return header->value;
  }
  return {};
}

}  // namespace

const char* to_string(FetchError error) {
  switch (error) {
    case FetchError::none: return "none";
    case FetchError::invalid_url: return "invalid_url";
    case FetchError::resolve: return "resolve";
    case FetchError::connect: return "connect";
    case FetchError::timeout: return "timeout";
    case FetchError::tls: return "tls";
    case FetchError::too_large: return "too_large";
    case FetchError::too_many_redirects: return "too_many_redirects";
    case FetchError::blocked_address: return "blocked_address";
    case FetchError::protocol: return "protocol";
    case FetchError::cancelled: return "cancelled";
    case FetchError::robots_disallowed: return "robots_disallowed";
    case FetchError::unreadable_file: return "unreadable file";
    case FetchError::other: return "other";
  }
  return "unknown";
}

struct HttpFetcher::HopRules {
  bool follow = true;            // let curl follow redirects (its socket callbacks check each hop)
  std::string connect_to;        // "host:port:address:port" the guard resolved, or empty
  bool drop_credentials = false;  // the hop left the requested origin: no Authorization / Cookie
};

namespace {

// What the guard decided about one hop through a proxy.
struct ProxiedHop {
  FetchError error = FetchError::none;
  std::string detail;
  std::string connect_to;  // for CURLOPT_CONNECT_TO when the target was a name
};

std::string private_refusal(const std::string& host, const std::string& address) {
  return "refused " + host + (address.empty() || address == host ? "" : " (" + address + ")") +
         ": private, loopback or link-local networks are not allowed";
}

// The proxy would resolve a name itself, so we resolve it first (on asio's
// resolver thread: getaddrinfo blocks) and refuse when any answer is
// private. A name we cannot resolve is refused too: unchecked, it is unsafe.
asio::awaitable<ProxiedHop> check_proxied_hop(asio::io_context& io, const std::string& url,
                                              const std::string& private_host) {
  ProxiedHop out;
  auto parsed = boost::urls::parse_uri(url);
  const std::string host = parsers::url_host(url);
  if (!parsed || host.empty()) {
    out.error = FetchError::invalid_url;
    out.detail = "cannot parse URL " + url;
    co_return out;
  }
  if (!private_host.empty() && host == private_host) co_return out;
  boost::system::error_code ec;
  const auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    if (is_blocked_address(literal)) {
      out.error = FetchError::blocked_address;
      out.detail = private_refusal(host, "");
    }
    co_return out;
  }
  std::string scheme(parsed->scheme());
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string port = parsed->has_port() ? std::string(parsed->port()) : scheme == "https" ? "443" : "80";
  asio::ip::tcp::resolver resolver(io);
  auto [resolve_error, results] =
      co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
  if (resolve_error || results.empty()) {
    out.error = FetchError::resolve;
    out.detail = "cannot resolve " + host + " to check it before asking the proxy: " +
                 (resolve_error ? resolve_error.message() : std::string("no address"));
    co_return out;
  }
  for (const auto& entry : results) {
    const asio::ip::address address = entry.endpoint().address();
    if (is_blocked_address(address)) {
      out.error = FetchError::blocked_address;
      out.detail = private_refusal(host, address.to_string());
      co_return out;
    }
  }
  const asio::ip::address first = results.begin()->endpoint().address();
  const std::string pinned = first.is_v6() ? "[" + first.to_string() + "]" : first.to_string();
  out.connect_to = host + ":" + port + ":" + pinned + ":" + port;
  co_return out;
}

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace

// The multi handle, the sockets and the one timer curl asked us to watch,
// and every transfer in flight. Owned by HttpFetcher. Handlers that may run
// after it is gone hold a weak_ptr to `alive_` and check it first.
struct HttpFetcher::Impl {
  struct Alive {};

  Impl(asio::io_context& io, FetchOptions options)
      : io_(io),
        options_(std::move(options)),
        politeness_(io, PolitenessOptions{options_.max_connections_per_host, options_.min_host_delay}),
        timer_(io) {
    init_curl_once();
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
    // HTTP/2 streams share one connection per host; the cap backs up
    // HostPoliteness for hops (redirects) that leave the queued host.
    curl_multi_setopt(multi_.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_.get(), CURLMOPT_MAX_HOST_CONNECTIONS,
                      static_cast<long>(std::max(1, options_.max_connections_per_host)));
    // Without this curl keeps 4 idle connections per transfer in flight, and
    // at one quick transfer at a time every poll would open a new one.
    curl_multi_setopt(multi_.get(), CURLMOPT_MAXCONNECTS, std::max(1L, options_.max_idle_connections));
  }

  ~Impl() {
    shutdown();
    // Closes the cached connections; curl reports them through the callbacks
    // above, which still find every member alive.
    multi_.reset();
    for (auto& entry : watches_) entry.second->release();
    watches_.clear();
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  std::weak_ptr<Alive> token() const { return alive_; }

  void start(FetchHandler handler, FetchRequest request, const HopRules& hop) {
    auto transfer = std::make_unique<Transfer>(io_, std::move(handler));
    transfer->id = ++next_id_;
    if (stopped_) {
      transfer->response.error = FetchError::cancelled;
      transfer->response.error_detail = "fetcher shut down";
      complete(*transfer);
      return;
    }
    if (auto error = configure(*transfer, request, hop)) {
      transfer->response.error = error->first;
      transfer->response.error_detail = std::move(error->second);
      complete(*transfer);
      return;
    }
    if (const CURLMcode rc = curl_multi_add_handle(multi_.get(), transfer->easy.get()); rc != CURLM_OK) {
      transfer->response.error = FetchError::other;
      transfer->response.error_detail = curl_multi_strerror(rc);
      complete(*transfer);
      return;
    }
    transfer->cancellation = asio::get_associated_cancellation_slot(transfer->handler);
    if (transfer->cancellation.is_connected()) {
      // The emitter may be anywhere; the abort itself must not run inside
      // whatever curl or asio call emitted it, so it is posted.
      transfer->cancellation.assign(
          [&io = io_, self = this, alive = token(), id = transfer->id](asio::cancellation_type) {
            asio::post(io, [self, alive, id] {
              if (!alive.expired()) self->abort(id, "cancelled by the caller");
            });
          });
    }
    const std::uint64_t id = transfer->id;
    transfers_.emplace(id, std::move(transfer));
  }

  void shutdown() {
    stopped_ = true;
    politeness_.shutdown();
    for (auto& entry : robots_) {
      if (entry.second.ready) entry.second.ready->expires_at(std::chrono::steady_clock::time_point::min());
    }
    auto transfers = std::exchange(transfers_, {});
    for (auto& entry : transfers) {
      Transfer& transfer = *entry.second;
      curl_multi_remove_handle(multi_.get(), transfer.easy.get());
      transfer.response = cancelled_response(transfer, "fetcher shut down");
      complete(transfer);
    }
  }

  std::size_t in_flight() const { return transfers_.size(); }

  const std::string& proxy_of(const FetchRequest& request) const {
    return request.proxy ? *request.proxy : options_.proxy;
  }

  const FetchOptions& options() const { return options_; }
  HostPoliteness& politeness() { return politeness_; }
  bool stopped() const { return stopped_; }
  asio::io_context& io() { return io_; }

  // robots.txt rules per origin. `ready` is set while one fetch of it is
  // under way; the others wait on it (its expiry moves to the past when done).
  struct RobotsEntry {
    RobotsTxt rules;
    std::chrono::steady_clock::time_point expires{};
    std::shared_ptr<asio::steady_timer> ready;
  };
  std::unordered_map<std::string, RobotsEntry> robots_;
  static constexpr std::size_t kMaxRobotsEntries = 20'000;

  // Drops expired robots.txt entries once the cache is full, and every
  // settled one if that was not enough.
  void make_room_for_robots() {
    if (robots_.size() < kMaxRobotsEntries) return;
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(robots_, [now](const auto& entry) { return !entry.second.ready && entry.second.expires <= now; });
    // Still full of fresh entries: start over rather than grow without bound.
    if (robots_.size() >= kMaxRobotsEntries)
      std::erase_if(robots_, [](const auto& entry) { return !entry.second.ready; });
  }

  // The rules a robots.txt response stands for, and how long to keep them.
  std::pair<RobotsTxt, std::chrono::milliseconds> robots_rules_of(const FetchResponse& response,
                                                                   const std::string& origin) const {
    std::chrono::milliseconds ttl = options_.robots_ttl;
    if (response.ok() && response.status >= 200 && response.status < 300) {
      return {RobotsTxt::parse(response.body, options_.user_agent), ttl};
    }
    if (response.ok() && response.status >= 400 && response.status < 500 && response.status != 429) {
      return {RobotsTxt::allow_all(), ttl};  // RFC 9309: no robots.txt, no rules
    }
    // RFC 9309: unreachable (5xx, 429, network) means "assume complete
    // disallow"; asked again in a few minutes rather than a day.
    ttl = std::min(ttl, std::chrono::milliseconds(std::chrono::minutes(5)));
    spdlog::debug("robots.txt of {} unavailable ({}); pages there wait", origin,
                  response.ok() ? "HTTP " + std::to_string(response.status) : std::string(to_string(response.error)));
    return {RobotsTxt::disallow_all(), ttl};
  }

 private:
  using ConfigError = std::optional<std::pair<FetchError, std::string>>;

  static bool is_credential(const std::string& line) {
    std::string name = line.substr(0, line.find(':'));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return name == "authorization" || name == "cookie";
  }

  ConfigError configure(Transfer& transfer, const FetchRequest& request, const HopRules& hop) {
    transfer.allow_all_private = options_.allow_private_networks;
    transfer.private_host = request.private_host;
    transfer.max_body_bytes =
        options_.max_body_bytes > 0 ? static_cast<std::size_t>(options_.max_body_bytes) : 0;

    CurlSlistPtr headers;
    if (ConfigError error = build_headers(request, hop, headers)) return error;

    CurlEasyPtr easy(curl_easy_init());
    if (!easy) return std::pair{FetchError::other, std::string("curl_easy_init failed")};
    CURL* e = easy.get();
    // Every option is set even after one fails; the first failure is reported.
    CURLcode rc = set_request_options(e, request, hop, headers.get());
    const CURLcode callbacks_rc = set_callbacks(e, transfer);
    if (rc == CURLE_OK) rc = callbacks_rc;
    if (ConfigError error = set_route(e, transfer, request, hop, rc)) return error;
    transfer.url = request.url;
    if (rc != CURLE_OK) {
      return std::pair{FetchError::other, std::string("curl_easy_setopt failed: ") + curl_easy_strerror(rc)};
    }
    transfer.headers = std::move(headers);
    transfer.easy = std::move(easy);
    return std::nullopt;
  }

  // The request's header lines: configured ones, the request's own and its
  // validators, each checked for a smuggled line break.
  ConfigError build_headers(const FetchRequest& request, const HopRules& hop, CurlSlistPtr& headers) const {
    const auto add_header = [&](const std::string& line) {
      curl_slist* head = curl_slist_append(headers.get(), line.c_str());
      if (head == nullptr) return false;
      headers.release();
      headers.reset(head);
      return true;
    };
    std::vector<std::string> lines = options_.headers;
    lines.insert(lines.end(), request.extra_headers.begin(), request.extra_headers.end());
    if (!request.if_none_match.empty()) lines.push_back("If-None-Match: " + request.if_none_match);
    if (!request.if_modified_since.empty()) lines.push_back("If-Modified-Since: " + request.if_modified_since);
    // As curl does on the redirects it follows: credentials stay with the origin they were meant for.
    if (hop.drop_credentials) std::erase_if(lines, is_credential);
    for (const std::string& line : lines) {
      // Validators come from earlier responses: never let one smuggle a header in.
      if (has_line_break(line)) {
        return std::pair{FetchError::other, "request header contains a line break: " + line};
      }
      if (!add_header(line)) return std::pair{FetchError::other, std::string("out of memory")};
    }
    if (has_line_break(options_.user_agent)) {
      return std::pair{FetchError::other, std::string("user agent contains a line break")};
    }
    return std::nullopt;
  }

  // URL, protocols, redirects, timeouts and limits; returns the first failure.
  CURLcode set_request_options(CURL* e, const FetchRequest& request, const HopRules& hop,
                               curl_slist* headers) const {
    CURLcode rc = CURLE_OK;
    const auto check = [&rc](CURLcode result) {
      if (rc == CURLE_OK) rc = result;
    };
    check(curl_easy_setopt(e, CURLOPT_URL, request.url.c_str()));
    check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, hop.follow ? 1L : 0L));
    check(curl_easy_setopt(e, CURLOPT_MAXREDIRS, options_.max_redirects));
    check(curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""));
    check(curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS)));
    check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count())));
    check(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count())));
    check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes));
    check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count())));
    if (options_.max_body_bytes > 0) {
      check(curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_body_bytes)));
    }
    check(curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str()));
    check(curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers));
    return rc;
  }

  // The C callbacks and their data pointers; returns the first failure.
  CURLcode set_callbacks(CURL* e, Transfer& transfer) {
    CURLcode rc = CURLE_OK;
    const auto check = [&rc](CURLcode result) {
      if (rc == CURLE_OK) rc = result;
    };
    check(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, transfer.error_buffer.data()));
    check(curl_easy_setopt(e, CURLOPT_PRIVATE, static_cast<void*>(&transfer)));
    check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body));
    check(curl_easy_setopt(e, CURLOPT_WRITEDATA, static_cast<void*>(&transfer)));
    check(curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &Impl::on_open_socket));
    check(curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&transfer)));
    // A cached connection may be closed long after its transfer is gone, so
    // the close callback gets the fetcher, not the transfer.
    check(curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket));
    check(curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this)));
    check(curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Impl::on_prerequest));
    check(curl_easy_setopt(e, CURLOPT_PREREQDATA, static_cast<void*>(&transfer)));
    check(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header));
    check(curl_easy_setopt(e, CURLOPT_HEADERDATA, static_cast<void*>(&transfer)));
    return rc;
  }

  // How the connection is made: TLS multiplexing, CA file, proxy and the
  // pinned address. Keeps the first setopt failure in rc.
  ConfigError set_route(CURL* e, Transfer& transfer, const FetchRequest& request, const HopRules& hop,
                        CURLcode& rc) {
    const auto check = [&rc](CURLcode result) {
      if (rc == CURLE_OK) rc = result;
    };
    // Over TLS, ALPN tells at the handshake whether a connection can
    // multiplex (h2): wait for that rather than open another. Not for plain
    // http, where curl would only know from the first response, and a
    // silent server would hold every other request to its host.
    if (request.url.size() >= 8 && (request.url.compare(0, 8, "https://") == 0 || request.url.compare(0, 8, "HTTPS://") == 0))
      check(curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L));
    if (!options_.ca_file.empty()) check(curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str()));
    const std::string& proxy = proxy_of(request);
    // Always set, "" included: left unset, curl takes http_proxy, all_proxy
    // and no_proxy from the environment, and the guard would not know the
    // sockets go to a proxy (or, with no_proxy, that they no longer do).
    check(curl_easy_setopt(e, CURLOPT_PROXY, proxy.c_str()));
    check(curl_easy_setopt(e, CURLOPT_NOPROXY, ""));
    transfer.via_proxy = !proxy.empty();
    // Pins the address the guard checked. With an HTTP proxy curl would turn
    // a plain http request into a CONNECT tunnel for this, which proxies
    // commonly refuse off port 443; there the proxy resolves the name again.
    const bool tunnelled = proxy.starts_with("socks") || request.url.starts_with("https:") ||
                           request.url.starts_with("HTTPS:");
    if (!hop.connect_to.empty() && tunnelled) {
      curl_slist* pin = curl_slist_append(nullptr, hop.connect_to.c_str());
      if (pin == nullptr) return std::pair{FetchError::other, std::string("out of memory")};
      transfer.connect_to.reset(pin);
      check(curl_easy_setopt(e, CURLOPT_CONNECT_TO, pin));
    }
    return std::nullopt;
  }

  FetchResponse cancelled_response(Transfer& transfer, const char* why) {
    FetchResponse response;
    response.error = FetchError::cancelled;
    response.error_detail = why;
    response.elapsed = elapsed_since(transfer.started);
    return response;
  }

  static std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  }

  // Hands transfer.response to the awaiter, exactly once, on the awaiter's
  // executor and never inline.
  void complete(Transfer& transfer) {
    if (transfer.cancellation.is_connected()) transfer.cancellation.clear();
    if (!transfer.handler) return;
    FetchHandler handler = std::move(transfer.handler);
    // Posted through the io_context, then dispatched onto the handler's own
    // executor (a strand, the coroutine's executor), as asio's post() does.
    auto executor = asio::get_associated_executor(handler, io_.get_executor());
    asio::post(io_, asio::bind_executor(executor, [handler = std::move(handler),
                                                   response = std::move(transfer.response)]() mutable {
                 std::move(handler)(std::move(response));
               }));
  }

  void abort(std::uint64_t id, const char* why) {
    auto node = transfers_.extract(id);
    if (node.empty()) return;
    Transfer& transfer = *node.mapped();
    curl_multi_remove_handle(multi_.get(), transfer.easy.get());
    transfer.response = cancelled_response(transfer, why);
    complete(transfer);
  }

  void finish(CURL* easy, CURLcode code) {
    char* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    if (raw == nullptr) return;
    auto node = transfers_.extract(reinterpret_cast<Transfer*>(raw)->id);
    if (node.empty()) return;
    Transfer& transfer = *node.mapped();
    curl_multi_remove_handle(multi_.get(), easy);
    read_response_info(easy, transfer);
    if (code == CURLE_OK) {
      transfer.response.permanent_redirect = permanent_target(transfer);
    } else {
      record_failure(transfer, code);
    }
    complete(transfer);
  }

  // Status, URLs, caching headers and connection facts of a finished transfer.
  void read_response_info(CURL* easy, Transfer& transfer) {
    FetchResponse& response = transfer.response;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    response.status = status;
    char* effective_url = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective_url) == CURLE_OK && effective_url != nullptr) {
      response.effective_url = effective_url;
    }
    response.content_type = header_value(easy, "Content-Type");
    response.content_location = header_value(easy, "Content-Location");
    response.etag = header_value(easy, "ETag");
    response.last_modified = header_value(easy, "Last-Modified");
    response.retry_after = header_value(easy, "Retry-After");
    response.cache_control = header_value(easy, "Cache-Control");
    response.expires = header_value(easy, "Expires");
    response.date = header_value(easy, "Date");
    response.elapsed = elapsed_since(transfer.started);
    long version = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    response.http_version = version == CURL_HTTP_VERSION_1_0   ? 10
                            : version == CURL_HTTP_VERSION_1_1 ? 11
                            : version == CURL_HTTP_VERSION_2_0 ? 20
                            : version == CURL_HTTP_VERSION_3   ? 30
                                                               : 0;
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &response.new_connections);
    char* redirect_url = nullptr;
    if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &redirect_url) == CURLE_OK && redirect_url != nullptr) {
      response.redirect_url = redirect_url;
    }
  }

  // The error of a failed transfer and the most specific detail we have.
  void record_failure(Transfer& transfer, CURLcode code) {
    FetchResponse& response = transfer.response;
    response.error = classify(code, transfer);
    // A cut-off body must never pass for the document.
    response.body.clear();
    response.body.shrink_to_fit();
    if (response.error == FetchError::blocked_address) {
      response.error_detail = transfer.blocked_detail;
    } else if (transfer.body_too_large) {
      response.error_detail = "body exceeds " + std::to_string(transfer.max_body_bytes) + " bytes";
    } else if (transfer.out_of_memory) {
      response.error_detail = "out of memory while storing the body";
    } else if (code == CURLE_OUT_OF_MEMORY) {
      // What curl reports for a header block over its 100 KB limit.
      response.error_detail = "response headers too large (over curl's 100 KB limit)";
    } else if (transfer.error_buffer[0] != '\0') {
      response.error_detail = transfer.error_buffer.data();
    } else {
      response.error_detail = curl_easy_strerror(code);
    }
  }

  void drain_completions() {
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      // The message dies with the handle's removal: copy what we need first.
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      finish(easy, code);
    }
  }

  void socket_action(curl_socket_t fd, int events) {
    int running = 0;
    if (const CURLMcode rc = curl_multi_socket_action(multi_.get(), fd, events, &running); rc != CURLM_OK) {
      spdlog::warn("http fetcher: curl_multi_socket_action: {}", curl_multi_strerror(rc));
    }
    drain_completions();
  }

  // --- sockets -------------------------------------------------------------

  void watch(curl_socket_t fd, int what) {
    auto found = watches_.find(fd);
    if (what == CURL_POLL_REMOVE) {
      if (found != watches_.end()) {
        found->second->release();
        watches_.erase(found);
      }
      return;
    }
    if (found == watches_.end()) {
      auto created = std::make_shared<SocketWatch>(io_, fd);
      boost::system::error_code ec;
      created->descriptor.assign(fd, ec);
      if (ec) {
        // The transfer then ends on curl's own timeout instead of hanging.
        spdlog::warn("http fetcher: cannot watch socket {}: {}", fd, ec.message());
        return;
      }
      found = watches_.emplace(fd, std::move(created)).first;
    }
    const std::shared_ptr<SocketWatch>& socket = found->second;
    socket->wanted = what;
    if ((what & CURL_POLL_IN) && !socket->read_armed) arm(socket, Direction::read);
    if ((what & CURL_POLL_OUT) && !socket->write_armed) arm(socket, Direction::write);
  }

  void forget(curl_socket_t fd) {
    if (auto found = watches_.find(fd); found != watches_.end()) {
      found->second->release();
      watches_.erase(found);
    }
  }

  static bool ready_now(curl_socket_t fd, Direction direction) {
    pollfd probe{fd, static_cast<short>(direction == Direction::read ? POLLIN : POLLOUT), 0};
    return ::poll(&probe, 1, 0) > 0 && probe.revents != 0;
  }

  // Asio's reactor is edge-triggered and its waits are never speculative:
  // readiness that arrived while no wait was queued (curl reads at most one
  // buffer per call, or the socket was readable when first watched) would
  // never be reported. Probing first gives curl the level-triggered
  // semantics it expects.
  void arm(const std::shared_ptr<SocketWatch>& socket, Direction direction) {
    (direction == Direction::read ? socket->read_armed : socket->write_armed) = true;
    if (ready_now(socket->fd, direction)) {
      asio::post(io_, [self = this, alive = token(), socket, direction] {
        if (!alive.expired()) self->on_ready(socket, direction, {});
      });
      return;
    }
    socket->descriptor.async_wait(
        direction == Direction::read ? asio::posix::stream_descriptor::wait_read
                                     : asio::posix::stream_descriptor::wait_write,
        [self = this, alive = token(), socket, direction](boost::system::error_code ec) {
          if (!alive.expired()) self->on_ready(socket, direction, ec);
        });
  }

  void on_ready(const std::shared_ptr<SocketWatch>& socket, Direction direction, boost::system::error_code ec) {
    (direction == Direction::read ? socket->read_armed : socket->write_armed) = false;
    if (socket->released || ec == asio::error::operation_aborted) return;
    const int flag = direction == Direction::read ? CURL_POLL_IN : CURL_POLL_OUT;
    // curl lost interest since this wait began; it re-arms when it asks again.
    if ((socket->wanted & flag) == 0) return;
    int events = direction == Direction::read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    if (ec) events |= CURL_CSELECT_ERR;
    socket_action(socket->fd, events);
    // Re-arming after an error would spin; curl's timer ends such a transfer.
    if (!ec && !socket->released && (socket->wanted & flag) != 0 &&
        !(direction == Direction::read ? socket->read_armed : socket->write_armed)) {
      arm(socket, direction);
    }
  }

  // --- curl's timer --------------------------------------------------------

  void set_timer(long timeout_ms) {
    const std::uint64_t generation = ++timer_generation_;
    timer_.cancel();
    if (timeout_ms < 0) return;
    // Never drive curl from inside its own callback: even "now" is posted.
    if (timeout_ms == 0) {
      asio::post(io_, [self = this, alive = token(), generation] {
        if (!alive.expired() && generation == self->timer_generation_) self->on_timeout();
      });
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([self = this, alive = token(), generation](boost::system::error_code ec) {
      // A cancel does not recall a completion already queued: the
      // generation tells a stale expiry from the current one.
      if (ec || alive.expired() || generation != self->timer_generation_) return;
      self->on_timeout();
    });
  }

  void on_timeout() { socket_action(CURL_SOCKET_TIMEOUT, 0); }

  // --- C callbacks: no exception may cross them ----------------------------

  static int on_socket(CURL*, curl_socket_t fd, int what, void* clientp, void*) noexcept {
    try {
      static_cast<Impl*>(clientp)->watch(fd, what);
    } catch (const std::exception& e) {
      spdlog::warn("http fetcher: socket callback: {}", e.what());
    } catch (...) {
      spdlog::warn("http fetcher: socket callback failed");
    }
    // -1 would make curl fail every transfer on the multi handle, not just this one.
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* clientp) noexcept {
    try {
      static_cast<Impl*>(clientp)->set_timer(timeout_ms);
    } catch (const std::exception& e) {
      spdlog::warn("http fetcher: timer callback: {}", e.what());
    } catch (...) {
      spdlog::warn("http fetcher: timer callback failed");
    }
    return 0;
  }

  static size_t on_body(char* data, size_t size, size_t count, void* userdata) noexcept {
    auto& transfer = *static_cast<Transfer*>(userdata);
    const std::size_t length = size * count;
    std::string& body = transfer.response.body;
    if (transfer.max_body_bytes != 0 && length > transfer.max_body_bytes - body.size()) {
      transfer.body_too_large = true;
      return 0;
    }
    try {
      body.append(data, length);
    } catch (const std::bad_alloc&) {
      transfer.out_of_memory = true;
      return 0;
    }
    return length;
  }

  // Records the status and Location of every response of the redirect chain.
  static size_t on_header(char* data, size_t size, size_t count, void* userdata) noexcept {
    auto& transfer = *static_cast<Transfer*>(userdata);
    const std::size_t length = size * count;
    const std::string_view line(data, length);
    try {
      if (line.starts_with("HTTP/")) {
        const auto space = line.find(' ');
        long status = 0;
        if (space != std::string_view::npos) {
          for (std::size_t i = space + 1; i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])); ++i)
            status = status * 10 + (line[i] - '0');
        }
        transfer.hops.push_back({status, {}});
      } else if (!transfer.hops.empty() && line.size() > 9 && (line[0] == 'L' || line[0] == 'l')) {
        std::string name(line.substr(0, 9));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == "location:") {
          std::string_view value = line.substr(9);
          while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
          while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
            value.remove_suffix(1);
          transfer.hops.back().location = std::string(value);
        }
      }
    } catch (...) {
      // Only bookkeeping for permanent redirects is lost.
    }
    return length;
  }

  // The URL the leading 301 / 308 hops of the chain led to; empty when the
  // chain does not begin with one.
  static std::string permanent_target(const Transfer& transfer) {
    std::string url = transfer.url;
    std::string permanent;
    for (std::size_t i = 0; i + 1 < transfer.hops.size(); ++i) {
      const Hop& hop = transfer.hops[i];
      if (hop.status < 300) continue;  // 1xx interim, or a proxy's answer to CONNECT
      if ((hop.status != 301 && hop.status != 308) || hop.location.empty()) break;
      auto base = boost::urls::parse_uri(url);
      auto reference = boost::urls::parse_uri_reference(hop.location);
      if (!base || !reference) break;
      boost::urls::url resolved;
      if (!boost::urls::resolve(*base, *reference, resolved)) break;
      resolved.remove_fragment();
      url = std::string(resolved.buffer());
      permanent = url;
    }
    return permanent;
  }

  // The host of the hop curl is on: after a redirect, the URL it moved to.
  static std::string current_host(const Transfer& transfer) {
    char* url = nullptr;
    if (curl_easy_getinfo(transfer.easy.get(), CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK || url == nullptr) return {};
    return parsers::url_host(url);
  }

  static bool refuse(Transfer& transfer, const std::optional<asio::ip::address>& peer, const char* what) noexcept {
    if (transfer.allow_all_private) return false;
    if (peer && !is_blocked_address(*peer)) return false;
    try {
      // The one permitted host keeps its permission on every hop that stays
      // there; a redirect elsewhere does not carry it along.
      const std::string host = current_host(transfer);
      if (peer && !transfer.private_host.empty() && host == transfer.private_host) return false;
      transfer.blocked_detail = std::string("refused ") + what + " " + host + " at " +
                                (peer ? peer->to_string() : std::string("non-IP address")) +
                                ": private, loopback or link-local networks are not allowed";
    } catch (...) {
      transfer.blocked_detail = "refused a private address";
    }
    return true;
  }

  // Every new connection, for the first request and each redirect, is
  // checked here before a single packet leaves.
  static curl_socket_t on_open_socket(void* clientp, curlsocktype purpose, curl_sockaddr* address) noexcept {
    auto& transfer = *static_cast<Transfer*>(clientp);
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
    // Through a proxy every socket goes to the operator's proxy.
    if (!transfer.via_proxy && refuse(transfer, address_of(*address), "to connect to")) return CURL_SOCKET_BAD;
    return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  }

  // A reused connection skips on_open_socket; this runs before every request
  // and catches a connection to a private peer opened by a permitted transfer.
  static int on_prerequest(void* clientp, char* primary_ip, char*, int, int) noexcept {
    auto& transfer = *static_cast<Transfer*>(clientp);
    // Through a proxy the peer is the proxy; the target was checked before the transfer.
    if (transfer.allow_all_private || transfer.via_proxy) return CURL_PREREQFUNC_OK;
    boost::system::error_code ec;
    const auto peer = asio::ip::make_address(primary_ip != nullptr ? primary_ip : "", ec);
    const std::optional<asio::ip::address> parsed = ec ? std::nullopt : std::optional(peer);
    return refuse(transfer, parsed, "a request to") ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
  }

  static int on_close_socket(void* clientp, curl_socket_t fd) noexcept {
    try {
      static_cast<Impl*>(clientp)->forget(fd);
    } catch (...) {
      // forget() only erases; nothing to recover.
    }
    return ::close(fd);
  }

  asio::io_context& io_;
  FetchOptions options_;
  HostPoliteness politeness_;
  std::shared_ptr<Alive> alive_ = std::make_shared<Alive>();
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketWatch>> watches_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::uint64_t next_id_ = 0;
  bool stopped_ = false;
  CurlMultiPtr multi_;
};

HttpFetcher::HttpFetcher(boost::asio::io_context& io, FetchOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

HttpFetcher::~HttpFetcher() = default;

namespace {

FetchResponse cancelled_before_start() {
  FetchResponse response;
  response.error = FetchError::cancelled;
  response.error_detail = "fetcher shut down";
  return response;
}

}  // namespace

// GCC 12 reports a false -Wmismatched-new-delete on the frames of the two
// coroutines below once transfer() is inlined into them (asio's frame
// allocator pairs its own new and delete); the warning is off here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
boost::asio::awaitable<FetchResponse> HttpFetcher::fetch(FetchRequest request) {
  Impl* impl = impl_.get();
  // impl may be gone after any suspension below (the fetcher destroyed
  // while this request waited); `alive` tells.
  const std::weak_ptr<Impl::Alive> alive = impl->token();
  const auto queued_since = std::chrono::steady_clock::now();
  const std::optional<Target> target = target_of(request.url);
  const bool check_robots = impl->options().robots && !request.skip_robots &&
                            (!request.is_feed || impl->options().robots_for_feeds);
  if (target && check_robots) {
    const bool allowed = co_await robots_allow(request, target->origin, target->host, target->path);
    if (alive.expired() || impl->stopped()) co_return cancelled_before_start();
    if (!allowed) {
      FetchResponse response;
      response.error = FetchError::robots_disallowed;
      response.error_detail = target->origin + "/robots.txt disallows " + target->path + " for our user agent";
      co_return response;
    }
  }
  HostPoliteness::Turn turn;
  if (target) {
    turn = co_await impl->politeness().acquire(target->host);
    if (alive.expired() || !turn) co_return cancelled_before_start();
  }
  const auto queued = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                            queued_since);
  // Named and branched, not a temporary in a conditional: GCC 12 destroys
  // such a temporary twice across the suspension.
  const HopRules direct;
  FetchResponse response;
  if (impl->proxy_of(request).empty()) {
    response = co_await transfer(std::move(request), direct);
  } else {
    response = co_await follow_through_proxy(std::move(request));
  }
  response.queued = queued;
  if (target && !alive.expired() && response.ok() && (response.status == 429 || response.status == 503)) {
    // The host asked every client to stay away for a while: pause all our
    // requests to it, not only this source's.
    const auto server_now = parsers::parse_http_date(response.date).value_or(std::chrono::system_clock::now());
    impl->politeness().pause(target->host, parse_retry_after(response.retry_after, server_now));
  }
  co_return response;
}

#pragma GCC diagnostic pop

boost::asio::awaitable<bool> HttpFetcher::robots_allow(const FetchRequest& request, const std::string& origin,
                                                       const std::string& host, const std::string& path) {
  namespace asio = boost::asio;
  using Clock = std::chrono::steady_clock;
  Impl* impl = impl_.get();
  const std::weak_ptr<Impl::Alive> alive = impl->token();
  for (;;) {
    auto found = impl->robots_.find(origin);
    if (found != impl->robots_.end() && found->second.ready) {
      // Someone is fetching it: wait for them, then look again.
      std::shared_ptr<asio::steady_timer> ready = found->second.ready;
      co_await ready->async_wait(asio::as_tuple(asio::use_awaitable));
      if (alive.expired() || impl->stopped()) co_return false;
      continue;
    }
    if (found != impl->robots_.end() && found->second.expires > Clock::now())
      co_return found->second.rules.allowed(path);
    break;
  }

  impl->make_room_for_robots();
  auto ready = std::make_shared<asio::steady_timer>(impl->io(), Clock::time_point::max());
  impl->robots_[origin].ready = ready;

  FetchRequest robots_request;
  robots_request.url = origin + "/robots.txt";
  robots_request.skip_robots = true;
  robots_request.proxy = request.proxy;
  robots_request.extra_headers = request.extra_headers;
  robots_request.private_host = request.private_host;
  const FetchResponse response = co_await fetch(std::move(robots_request));
  if (alive.expired()) co_return false;
  ready->expires_at(Clock::time_point::min());  // wakes the waiters

  if (response.error == FetchError::cancelled) {
    impl->robots_.erase(origin);
    co_return false;
  }
  auto [rules, ttl] = impl->robots_rules_of(response, origin);
  if (auto delay = rules.crawl_delay())
    impl->politeness().set_host_delay(host, std::min(*delay, std::chrono::milliseconds(std::chrono::minutes(1))));
  const bool allowed = rules.allowed(path);
  Impl::RobotsEntry& entry = impl->robots_[origin];
  entry.rules = std::move(rules);
  entry.expires = Clock::now() + ttl;
  entry.ready.reset();
  co_return allowed;
}

boost::asio::awaitable<FetchResponse> HttpFetcher::transfer(FetchRequest request, const HopRules& hop) {
  Impl* impl = impl_.get();
  co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(FetchResponse)>(
      [impl, &hop](auto handler, FetchRequest moved_request) {
        impl->start(FetchHandler(std::move(handler)), std::move(moved_request), hop);
      },
      boost::asio::use_awaitable, std::move(request));
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
boost::asio::awaitable<FetchResponse> HttpFetcher::follow_through_proxy(FetchRequest request) {
  Impl* impl = impl_.get();
  const std::weak_ptr<Impl::Alive> alive = impl->token();
  const std::optional<Target> first = target_of(request.url);
  const std::string first_origin = first ? first->origin : std::string();
  std::string permanent;  // where the leading 301 / 308 hops led
  bool leading_permanent = true;
  long connections = 0;
  std::chrono::milliseconds elapsed{0};
  FetchResponse response;
  for (long followed = 0;; ++followed) {
    HopRules hop;
    hop.follow = false;
    if (!impl->options().allow_private_networks) {
      const ProxiedHop checked = co_await check_proxied_hop(impl->io(), request.url, request.private_host);
      if (alive.expired() || impl->stopped()) co_return cancelled_before_start();
      if (checked.error != FetchError::none) {
        response = FetchResponse{};
        response.error = checked.error;
        response.error_detail = checked.detail;
        break;
      }
      hop.connect_to = checked.connect_to;
    }
    const std::optional<Target> target = target_of(request.url);
    hop.drop_credentials = !target || target->origin != first_origin;
    response = co_await transfer(request, hop);
    if (alive.expired()) co_return response;
    connections += response.new_connections;
    elapsed += response.elapsed;
    if (!response.ok() || !is_redirect(response.status) || response.redirect_url.empty()) break;
    if (followed == impl->options().max_redirects) {
      response.error = FetchError::too_many_redirects;
      response.error_detail = "Maximum (" + std::to_string(followed) + ") redirects followed";
      response.body.clear();
      break;
    }
    const std::string next = response.redirect_url;
    const std::string scheme = next.substr(0, next.find(':'));
    if (scheme != "http" && scheme != "https") {
      response = FetchResponse{};
      response.error = FetchError::invalid_url;
      response.error_detail = "redirect to a protocol other than http(s): " + next;
      break;
    }
    leading_permanent = leading_permanent && (response.status == 301 || response.status == 308);
    if (leading_permanent) permanent = next;
    // Validators and headers go along, as on the hops curl follows.
    request.url = next;
  }
  response.new_connections = connections;
  response.elapsed = elapsed;
  if (response.ok()) response.permanent_redirect = permanent;
  co_return response;
}

#pragma GCC diagnostic pop

std::size_t HttpFetcher::waiting_for_host() const { return impl_->politeness().waiting(); }

void HttpFetcher::shutdown() { impl_->shutdown(); }

std::size_t HttpFetcher::in_flight() const { return impl_->in_flight(); }

}  // namespace newsd::fetchers
