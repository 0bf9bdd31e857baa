// Tests for HttpFetcher against LoopbackHttpServer on 127.0.0.1: the server
// and the fetcher share one io_context on the test thread, and every wait is
// on a condition with a deadline.
#include "fetchers/http_fetcher.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "tests/fetchers/loopback_http_server.hpp"

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

// --- address policy ----------------------------------------------------------

TEST(IsBlockedAddress, RefusesNonPublicRanges) {
  for (const char* text : {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                           "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.254", "0.0.0.0",
                           "224.0.0.1", "255.255.255.255", "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1",
                           "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
                           "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "ff02::1"}) {
    EXPECT_TRUE(is_blocked_address(asio::ip::make_address(text))) << text;
  }
  for (const char* text : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1",
                           "192.169.0.1", "93.184.216.34", "::ffff:8.8.8.8", "2001:4860:4860::8888",
                           "2606:4700::1111"}) {
    EXPECT_FALSE(is_blocked_address(asio::ip::make_address(text))) << text;
  }
}

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
  permitted.allow_private_networks = true;
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

}  // namespace
}  // namespace newsd::fetchers
