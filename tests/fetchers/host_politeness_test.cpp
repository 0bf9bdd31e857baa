// HostPoliteness on a real io_context: turns, delays and pauses are measured
// with the steady clock; every wait is on a condition with a deadline.
#include "fetchers/host_politeness.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

namespace newsd::fetchers {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using asio::awaitable;

awaitable<bool> wait_until(std::function<bool()> condition, std::chrono::milliseconds deadline = 10s) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = Clock::now() + deadline;
  while (!condition()) {
    if (Clock::now() > until) co_return false;
    timer.expires_after(1ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

class HostPolitenessTest : public ::testing::Test {
 protected:
  void run(std::function<awaitable<void>()> body) {
    bool done = false;
    std::exception_ptr failure;
    asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
      failure = e;
      done = true;
      io_.stop();
    });
    io_.run_for(20s);
    ASSERT_TRUE(done) << "test coroutine did not finish before the deadline";
    if (failure) std::rethrow_exception(failure);
  }

  // A "request" that holds its turn until `release` says so.
  struct Request {
    Clock::time_point started{};
    bool has_turn = false;
    bool finished = false;
    bool release = false;
  };

  void spawn(HostPoliteness& politeness, std::string host, Request& request) {
    asio::co_spawn(
        io_,
        [&, host]() -> awaitable<void> {
          auto turn = co_await politeness.acquire(host);
          request.has_turn = static_cast<bool>(turn);
          request.started = Clock::now();
          co_await wait_until([&] { return request.release; });
          request.finished = true;
        },
        asio::detached);
  }

  asio::io_context io_;
};

TEST_F(HostPolitenessTest, CapsConcurrentTurnsPerHostAndServesInOrder) {
  HostPoliteness politeness(io_, PolitenessOptions{2, 0ms});
  std::vector<Request> a(5), b(1);
  run([&]() -> awaitable<void> {
    for (auto& r : a) spawn(politeness, "a.example", r);
    spawn(politeness, "b.example", b[0]);
    EXPECT_TRUE(co_await wait_until([&] { return a[0].has_turn && a[1].has_turn && b[0].has_turn; }));
    // Other hosts are not held up by a's queue; a's third waits.
    EXPECT_FALSE(a[2].has_turn);
    EXPECT_EQ(politeness.waiting(), 3u);
    a[1].release = true;
    EXPECT_TRUE(co_await wait_until([&] { return a[2].has_turn; }));
    EXPECT_FALSE(a[3].has_turn) << "first come, first served";
    for (auto& r : a) r.release = true;
    b[0].release = true;
    EXPECT_TRUE(co_await wait_until([&] { return a[4].finished && b[0].finished; }));
  });
  for (auto& r : a) EXPECT_TRUE(r.has_turn);
  EXPECT_EQ(politeness.waiting(), 0u);
}

TEST_F(HostPolitenessTest, MinimumDelayBetweenRequestStarts) {
  HostPoliteness politeness(io_, PolitenessOptions{4, 50ms});
  std::vector<Request> requests(4);
  run([&]() -> awaitable<void> {
    for (auto& r : requests) {
      r.release = true;
      spawn(politeness, "slow.example", r);
    }
    EXPECT_TRUE(co_await wait_until([&] { return requests[3].finished; }));
  });
  for (std::size_t i = 1; i < requests.size(); ++i)
    EXPECT_GE(requests[i].started - requests[i - 1].started, 49ms) << i;
}

TEST_F(HostPolitenessTest, PauseHoldsTheHostForRetryAfter) {
  HostPoliteness politeness(io_, PolitenessOptions{2, 0ms});
  Request later, other;
  later.release = other.release = true;
  Clock::time_point paused_at;
  run([&]() -> awaitable<void> {
    paused_at = Clock::now();
    politeness.pause("busy.example", 200ms);
    spawn(politeness, "busy.example", later);
    spawn(politeness, "calm.example", other);
    EXPECT_TRUE(co_await wait_until([&] { return other.finished; }));
    EXPECT_FALSE(later.has_turn);
    EXPECT_TRUE(co_await wait_until([&] { return later.finished; }));
  });
  EXPECT_GE(later.started - paused_at, 199ms);
  EXPECT_LT(other.started - paused_at, 150ms);
}

TEST_F(HostPolitenessTest, PauseIsCappedAndCrawlDelayRaisesTheHostDelay) {
  PolitenessOptions options{1, 0ms};
  options.max_pause = 100ms;
  HostPoliteness politeness(io_, options);
  politeness.set_host_delay("crawl.example", 80ms);
  Request paused, first, second;
  paused.release = first.release = second.release = true;
  const auto start = Clock::now();
  run([&]() -> awaitable<void> {
    politeness.pause("capped.example", std::chrono::hours(5));
    spawn(politeness, "capped.example", paused);
    spawn(politeness, "crawl.example", first);
    spawn(politeness, "crawl.example", second);
    EXPECT_TRUE(co_await wait_until([&] { return paused.finished && second.finished; }));
  });
  EXPECT_LT(paused.started - start, 2s);
  EXPECT_GE(second.started - first.started, 79ms);
}

TEST_F(HostPolitenessTest, ShutdownWakesWaitersEmptyHanded) {
  auto politeness = std::make_unique<HostPoliteness>(io_, PolitenessOptions{1, 0ms});
  Request holder, waiter;
  bool waiter_done = false;
  run([&]() -> awaitable<void> {
    spawn(*politeness, "h.example", holder);
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          auto turn = co_await politeness->acquire("h.example");
          waiter.has_turn = static_cast<bool>(turn);
          waiter_done = true;
        },
        asio::detached);
    EXPECT_TRUE(co_await wait_until([&] { return holder.has_turn && politeness->waiting() == 1; }));
    politeness.reset();  // destroyed with a waiter queued and a turn out
    EXPECT_TRUE(co_await wait_until([&] { return waiter_done; }));
    holder.release = true;  // its Turn now releases into nothing, harmlessly
    EXPECT_TRUE(co_await wait_until([&] { return holder.finished; }));
  });
  EXPECT_FALSE(waiter.has_turn);
}

TEST(RetryAfter, SecondsOrDate) {
  const auto now = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1) + 12h;
  EXPECT_EQ(parse_retry_after(" 120 ", now), std::chrono::milliseconds(120s));
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 2024 12:10:00 GMT", now), std::chrono::milliseconds(10min));
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now), std::chrono::milliseconds(0));
  EXPECT_EQ(parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(parse_retry_after("", now), std::nullopt);
}

}  // namespace
}  // namespace newsd::fetchers
