// Tests for HttpFetcher against LoopbackHttpServer on 127.0.0.1: the server
// and the fetcher share one io_context on the test thread, and every wait is
// on a condition with a deadline.
#include "fetchers/http_fetcher.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "tests/support/loopback_http_server.hpp"

namespace newsd::fetchers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;

constexpr auto kTestDeadline = 20s;

// --- gzip without zlib (the test binary does not link it) -------------------

std::uint32_t crc32_update(std::uint32_t crc, unsigned char byte) {
  crc ^= byte;
  for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  return crc;
}

void append_le32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

const std::string kGzipHeader("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);

// gzip member holding one stored (uncompressed) deflate block.
std::string gzip_stored(std::string_view data) {
  std::string out = kGzipHeader;
  const auto length = static_cast<std::uint16_t>(data.size());
  out.push_back('\x01');  // BFINAL=1, BTYPE=00 (stored)
  out.push_back(static_cast<char>(length & 0xff));
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(~length & 0xff));
  out.push_back(static_cast<char>((~length >> 8) & 0xff));
  out.append(data);
  std::uint32_t crc = 0xffffffffu;
  for (unsigned char c : data) crc = crc32_update(crc, c);
  append_le32(out, ~crc);
  append_le32(out, static_cast<std::uint32_t>(data.size()));
  return out;
}

// Deflate bit stream: data fields LSB first, Huffman codes MSB first.
class BitWriter {
 public:
  void bits(std::uint32_t value, int count) {
    for (int i = 0; i < count; ++i) push((value >> i) & 1u);
  }
  void code(std::uint32_t value, int length) {
    for (int i = length - 1; i >= 0; --i) push((value >> i) & 1u);
  }
  std::string finish() {
    if (used_ != 0) out_.push_back(static_cast<char>(current_));
    return std::move(out_);
  }

 private:
  void push(std::uint32_t bit) {
    current_ |= bit << used_;
    if (++used_ == 8) {
      out_.push_back(static_cast<char>(current_));
      current_ = 0;
      used_ = 0;
    }
  }
  std::string out_;
  std::uint32_t current_ = 0;
  int used_ = 0;
};

// A gzip "bomb": one zero byte, then `repeats` back-references of 258 bytes
// at distance 1, with the fixed Huffman code; 13 bits become 258 bytes.
std::string gzip_zero_bomb(std::size_t repeats) {
  BitWriter writer;
  writer.bits(1, 1);        // BFINAL
  writer.bits(1, 2);        // BTYPE=01, fixed Huffman
  writer.code(0x30, 8);     // literal 0x00
  for (std::size_t i = 0; i < repeats; ++i) {
    writer.code(0xc5, 8);   // length symbol 285: 258 bytes
    writer.code(0, 5);      // distance code 0: distance 1
  }
  writer.code(0, 7);        // end of block (symbol 256)
  std::string out = kGzipHeader + writer.finish();
  const std::size_t size = 1 + 258 * repeats;
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t i = 0; i < size; ++i) crc = crc32_update(crc, 0);
  append_le32(out, ~crc);
  append_le32(out, static_cast<std::uint32_t>(size));
  return out;
}

// --- fixture -----------------------------------------------------------------

FetchOptions loopback_options() {
  FetchOptions options;
  options.user_agent = "newsd-test/1.0";
  options.allow_private_networks = true;  // the test server lives on loopback
  options.connect_timeout = 2s;
  options.total_timeout = 10s;
  options.max_body_bytes = 1024 * 1024;
  options.max_redirects = 3;
  options.max_connections_per_host = 256;  // politeness has its own tests
  options.robots = false;                  // so has robots.txt
  return options;
}

FetchRequest get(std::string url) {
  FetchRequest request;
  request.url = std::move(url);
  return request;
}

awaitable<bool> wait_until(std::function<bool()> condition, std::chrono::milliseconds deadline = 10s) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > until) co_return false;
    timer.expires_after(2ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

class HttpFetcherTest : public ::testing::Test {
 protected:
  // Runs the io_context until `body` finishes (or the deadline passes).
  void run(std::function<awaitable<void>()> body) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      failure = e;
      done = true;
      io_.stop();
    });
    io_.restart();
    io_.run_for(kTestDeadline);
    ASSERT_TRUE(done) << "test coroutine did not finish before the deadline";
    if (failure) std::rethrow_exception(failure);
  }

  FetchResponse fetch(HttpFetcher& fetcher, FetchRequest request) {
    FetchResponse response;
    run([&]() -> awaitable<void> { response = co_await fetcher.fetch(std::move(request)); });
    return response;
  }

  FetchResponse fetch(FetchRequest request, FetchOptions options = loopback_options()) {
    HttpFetcher fetcher(io_, std::move(options));
    return fetch(fetcher, std::move(request));
  }

  asio::io_context io_;
  LoopbackHttpServer server_{io_};
};

// --- error names -------------------------------------------------------------

TEST(FetchErrorNames, EveryValueHasAName) {
  EXPECT_STREQ(to_string(FetchError::none), "none");
  EXPECT_STREQ(to_string(FetchError::blocked_address), "blocked_address");
  EXPECT_STREQ(to_string(FetchError::too_many_redirects), "too_many_redirects");
  EXPECT_STREQ(to_string(FetchError::cancelled), "cancelled");
}

// --- responses -----------------------------------------------------------------

TEST_F(HttpFetcherTest, OkResponseCarriesBodyAndHeaders) {
  server_.route("/article", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200,
                       ResponseHeaders{}
                           .add("Content-Type", "text/html; charset=utf-8")
                           .add("ETag", "\"abc\"")
                           .add("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
                           .add("Content-Location", "/article.html")
                           .add("Retry-After", "120")
                           .add("Cache-Control", "max-age=60")
                           .add("Expires", "Thu, 22 Oct 2015 07:28:00 GMT"),
                       "<p>hello</p>");
  });
  FetchRequest request = get(server_.url("/article?x=1"));
  request.extra_headers = {"X-Newsd-Test: yes"};
  const FetchResponse response = fetch(request);

  ASSERT_TRUE(response.ok()) << response.error_detail;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<p>hello</p>");
  EXPECT_EQ(response.effective_url, server_.url("/article?x=1"));
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(response.etag, "\"abc\"");
  EXPECT_EQ(response.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(response.content_location, "/article.html");
  EXPECT_EQ(response.retry_after, "120");
  EXPECT_EQ(response.cache_control, "max-age=60");
  EXPECT_EQ(response.expires, "Thu, 22 Oct 2015 07:28:00 GMT");
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].header("user-agent"), "newsd-test/1.0");
  EXPECT_EQ(server_.requests()[0].header("x-newsd-test"), "yes");
}

TEST_F(HttpFetcherTest, ConditionalGetSendsValidatorsAndDelivers304) {
  server_.route("/feed", [](ServerConnection& c, const ReceivedRequest& r) -> awaitable<void> {
    if (r.header("if-none-match") == "\"v1\"") {
      co_await c.respond(304, ResponseHeaders{}.add("ETag", "\"v1\""), "");
    } else {
      co_await c.respond(200, ResponseHeaders{}
                                  .add("ETag", "\"v1\"")
                                  .add("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"), "<rss/>");
    }
  });
  HttpFetcher fetcher(io_, loopback_options());
  const FetchResponse first = fetch(fetcher, get(server_.url("/feed")));
  ASSERT_TRUE(first.ok()) << first.error_detail;
  ASSERT_EQ(first.status, 200);
  EXPECT_FALSE(server_.requests()[0].has_header("if-none-match"));

  FetchRequest again = get(server_.url("/feed"));
  again.if_none_match = first.etag;
  again.if_modified_since = first.last_modified;
  const FetchResponse second = fetch(fetcher, again);
  ASSERT_TRUE(second.ok()) << second.error_detail;
  EXPECT_EQ(second.status, 304);
  EXPECT_TRUE(second.body.empty());
  EXPECT_EQ(second.etag, "\"v1\"");
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].header("if-none-match"), "\"v1\"");
  EXPECT_EQ(server_.requests()[1].header("if-modified-since"), "Mon, 01 Jan 2024 00:00:00 GMT");
}

TEST_F(HttpFetcherTest, ValidatorWithLineBreakIsRefused) {
  FetchRequest request = get(server_.url("/feed"));
  request.if_none_match = "\"v1\"\r\nX-Injected: 1";
  const FetchResponse response = fetch(request);
  EXPECT_EQ(response.error, FetchError::other);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(HttpFetcherTest, GzipBodyIsDecompressed) {
  const std::string text = "<rss><channel><title>compressed</title></channel></rss>";
  server_.route("/gz", [&](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, ResponseHeaders{}
                                .add("Content-Encoding", "gzip")
                                .add("Content-Type", "application/rss+xml"),
                       gzip_stored(text));
  });
  const FetchResponse response = fetch(get(server_.url("/gz")));
  ASSERT_TRUE(response.ok()) << response.error_detail;
  EXPECT_EQ(response.body, text);
  EXPECT_NE(server_.requests().at(0).header("accept-encoding").find("gzip"), std::string::npos);
}

TEST_F(HttpFetcherTest, HandMadeDeflateDecodesWhenUnderTheCap) {
  // Proves the bomb below is valid gzip, so its test fails for the right reason.
  server_.route("/small-bomb", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, ResponseHeaders{}.add("Content-Encoding", "gzip"), gzip_zero_bomb(100));
  });
  const FetchResponse response = fetch(get(server_.url("/small-bomb")));
  ASSERT_TRUE(response.ok()) << response.error_detail;
  EXPECT_EQ(response.body, std::string(1 + 258 * 100, '\0'));
}

TEST_F(HttpFetcherTest, ErrorStatusesAreResponses) {
  server_.route("/boom", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(500, ResponseHeaders{}.add("Retry-After", "30"), "oops");
  });
  HttpFetcher fetcher(io_, loopback_options());
  const FetchResponse missing = fetch(fetcher, get(server_.url("/nowhere")));
  ASSERT_TRUE(missing.ok()) << missing.error_detail;
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "not found");
  const FetchResponse failed = fetch(fetcher, get(server_.url("/boom")));
  ASSERT_TRUE(failed.ok()) << failed.error_detail;
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.retry_after, "30");
}

// curl reports a header block past its limit as "Out of memory".
TEST_F(HttpFetcherTest, AMegabyteOfHeadersIsReportedAsHeadersTooLarge) {
  server_.route("/fat", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, ResponseHeaders{}.add("X-Fat", std::string(1024 * 1024, 'a')), "body");
  });
  const FetchResponse response = fetch(get(server_.url("/fat")));
  EXPECT_FALSE(response.ok());
  EXPECT_EQ(response.error, FetchError::protocol);
  EXPECT_EQ(response.error_detail, "response headers too large (over curl's 100 KB limit)");
}

// --- redirects -------------------------------------------------------------------

TEST_F(HttpFetcherTest, RedirectIsFollowed) {
  server_.route("/old", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(301, ResponseHeaders{}.add("Location", "/new").add("ETag", "\"redirect\""), "moved");
  });
  server_.route("/new", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, ResponseHeaders{}.add("ETag", "\"final\""), "fresh");
  });
  const FetchResponse response = fetch(get(server_.url("/old")));
  ASSERT_TRUE(response.ok()) << response.error_detail;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "fresh");
  EXPECT_EQ(response.effective_url, server_.url("/new"));
  EXPECT_EQ(response.etag, "\"final\"");
}

TEST_F(HttpFetcherTest, RedirectToFileSchemeIsRefused) {
  server_.route("/evil", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(302, ResponseHeaders{}.add("Location", "file:///etc/passwd"), "");
  });
  const FetchResponse response = fetch(get(server_.url("/evil")));
  EXPECT_EQ(response.error, FetchError::invalid_url) << response.error_detail;
  EXPECT_EQ(response.body.find("root:"), std::string::npos);
}

TEST_F(HttpFetcherTest, NonHttpUrlIsInvalid) {
  EXPECT_EQ(fetch(get("file:///etc/passwd")).error, FetchError::invalid_url);
  EXPECT_EQ(fetch(get("gopher://127.0.0.1/")).error, FetchError::invalid_url);
  EXPECT_EQ(fetch(get("http://[::1")).error, FetchError::invalid_url);
}

TEST_F(HttpFetcherTest, RedirectLoopStops) {
  server_.route("/loop", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(302, ResponseHeaders{}.add("Location", "/loop"), "");
  });
  const FetchResponse response = fetch(get(server_.url("/loop")));
  EXPECT_EQ(response.error, FetchError::too_many_redirects) << response.error_detail;
  EXPECT_EQ(server_.count("/loop"), 4u);  // the request and max_redirects=3 follow-ups
}

// --- misbehaving servers -------------------------------------------------------

TEST_F(HttpFetcherTest, SilentServerTimesOut) {
  server_.route("/silent", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.wait_for_peer_close();
  });
  FetchOptions options = loopback_options();
  options.total_timeout = 500ms;
  const FetchResponse response = fetch(get(server_.url("/silent")), options);
  EXPECT_EQ(response.error, FetchError::timeout) << response.error_detail;
  EXPECT_GE(response.elapsed, 450ms);
  EXPECT_LT(response.elapsed, 3s);
}

TEST_F(HttpFetcherTest, TricklingServerHitsLowSpeedLimit) {
  server_.route("/trickle", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    if (!co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")) co_return;
    while (co_await c.write("x")) co_await c.pause(1s);
  });
  FetchOptions options = loopback_options();
  options.total_timeout = 15s;  // far away: the low-speed check must fire first
  options.low_speed_bytes = 100;
  options.low_speed_time = 1s;
  const FetchResponse response = fetch(get(server_.url("/trickle")), options);
  EXPECT_EQ(response.error, FetchError::timeout) << response.error_detail;
  EXPECT_LT(response.elapsed, 5s);
  EXPECT_TRUE(response.body.empty());
}

TEST_F(HttpFetcherTest, EndlessBodyIsTooLarge) {
  server_.route("/endless", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    if (!co_await c.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")) co_return;
    const std::string chunk(64 * 1024, 'x');
    while (co_await c.write(chunk)) {
    }
    c.close();
  });
  const FetchResponse response = fetch(get(server_.url("/endless")));
  EXPECT_EQ(response.error, FetchError::too_large) << response.error_detail;
  EXPECT_TRUE(response.body.empty());
}

TEST_F(HttpFetcherTest, DeclaredLengthOverCapIsTooLarge) {
  server_.route("/huge", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n");
    co_await c.wait_for_peer_close();
  });
  const FetchResponse response = fetch(get(server_.url("/huge")));
  EXPECT_EQ(response.error, FetchError::too_large) << response.error_detail;
}

TEST_F(HttpFetcherTest, GzipBombIsTooLarge) {
  const std::string bomb = gzip_zero_bomb(40'000);  // ~65 KB on the wire, ~10 MB inflated
  ASSERT_LT(bomb.size(), 100'000u);
  server_.route("/bomb", [&](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, ResponseHeaders{}.add("Content-Encoding", "gzip"), bomb);
  });
  const FetchResponse response = fetch(get(server_.url("/bomb")));
  EXPECT_EQ(response.error, FetchError::too_large) << response.error_detail;
  EXPECT_TRUE(response.body.empty());
}

TEST_F(HttpFetcherTest, InvalidChunkedEncodingIsProtocolError) {
  server_.route("/chunked", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    co_await c.wait_for_peer_close();
  });
  const FetchResponse response = fetch(get(server_.url("/chunked")));
  EXPECT_EQ(response.error, FetchError::protocol) << response.error_detail;
}

TEST_F(HttpFetcherTest, ConnectionResetIsProtocolError) {
  server_.route("/reset", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
    c.reset();
  });
  const FetchResponse response = fetch(get(server_.url("/reset")));
  EXPECT_EQ(response.error, FetchError::protocol) << response.error_detail;
  EXPECT_TRUE(response.body.empty());
}

TEST_F(HttpFetcherTest, RefusedConnectionIsConnectError) {
  std::uint16_t closed_port = 0;
  {
    asio::ip::tcp::acceptor probe(io_, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = probe.local_endpoint().port();
  }
  const FetchResponse response = fetch(get("http://127.0.0.1:" + std::to_string(closed_port) + "/"));
  EXPECT_EQ(response.error, FetchError::connect) << response.error_detail;
}

// --- concurrency, cancellation, shutdown -----------------------------------------

TEST_F(HttpFetcherTest, HundredConcurrentFetchesOnOneThread) {
  server_.route("/item", [](ServerConnection& c, const ReceivedRequest& r) -> awaitable<void> {
    co_await c.respond(200, {}, r.target);
  });
  HttpFetcher fetcher(io_, loopback_options());
  constexpr int kFetches = 100;
  std::vector<std::optional<FetchResponse>> responses(kFetches);
  std::size_t peak_in_flight = 0;
  run([&]() -> awaitable<void> {
    for (int i = 0; i < kFetches; ++i) {
      asio::co_spawn(
          io_,
          [&, i]() -> awaitable<void> {
            responses[i] = co_await fetcher.fetch(get(server_.url("/item?n=" + std::to_string(i))));
          },
          asio::detached);
    }
    peak_in_flight = fetcher.in_flight();
    const bool all_done = co_await wait_until([&] {
      for (const auto& response : responses) {
        if (!response) return false;
      }
      return true;
    });
    EXPECT_TRUE(all_done);
  });
  EXPECT_EQ(peak_in_flight, static_cast<std::size_t>(kFetches));
  for (int i = 0; i < kFetches; ++i) {
    ASSERT_TRUE(responses[i].has_value()) << i;
    EXPECT_TRUE(responses[i]->ok()) << i << ": " << responses[i]->error_detail;
    EXPECT_EQ(responses[i]->body, "/item?n=" + std::to_string(i));
  }
  EXPECT_EQ(fetcher.in_flight(), 0u);
}

TEST_F(HttpFetcherTest, ShutdownCancelsTransfersInFlight) {
  server_.route("/hang", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.wait_for_peer_close();
  });
  HttpFetcher fetcher(io_, loopback_options());
  std::vector<std::optional<FetchResponse>> responses(5);
  std::optional<FetchResponse> after_shutdown;
  run([&]() -> awaitable<void> {
    for (auto& slot : responses) {
      asio::co_spawn(io_, [&]() -> awaitable<void> { slot = co_await fetcher.fetch(get(server_.url("/hang"))); },
                     asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return server_.count("/hang") == responses.size(); }));
    EXPECT_EQ(fetcher.in_flight(), responses.size());
    fetcher.shutdown();
    EXPECT_EQ(fetcher.in_flight(), 0u);
    EXPECT_TRUE(co_await wait_until([&] {
      for (const auto& response : responses) {
        if (!response) return false;
      }
      return true;
    }));
    after_shutdown = co_await fetcher.fetch(get(server_.url("/hang")));
  });
  for (const auto& response : responses) {
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->error, FetchError::cancelled);
  }
  ASSERT_TRUE(after_shutdown.has_value());
  EXPECT_EQ(after_shutdown->error, FetchError::cancelled);
}

TEST_F(HttpFetcherTest, DestructorCompletesTransfersInFlight) {
  server_.route("/hang", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.wait_for_peer_close();
  });
  auto fetcher = std::make_unique<HttpFetcher>(io_, loopback_options());
  std::vector<std::optional<FetchResponse>> responses(3);
  run([&]() -> awaitable<void> {
    for (auto& slot : responses) {
      asio::co_spawn(io_, [&]() -> awaitable<void> { slot = co_await fetcher->fetch(get(server_.url("/hang"))); },
                     asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return server_.count("/hang") == responses.size(); }));
    fetcher.reset();
    EXPECT_TRUE(co_await wait_until([&] {
      for (const auto& response : responses) {
        if (!response) return false;
      }
      return true;
    }));
  });
  for (const auto& response : responses) {
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->error, FetchError::cancelled);
  }
}

TEST_F(HttpFetcherTest, CallerCancellationAbortsTheTransfer) {
  using namespace asio::experimental::awaitable_operators;
  server_.route("/hang", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.wait_for_peer_close();
  });
  HttpFetcher fetcher(io_, loopback_options());
  std::size_t winner = 99;
  run([&]() -> awaitable<void> {
    asio::steady_timer deadline(io_, 200ms);
    auto result = co_await (fetcher.fetch(get(server_.url("/hang"))) || deadline.async_wait(asio::use_awaitable));
    winner = result.index();
    EXPECT_TRUE(co_await wait_until([&] { return fetcher.in_flight() == 0; }));
  });
  EXPECT_EQ(winner, 1u);
  EXPECT_EQ(fetcher.in_flight(), 0u);
}

// --- SSRF guard --------------------------------------------------------------------

TEST_F(HttpFetcherTest, PrivateAddressesNeedPermission) {
  server_.route("/ok", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "ok");
  });
  FetchOptions options = loopback_options();
  options.allow_private_networks = false;
  HttpFetcher fetcher(io_, options);

  const FetchResponse blocked = fetch(fetcher, get(server_.url("/ok")));
  EXPECT_EQ(blocked.error, FetchError::blocked_address) << blocked.error_detail;
  EXPECT_EQ(server_.accepted(), 0u);

  FetchRequest permitted = get(server_.url("/ok"));
  permitted.private_host = "127.0.0.1";
  const FetchResponse allowed = fetch(fetcher, permitted);
  ASSERT_TRUE(allowed.ok()) << allowed.error_detail;
  EXPECT_EQ(allowed.body, "ok");

  // The permitted transfer left a live connection in curl's cache; reusing
  // it must not bypass the guard.
  const FetchResponse reused = fetch(fetcher, get(server_.url("/ok")));
  EXPECT_EQ(reused.error, FetchError::blocked_address) << reused.error_detail;
  EXPECT_EQ(server_.count("/ok"), 1u);
}

TEST_F(HttpFetcherTest, LocalhostByNameIsBlocked) {
  server_.route("/ok", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "ok");
  });
  FetchOptions options = loopback_options();
  options.allow_private_networks = false;
  const std::string url = "http://localhost:" + std::to_string(server_.port()) + "/ok";
  const FetchResponse response = fetch(get(url), options);
  EXPECT_EQ(response.error, FetchError::blocked_address) << response.error_detail;
  EXPECT_EQ(server_.accepted(), 0u);
}

// A name curl has to look up goes through its resolver thread, whose wake-up
// socket is watched like any other. Needs a host name that maps to 127.0.0.1.
TEST_F(HttpFetcherTest, NameResolvedByTheResolverThread) {
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  const auto results = resolver.resolve(name, "", ec);
  const bool loopback = !ec && std::any_of(results.begin(), results.end(), [](const auto& entry) {
    return entry.endpoint().address() == asio::ip::make_address("127.0.0.1");
  });
  if (!loopback || std::string_view(name) == "localhost") {
    GTEST_SKIP() << "host name " << name << " does not resolve to 127.0.0.1";
  }
  server_.route("/ok", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "ok");
  });
  const std::string url = "http://" + std::string(name) + ":" + std::to_string(server_.port()) + "/ok";
  const FetchResponse allowed = fetch(get(url));
  ASSERT_TRUE(allowed.ok()) << allowed.error_detail;
  EXPECT_EQ(allowed.body, "ok");

  FetchOptions options = loopback_options();
  options.allow_private_networks = false;
  const FetchResponse blocked = fetch(get(url), options);
  EXPECT_EQ(blocked.error, FetchError::blocked_address) << blocked.error_detail;
}

// --- politeness per host ------------------------------------------------------------

// A route that holds each request until `open` is set, counting how many it
// holds at once and when each arrived.
struct Gate {
  bool open = false;
  int active = 0;
  int peak = 0;
  std::vector<std::chrono::steady_clock::time_point> arrivals;
};

Route gated(Gate& gate) {
  return [&gate](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    gate.arrivals.push_back(std::chrono::steady_clock::now());
    gate.peak = std::max(gate.peak, ++gate.active);
    asio::steady_timer timer(c.socket().get_executor());
    while (!gate.open) {
      timer.expires_after(2ms);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    --gate.active;
    co_await c.respond(200, {}, "ok");
  };
}

TEST_F(HttpFetcherTest, ConcurrentRequestsPerHostAreCapped) {
  Gate gate;
  server_.route("/slow", gated(gate));
  FetchOptions options = loopback_options();
  options.max_connections_per_host = 2;
  HttpFetcher fetcher(io_, options);
  constexpr int kFetches = 6;
  std::vector<std::optional<FetchResponse>> responses(kFetches);
  run([&]() -> awaitable<void> {
    for (int i = 0; i < kFetches; ++i) {
      asio::co_spawn(
          io_, [&, i]() -> awaitable<void> { responses[i] = co_await fetcher.fetch(get(server_.url("/slow"))); },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return gate.active == 2; }));
    EXPECT_EQ(fetcher.in_flight(), 2u);
    EXPECT_EQ(fetcher.waiting_for_host(), 4u);
    gate.open = true;
    EXPECT_TRUE(co_await wait_until([&] {
      return std::all_of(responses.begin(), responses.end(), [](const auto& r) { return r.has_value(); });
    }));
  });
  EXPECT_EQ(gate.peak, 2);
  for (const auto& response : responses) EXPECT_TRUE(response->ok() && response->status == 200);
  EXPECT_GT(responses.back()->queued, std::chrono::milliseconds(0));
}

TEST_F(HttpFetcherTest, MinimumDelayBetweenRequestsToOneHost) {
  Gate gate;
  gate.open = true;
  server_.route("/item", gated(gate));
  FetchOptions options = loopback_options();
  options.min_host_delay = 100ms;
  HttpFetcher fetcher(io_, options);
  int done = 0;
  run([&]() -> awaitable<void> {
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(
          io_, [&]() -> awaitable<void> {
            co_await fetcher.fetch(get(server_.url("/item")));
            ++done;
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] { return done == 3; }));
  });
  ASSERT_EQ(gate.arrivals.size(), 3u);
  // The delay separates request starts; arrivals at the server also carry
  // connection set-up, so a single gap may shrink by that much (the first
  // request connects, later ones may reuse the connection).
  EXPECT_GE(gate.arrivals[1] - gate.arrivals[0], 50ms);
  EXPECT_GE(gate.arrivals[2] - gate.arrivals[1], 50ms);
  EXPECT_GE(gate.arrivals[2] - gate.arrivals[0], 150ms);
}

TEST_F(HttpFetcherTest, TooManyRequestsPausesTheWholeHost) {
  std::vector<std::chrono::steady_clock::time_point> arrivals;
  server_.route("/limited", [&](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    arrivals.push_back(std::chrono::steady_clock::now());
    co_await c.respond(429, ResponseHeaders{}.add("Retry-After", "1"), "slow down");
  });
  server_.route("/other", [&](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    arrivals.push_back(std::chrono::steady_clock::now());
    co_await c.respond(200, {}, "ok");
  });
  HttpFetcher fetcher(io_, loopback_options());
  FetchResponse limited, other;
  run([&]() -> awaitable<void> {
    limited = co_await fetcher.fetch(get(server_.url("/limited")));
    other = co_await fetcher.fetch(get(server_.url("/other")));  // another path, same host
  });
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.retry_after, "1");
  EXPECT_EQ(other.status, 200);
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_GE(arrivals[1] - arrivals[0], 950ms);
  EXPECT_GE(other.queued, 900ms);
}

// --- robots.txt -------------------------------------------------------------------------

FetchOptions robots_options() {
  FetchOptions options = loopback_options();
  options.robots = true;
  return options;
}

TEST_F(HttpFetcherTest, RobotsTxtIsFetchedOnceCachedAndObeyed) {
  server_.route("/robots.txt", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, ResponseHeaders{}.add("Content-Type", "text/plain"),
                       "User-agent: *\nDisallow: /\n\nUser-agent: newsd-test\nDisallow: /private\n");
  });
  for (const char* path : {"/public", "/private/feed"}) {
    server_.route(path, [](ServerConnection& c, const ReceivedRequest& r) -> awaitable<void> {
      co_await c.respond(200, {}, r.path);
    });
  }
  HttpFetcher fetcher(io_, robots_options());
  std::vector<std::optional<FetchResponse>> responses(6);
  FetchResponse feed;
  run([&]() -> awaitable<void> {
    for (int i = 0; i < 6; ++i) {
      asio::co_spawn(
          io_,
          [&, i]() -> awaitable<void> {
            responses[i] = co_await fetcher.fetch(get(server_.url(i % 2 == 0 ? "/public" : "/private/feed")));
          },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] {
      return std::all_of(responses.begin(), responses.end(), [](const auto& r) { return r.has_value(); });
    }));
    FetchRequest exempt = get(server_.url("/private/feed"));
    exempt.skip_robots = true;  // what the poller sets for feeds
    feed = co_await fetcher.fetch(exempt);
  });
  EXPECT_EQ(server_.count("/robots.txt"), 1u) << "concurrent lookups share one fetch";
  for (int i = 0; i < 6; ++i) {
    if (i % 2 == 0) {
      EXPECT_TRUE(responses[i]->ok()) << responses[i]->error_detail;
    } else {
      EXPECT_EQ(responses[i]->error, FetchError::robots_disallowed);
    }
  }
  EXPECT_EQ(server_.count("/private/feed"), 1u);
  EXPECT_TRUE(feed.ok() && feed.body == "/private/feed");
}

TEST_F(HttpFetcherTest, MissingRobotsTxtAllowsAndUnreachableDisallows) {
  server_.route("/page", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "page");
  });
  // No /robots.txt route: 404, so everything is allowed.
  EXPECT_TRUE(fetch(get(server_.url("/page")), robots_options()).ok());

  LoopbackHttpServer broken(io_, "127.0.0.2");
  broken.route("/robots.txt", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(503, {}, "down");
  });
  broken.route("/page", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "page");
  });
  const FetchResponse refused = fetch(get(broken.url("/page")), robots_options());
  EXPECT_EQ(refused.error, FetchError::robots_disallowed) << refused.error_detail;
  EXPECT_EQ(broken.count("/page"), 0u);
}

// --- proxy, headers, permanent redirects --------------------------------------------

TEST_F(HttpFetcherTest, ProxyGlobalAndPerRequest) {
  // A plain HTTP proxy receives the absolute URL as the request target.
  server_.route("http://feeds.example.invalid/feed", [](ServerConnection& c, const ReceivedRequest& r) -> awaitable<void> {
    co_await c.respond(200, {}, "via proxy: " + r.header("host"));
  });
  FetchOptions options = loopback_options();
  options.proxy = server_.url("");
  const FetchResponse global = fetch(get("http://feeds.example.invalid/feed"), options);
  ASSERT_TRUE(global.ok()) << global.error_detail;
  EXPECT_EQ(global.body, "via proxy: feeds.example.invalid");

  FetchRequest per_source = get("http://feeds.example.invalid/feed");
  per_source.proxy = server_.url("");
  const FetchResponse proxied = fetch(per_source);
  ASSERT_TRUE(proxied.ok()) << proxied.error_detail;
  EXPECT_EQ(proxied.body, "via proxy: feeds.example.invalid");

  // A literal private address is still refused through a proxy.
  FetchOptions strict = loopback_options();
  strict.allow_private_networks = false;
  FetchRequest metadata = get("http://169.254.169.254/latest/meta-data/");
  metadata.proxy = server_.url("");
  EXPECT_EQ(fetch(metadata, strict).error, FetchError::blocked_address);
  EXPECT_EQ(server_.requests().size(), 2u);
}

// The proxy in these tests is server_ itself: a plain HTTP proxy receives the
// absolute URL as the request target, so a route per absolute URL answers as
// the site behind the proxy would.
TEST_F(HttpFetcherTest, ProxiedRedirectsAreCheckedHopByHop) {
  const std::string port = std::to_string(server_.port());
  FetchOptions strict = loopback_options();
  strict.allow_private_networks = false;
  strict.proxy = server_.url("");
  HttpFetcher fetcher(io_, strict);

  // A public hop is still followed, one transfer at a time.
  server_.route("http://203.0.113.10/old", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(301, ResponseHeaders{}.add("Location", "http://203.0.113.11/new"), "");
  });
  server_.route("http://203.0.113.11/new", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "moved");
  });
  const FetchResponse moved = fetch(fetcher, get("http://203.0.113.10/old"));
  ASSERT_TRUE(moved.ok()) << moved.error_detail;
  EXPECT_EQ(moved.body, "moved");
  EXPECT_EQ(moved.permanent_redirect, "http://203.0.113.11/new");
  const std::size_t public_requests = server_.requests().size();
  EXPECT_EQ(public_requests, 2u);

  const std::vector<std::string> private_targets = {
      "http://127.0.0.1:" + port + "/secret", "http://[::1]:" + port + "/secret",
      "http://169.254.169.254/latest/meta-data/", "http://localhost:" + port + "/secret"};
  for (std::size_t i = 0; i < private_targets.size(); ++i) {
    const std::string feed = "http://203.0.113.10/feed" + std::to_string(i);
    const std::string location = private_targets[i];
    server_.route(feed, [location](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
      co_await c.respond(302, ResponseHeaders{}.add("Location", location), "");
    });
    const FetchResponse response = fetch(fetcher, get(feed));
    EXPECT_EQ(response.error, FetchError::blocked_address) << location << ": " << response.error_detail;
    EXPECT_TRUE(response.body.empty()) << location;
  }
  // The proxy was asked for each feed and never for a private target.
  ASSERT_EQ(server_.requests().size(), public_requests + private_targets.size());
  for (std::size_t i = public_requests; i < server_.requests().size(); ++i) {
    EXPECT_TRUE(server_.requests()[i].target.starts_with("http://203.0.113.10/feed")) << server_.requests()[i].target;
  }
}

// Sets environment variables for one test and restores them after it.
class ScopedEnvironment {
 public:
  void set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.push_back({name, old != nullptr, old != nullptr ? old : ""});
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->had) {
        ::setenv(it->name, it->value.c_str(), 1);
      } else {
        ::unsetenv(it->name);
      }
    }
  }

 private:
  struct Saved {
    const char* name;
    bool had;
    std::string value;
  };
  std::vector<Saved> saved_;
};

TEST_F(HttpFetcherTest, EnvironmentProxiesAreIgnored) {
  LoopbackHttpServer env_proxy(io_, "127.0.0.3");
  server_.route("/feed", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "direct");
  });
  ScopedEnvironment environment;
  environment.set("http_proxy", env_proxy.url(""));
  environment.set("all_proxy", env_proxy.url(""));

  const FetchResponse direct = fetch(get(server_.url("/feed")));
  ASSERT_TRUE(direct.ok()) << direct.error_detail;
  EXPECT_EQ(direct.body, "direct");

  FetchOptions strict = loopback_options();
  strict.allow_private_networks = false;
  const FetchResponse refused = fetch(get(server_.url("/feed")), strict);
  EXPECT_EQ(refused.error, FetchError::blocked_address) << refused.error_detail;
  EXPECT_TRUE(env_proxy.requests().empty());
  EXPECT_EQ(server_.count("/feed"), 1u);

  // no_proxy must not send a request around the configured proxy either:
  // the guard would take the socket for the proxy's.
  environment.set("no_proxy", "*");
  FetchOptions proxied = loopback_options();
  proxied.proxy = env_proxy.url("");
  const FetchResponse through = fetch(get(server_.url("/feed")), proxied);
  EXPECT_EQ(through.status, 404) << through.error_detail;
  EXPECT_EQ(env_proxy.requests().size(), 1u);
  EXPECT_EQ(server_.count("/feed"), 1u);
}

TEST_F(HttpFetcherTest, PrivatePermissionCoversItsOwnHostOnly) {
  LoopbackHttpServer other(io_, "127.0.0.2");
  other.route("/page", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "other host");
  });
  server_.route("/feed", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "own host");
  });
  const std::string elsewhere = other.url("/page");
  server_.route("/hop", [elsewhere](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(302, ResponseHeaders{}.add("Location", elsewhere), "");
  });
  FetchOptions strict = loopback_options();
  strict.allow_private_networks = false;
  HttpFetcher fetcher(io_, strict);
  const auto from_source = [&](std::string url) {
    FetchRequest request = get(std::move(url));
    request.private_host = parsers::url_host(server_.url("/"));
    return request;
  };

  const FetchResponse own = fetch(fetcher, from_source(server_.url("/feed")));
  ASSERT_TRUE(own.ok()) << own.error_detail;
  EXPECT_EQ(own.body, "own host");

  // An article link of the source to another private host.
  const FetchResponse link = fetch(fetcher, from_source(other.url("/page")));
  EXPECT_EQ(link.error, FetchError::blocked_address) << link.error_detail;
  // A redirect from the source's host to another private host.
  const FetchResponse hop = fetch(fetcher, from_source(server_.url("/hop")));
  EXPECT_EQ(hop.error, FetchError::blocked_address) << hop.error_detail;
  EXPECT_EQ(server_.count("/hop"), 1u);
  EXPECT_EQ(other.accepted(), 0u);
}

TEST_F(HttpFetcherTest, GlobalAndPerRequestHeadersAreSent) {
  server_.route("/h", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "ok");
  });
  FetchOptions options = loopback_options();
  options.headers = {"X-Operator: newsd-ops", "Accept-Language: ar"};
  FetchRequest request = get(server_.url("/h"));
  request.extra_headers = {"X-Source: wafaa"};
  ASSERT_TRUE(fetch(request, options).ok());
  ASSERT_EQ(server_.requests().size(), 1u);
  const ReceivedRequest& seen = server_.requests()[0];
  EXPECT_EQ(seen.header("x-operator"), "newsd-ops");
  EXPECT_EQ(seen.header("accept-language"), "ar");
  EXPECT_EQ(seen.header("x-source"), "wafaa");
  EXPECT_EQ(seen.header("user-agent"), "newsd-test/1.0");

  FetchOptions smuggling = loopback_options();
  smuggling.headers = {"X-A: 1\r\nX-Injected: 2"};
  EXPECT_EQ(fetch(get(server_.url("/h")), smuggling).error, FetchError::other);
}

TEST_F(HttpFetcherTest, PermanentRedirectIsReported) {
  const auto redirect = [](int status, std::string to) {
    return [status, to](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
      co_await c.respond(status, ResponseHeaders{}.add("Location", to), "");
    };
  };
  server_.route("/moved", redirect(301, "/feed"));
  server_.route("/moved-308", redirect(308, "/moved"));  // two permanent hops
  server_.route("/temporary", redirect(302, "/feed"));
  server_.route("/mixed", redirect(301, "/temporary"));  // permanent, then temporary
  server_.route("/feed", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "feed");
  });
  EXPECT_EQ(fetch(get(server_.url("/moved"))).permanent_redirect, server_.url("/feed"));
  EXPECT_EQ(fetch(get(server_.url("/moved-308"))).permanent_redirect, server_.url("/feed"));
  EXPECT_EQ(fetch(get(server_.url("/temporary"))).permanent_redirect, "");
  const FetchResponse mixed = fetch(get(server_.url("/mixed")));
  EXPECT_EQ(mixed.permanent_redirect, server_.url("/temporary"));
  EXPECT_EQ(mixed.effective_url, server_.url("/feed"));
  EXPECT_EQ(fetch(get(server_.url("/feed"))).permanent_redirect, "");
}

// --- bad servers cost the healthy nothing ---------------------------------------------

TEST_F(HttpFetcherTest, BadServersDoNotDelayAHealthyFetch) {
  server_.route("/silent", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.wait_for_peer_close();
  });
  server_.route("/trickle", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    if (!co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")) co_return;
    while (co_await c.write("x")) co_await c.pause(1s);
  });
  server_.route("/endless", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    if (!co_await c.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")) co_return;
    const std::string chunk(64 * 1024, 'x');
    while (co_await c.write(chunk)) {
    }
  });
  server_.route("/loop", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(302, ResponseHeaders{}.add("Location", "/loop"), "");
  });
  server_.route("/chunked", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    co_await c.wait_for_peer_close();
  });
  server_.route("/reset", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
    c.reset();
  });
  LoopbackHttpServer healthy(io_, "127.0.0.2");
  healthy.route("/feed", [](ServerConnection& c, const ReceivedRequest&) -> awaitable<void> {
    co_await c.respond(200, {}, "<rss/>");
  });

  FetchOptions options = loopback_options();
  options.max_connections_per_host = 2;  // the bad ones queue behind each other, not the healthy one
  options.total_timeout = 3s;
  options.low_speed_bytes = 100;
  options.low_speed_time = 1s;
  HttpFetcher fetcher(io_, options);
  const std::vector<std::pair<std::string, FetchError>> bad = {
      {"/silent", FetchError::timeout},         {"/trickle", FetchError::timeout},
      {"/endless", FetchError::too_large},      {"/loop", FetchError::too_many_redirects},
      {"/chunked", FetchError::protocol},       {"/reset", FetchError::protocol}};
  std::vector<std::optional<FetchResponse>> bad_responses(bad.size() * 2);
  std::optional<FetchResponse> good;
  std::chrono::milliseconds good_after{0};
  const auto start = std::chrono::steady_clock::now();
  run([&]() -> awaitable<void> {
    for (std::size_t i = 0; i < bad_responses.size(); ++i) {
      asio::co_spawn(
          io_,
          [&, i]() -> awaitable<void> {
            bad_responses[i] = co_await fetcher.fetch(get(server_.url(bad[i % bad.size()].first)));
          },
          asio::detached);
    }
    // Let the bad transfers get going before the healthy one starts.
    EXPECT_TRUE(co_await wait_until([&] { return server_.requests().size() >= 2; }));
    const auto healthy_start = std::chrono::steady_clock::now();
    good = co_await fetcher.fetch(get(healthy.url("/feed")));
    good_after = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                       healthy_start);
    EXPECT_TRUE(co_await wait_until(
        [&] {
          return std::all_of(bad_responses.begin(), bad_responses.end(), [](const auto& r) { return r.has_value(); });
        },
        15s));
  });
  ASSERT_TRUE(good.has_value());
  EXPECT_TRUE(good->ok() && good->body == "<rss/>") << good->error_detail;
  EXPECT_LT(good_after, 500ms);
  EXPECT_EQ(good->queued, std::chrono::milliseconds(0));
  for (std::size_t i = 0; i < bad_responses.size(); ++i) {
    ASSERT_TRUE(bad_responses[i].has_value()) << bad[i % bad.size()].first;
    EXPECT_EQ(bad_responses[i]->error, bad[i % bad.size()].second)
        << bad[i % bad.size()].first << ": " << bad_responses[i]->error_detail;
    EXPECT_LE(bad_responses[i]->elapsed, 4s) << bad[i % bad.size()].first;
  }
  // Twelve bad transfers, two at a time, each bounded by the 3 s timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_EQ(fetcher.in_flight(), 0u);
}

// --- HTTP/2 -------------------------------------------------------------------------------

// nghttpd (Debian package nghttp2-server) over TLS with a throw-away
// certificate for 127.0.0.1: curl negotiates h2 by ALPN and multiplexes
// concurrent requests over one connection.
class Http2Server {
 public:
  Http2Server() {
    if (std::system("command -v nghttpd >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1") != 0) return;
    char pattern[] = "/tmp/newsd-h2-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return;
    dir_ = pattern;
    const std::string make_cert =
        "cd " + dir_ + " && mkdir -p htdocs && printf '<rss/>' > htdocs/feed.xml && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1";
    if (std::system(make_cert.c_str()) != 0) return;
    asio::io_context probe_io;
    asio::ip::tcp::acceptor probe(probe_io, {asio::ip::make_address("127.0.0.1"), 0});
    port_ = probe.local_endpoint().port();
    probe.close();
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      const std::string htdocs = "--htdocs=" + dir_ + "/htdocs";
      const std::string key = dir_ + "/key.pem", cert = dir_ + "/cert.pem";
      ::execlp("nghttpd", "nghttpd", "--address=127.0.0.1", htdocs.c_str(), port.c_str(), key.c_str(), cert.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Http2Server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::system(("rm -rf " + dir_).c_str());
  }
  bool started() const { return pid_ > 0; }
  std::string ca_file() const { return dir_ + "/cert.pem"; }
  std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + path; }
  std::uint16_t port() const { return port_; }

 private:
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(HttpFetcherTest, Http2MultiplexesConcurrentRequestsOnOneConnection) {
  Http2Server h2;
  if (!h2.started()) GTEST_SKIP() << "nghttpd or openssl not installed (apt install nghttp2-server)";
  FetchOptions options = loopback_options();
  options.ca_file = h2.ca_file();
  options.max_connections_per_host = 8;
  HttpFetcher fetcher(io_, options);
  constexpr int kFetches = 8;
  std::vector<std::optional<FetchResponse>> responses(kFetches);
  run([&]() -> awaitable<void> {
    // Wait for nghttpd to listen: a connect that succeeds, with a deadline.
    const bool listening = co_await wait_until([&] {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      socket.connect({asio::ip::make_address("127.0.0.1"), h2.port()}, ec);
      return !ec;
    });
    EXPECT_TRUE(listening);
    // Warm up: one connection, negotiated as h2.
    responses[0] = co_await fetcher.fetch(get(h2.url("/feed.xml")));
    for (int i = 1; i < kFetches; ++i) {
      asio::co_spawn(
          io_, [&, i]() -> awaitable<void> { responses[i] = co_await fetcher.fetch(get(h2.url("/feed.xml"))); },
          asio::detached);
    }
    EXPECT_TRUE(co_await wait_until([&] {
      return std::all_of(responses.begin(), responses.end(), [](const auto& r) { return r.has_value(); });
    }));
  });
  long connections = 0;
  for (const auto& response : responses) {
    ASSERT_TRUE(response.has_value());
    ASSERT_TRUE(response->ok()) << response->error_detail;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "<rss/>");
    EXPECT_EQ(response->http_version, 20);
    connections += response->new_connections;
  }
  EXPECT_EQ(connections, 1) << "every request after the first rode the same h2 connection";
}

}  // namespace
}  // namespace newsd::fetchers
