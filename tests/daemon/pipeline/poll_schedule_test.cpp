// PollSchedule and NetworkOutageDetector are pure: time is handed in, so
// hours of polling run in microseconds.
#include "daemon/pipeline/poll_schedule.hpp"

#include <chrono>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Kind = PollOutcome::Kind;

const PollSchedule::Clock::time_point kStart{std::chrono::hours(1000)};
const PollSchedule::WallClock::time_point kWall = std::chrono::sys_days(std::chrono::year(2024) / 3 / 1);

PollOutcome outcome(Kind kind, long status = 200) {
  PollOutcome o;
  o.kind = kind;
  o.status = status;
  return o;
}

PollPolicy policy(milliseconds interval, milliseconds min = 0ms, milliseconds max = 0ms) {
  PollPolicy p;
  p.interval = interval;
  p.min_interval = min;
  p.max_interval = max;
  return p;
}

// Runs `count` polls, each starting when the previous delay ends.
struct Driver {
  PollSchedule schedule;
  PollSchedule::Clock::time_point now = kStart;
  milliseconds last{0};

  milliseconds poll(const PollOutcome& o) {
    last = schedule.on_poll(o, now, kWall + (now - kStart));
    now += last;
    return last;
  }
};

TEST(PollSchedule, FixedIntervalWithJitterUpToTenPercentEarlier) {
  Driver d{PollSchedule(policy(60s), 7)};
  milliseconds low = 1h, high = 0ms;
  for (int i = 0; i < 500; ++i) {
    const auto delay = d.poll(outcome(i % 3 == 0 ? Kind::changed : Kind::unchanged));
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  EXPECT_GE(low, 54s);
  EXPECT_LE(high, 60s) << "never later than the interval: it is the freshness promise";
  EXPECT_LT(low, 55s) << "jitter should spread delays";
  EXPECT_GT(high, 59s);
  EXPECT_EQ(d.schedule.current_interval(), 60s) << "no range configured: nothing to adapt";
}

TEST(PollSchedule, InitialDelaySpreadsStartsOverOneInterval) {
  PollSchedule schedule(policy(60s), 3);
  milliseconds low = 1h, high = 0ms;
  for (int i = 0; i < 200; ++i) {
    const auto delay = schedule.initial_delay();
    low = std::min(low, delay);
    high = std::max(high, delay);
  }
  EXPECT_GE(low, 0ms);
  EXPECT_LT(low, 6s);
  EXPECT_GT(high, 54s);
  EXPECT_LE(high, 60s);
}

TEST(PollSchedule, BackoffDoublesCapsAndNeverGivesUp) {
  PollPolicy p = policy(60s);
  p.max_backoff = 30min;
  Driver d{PollSchedule(p, 11)};
  const double expected[] = {60, 120, 240, 480, 960, 1800, 1800, 1800};
  for (double base_seconds : expected) {
    const auto delay = d.poll(outcome(Kind::failed, 0));
    EXPECT_GE(delay.count(), base_seconds * 1000 * 0.75 - 1) << base_seconds;
    EXPECT_LE(delay.count(), base_seconds * 1000 * 1.25 + 1) << base_seconds;
  }
  for (int i = 0; i < 1000; ++i) EXPECT_LE(d.poll(outcome(Kind::failed, 500)), 30min * 1.25);
  EXPECT_EQ(d.schedule.backoff_streak(), 1008);
  // One success and the source is back on its interval.
  EXPECT_LE(d.poll(outcome(Kind::unchanged, 304)), 66s);
  EXPECT_EQ(d.schedule.backoff_streak(), 0);
}

TEST(PollSchedule, BackoffJitterSpreadsSourcesThatFailedTogether) {
  std::set<std::int64_t> delays;
  for (std::uint32_t seed = 1; seed <= 50; ++seed) {
    Driver d{PollSchedule(policy(60s), seed)};
    for (int i = 0; i < 4; ++i) d.poll(outcome(Kind::failed, 0));
    delays.insert(d.last.count() / 1000);
  }
  EXPECT_GT(delays.size(), 30u);
}

TEST(PollSchedule, NetworkOutageIsNotCountedAgainstTheSource) {
  Driver d{PollSchedule(policy(60s), 5)};
  d.poll(outcome(Kind::failed, 0));  // before the outage was recognised
  PollOutcome during = outcome(Kind::failed, 0);
  during.network_outage = true;
  for (int i = 0; i < 50; ++i) {
    const auto delay = d.poll(during);
    EXPECT_LE(delay, 75s) << "an outage must not push a source into long backoff";
  }
  EXPECT_EQ(d.schedule.backoff_streak(), 1);
}

TEST(PollSchedule, RetryAfterSecondsAndDateAreHonoured) {
  Driver d{PollSchedule(policy(60s), 9)};
  PollOutcome limited = outcome(Kind::failed, 429);
  limited.retry_after = "600";
  auto delay = d.poll(limited);
  EXPECT_GE(delay, 600s);
  EXPECT_LE(delay, 660s);

  PollOutcome unavailable = outcome(Kind::failed, 503);
  unavailable.date = "Fri, 01 Mar 2024 00:00:00 GMT";
  unavailable.retry_after = "Fri, 01 Mar 2024 02:00:00 GMT";  // two hours later by the server's clock
  delay = d.poll(unavailable);
  EXPECT_GE(delay, 2h);
  EXPECT_LE(delay, 2h * 1.1);

  PollOutcome absurd = outcome(Kind::failed, 503);
  absurd.retry_after = "99999999";
  EXPECT_LE(d.poll(absurd), 6h * 1.1) << "capped at max_retry_after";

  // Retry-After on other statuses means something else (or nothing).
  Driver fresh{PollSchedule(policy(60s), 9)};
  PollOutcome ok = outcome(Kind::unchanged, 200);
  ok.retry_after = "3600";
  EXPECT_LE(fresh.poll(ok), 66s);
}

TEST(PollSchedule, ServerHintsAreAFloorUpToMaxInterval) {
  PollOutcome ttl = outcome(Kind::unchanged);
  ttl.ttl_minutes = 30;
  Driver capped{PollSchedule(policy(60s), 1)};
  EXPECT_LE(capped.poll(ttl), 66s) << "max_interval defaults to interval: hints cannot stretch it";

  // Each hint on a fresh schedule, so that what it learned does not mix in.
  const auto first_delay = [](const PollOutcome& o) {
    Driver open{PollSchedule(policy(60s, 0ms, 1h), 1)};
    return open.poll(o);
  };
  auto delay = first_delay(ttl);
  EXPECT_GE(delay, 30min) << "never before the server said";
  EXPECT_LE(delay, 33min);

  PollOutcome cache = outcome(Kind::unchanged);
  cache.cache_control = "public, max-age=900";
  delay = first_delay(cache);
  EXPECT_GE(delay, 15min);
  EXPECT_LE(delay, 17min);

  PollOutcome expires = outcome(Kind::unchanged);
  expires.date = "Fri, 01 Mar 2024 10:00:00 GMT";
  expires.expires = "Fri, 01 Mar 2024 10:20:00 GMT";
  delay = first_delay(expires);
  EXPECT_GE(delay, 20min);
  EXPECT_LE(delay, 22min);

  PollOutcome huge = outcome(Kind::unchanged);
  huge.cache_control = "max-age=604800";
  EXPECT_LE(first_delay(huge), 60min) << "never past max_interval";

  PollOutcome past = outcome(Kind::unchanged);
  past.expires = "0";
  past.cache_control = "no-cache";
  Driver plain{PollSchedule(policy(60s, 0ms, 1h), 1)};
  EXPECT_LE(plain.poll(past), 66s);
}

TEST(PollSchedule, MaxAgeParsing) {
  EXPECT_EQ(PollSchedule::max_age("max-age=60"), milliseconds(60s));
  EXPECT_EQ(PollSchedule::max_age("public, MAX-AGE=\"120\" , must-revalidate"), milliseconds(120s));
  EXPECT_EQ(PollSchedule::max_age("no-store, max-age=60"), std::nullopt);
  EXPECT_EQ(PollSchedule::max_age("max-age=abc"), std::nullopt);
  EXPECT_EQ(PollSchedule::max_age(""), std::nullopt);
}

TEST(PollSchedule, AdaptsToAFrequentlyChangingSource) {
  // Changes at every poll: the interval shrinks to min_interval.
  Driver d{PollSchedule(policy(10min, 1min, 1h), 2)};
  for (int i = 0; i < 30; ++i) d.poll(outcome(Kind::changed));
  EXPECT_EQ(d.schedule.current_interval(), 1min);
}

TEST(PollSchedule, AdaptsToAQuietSourceButNeverPastMax) {
  Driver d{PollSchedule(policy(1min, 1min, 20min), 4)};
  d.poll(outcome(Kind::changed));  // baseline
  for (int i = 0; i < 100; ++i) d.poll(outcome(Kind::unchanged));
  EXPECT_EQ(d.schedule.current_interval(), 20min);
  // News again: it comes back down, gradually.
  for (int i = 0; i < 40; ++i) d.poll(outcome(Kind::changed));
  EXPECT_EQ(d.schedule.current_interval(), 1min);
}

TEST(PollSchedule, LearnsTheRealChangePeriod) {
  // The source publishes every 40 minutes; we may poll from 1 min to 2 h.
  Driver d{PollSchedule(policy(5min, 1min, 2h), 8)};
  auto next_change = kStart + 40min;
  for (int i = 0; i < 400; ++i) {
    const bool changed = d.now >= next_change;
    if (changed) next_change += 40min;
    d.poll(outcome(changed ? Kind::changed : Kind::unchanged));
  }
  EXPECT_GE(d.schedule.current_interval(), 10min);
  EXPECT_LE(d.schedule.current_interval(), 30min);
}

TEST(PollSchedule, NoNewsNeverSpeedsUpPolling) {
  Driver d{PollSchedule(policy(10min, 1min, 1h), 6)};
  d.poll(outcome(Kind::changed));
  for (int i = 0; i < 5; ++i) {
    d.poll(outcome(Kind::unchanged));
    EXPECT_GE(d.schedule.current_interval(), 10min);
  }
}

// --- NetworkOutageDetector ---------------------------------------------------------

TEST(NetworkOutageDetector, EveryHostFailingIsAnOutage) {
  NetworkOutageDetector detector(3);
  auto now = kStart;
  for (int i = 0; i < 10; ++i) detector.record("site" + std::to_string(i), true, now += 1s);
  EXPECT_FALSE(detector.outage());
  auto change = NetworkOutageDetector::Change::none;
  for (int i = 0; i < 10 && change == NetworkOutageDetector::Change::none; ++i)
    change = detector.record("site" + std::to_string(i), false, now += 1s);
  EXPECT_EQ(change, NetworkOutageDetector::Change::began);
  EXPECT_TRUE(detector.outage());
  EXPECT_EQ(detector.record("site3", true, now += 1s), NetworkOutageDetector::Change::ended);
  EXPECT_FALSE(detector.outage());
}

TEST(NetworkOutageDetector, AFewDeadHostsAmongLiveOnesAreNot) {
  NetworkOutageDetector detector(3);
  auto now = kStart;
  for (int i = 0; i < 20; ++i) detector.record("site" + std::to_string(i), true, now += 100ms);
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 20; ++i) {
      const bool dead = i < 4;  // four hosts are down for good
      detector.record("site" + std::to_string(i), !dead, now += 100ms);
      EXPECT_FALSE(detector.outage()) << round << " " << i;
    }
  }
}

TEST(NetworkOutageDetector, OneHostFailingIsNeverAnOutage) {
  NetworkOutageDetector detector(3);
  auto now = kStart;
  for (int i = 0; i < 100; ++i) detector.record("only", false, now += 1s);
  EXPECT_FALSE(detector.outage());
}

TEST(NetworkOutageDetector, OldHostsAgeOut) {
  NetworkOutageDetector detector(3, 10min);
  auto now = kStart;
  for (int i = 0; i < 100; ++i) detector.record("old" + std::to_string(i), true, now += 1s);
  now += 1h;
  // Three fresh failures are the whole recent picture.
  for (int i = 0; i < 3; ++i) detector.record("new" + std::to_string(i), false, now += 1s);
  EXPECT_TRUE(detector.outage());
}

}  // namespace
}  // namespace newsd::daemon
