#pragma once
// PollSchedule: when one source is polled next. Pure: no I/O, no clock (every
// call is given "now"), seeded randomness, so every rule is testable in
// microseconds. Owned by the source's SourcePoller.
//
// The rules, in order:
//  - the learned interval: the configured interval at first, then adapted
//    to how often the source really publishes (half the mean time between
//    polls that brought new items, stretched while nothing new arrives),
//    clamped to [min_interval, max_interval];
//  - server hints as a floor, capped at max_interval: RSS <ttl>,
//    Cache-Control max-age, Expires (read against the response's Date);
//  - failures back off exponentially (interval x 2^(n-1), at most
//    max_backoff), never giving up; a failure during a whole-network outage
//    does not count (see NetworkOutageDetector);
//  - 429 / 503 with Retry-After: not before it (capped at max_retry_after);
//  - jitter on everything, so sources configured alike spread out: up to
//    10 % earlier than the interval (never later: the interval is the
//    freshness promise), later than a server hint (never earlier), +-25 %
//    around a backoff.
//
// NetworkOutageDetector: one per daemon, shared by every poller. It tells
// "this host is down" from "we are offline": when every host tried since the
// last answer from any host failed at the network level, and enough distinct
// hosts did, it is an outage and the failures are nobody's fault.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

namespace newsd::daemon {

struct PollPolicy {
  std::chrono::milliseconds interval{std::chrono::minutes(5)};  // configured
  std::chrono::milliseconds min_interval{0};  // adaptive floor; 0 = interval
  std::chrono::milliseconds max_interval{0};  // adaptive and hint ceiling; 0 = interval
  std::chrono::milliseconds max_backoff{std::chrono::hours(1)};  // never below max_interval
  std::chrono::milliseconds max_retry_after{std::chrono::hours(6)};
  double jitter = 0.1;          // fraction: a normal delay is cut by up to this much
  double failure_jitter = 0.25; // +- fraction on a backoff delay
};

// What one poll taught us.
struct PollOutcome {
  enum class Kind { changed, unchanged, failed };
  Kind kind = Kind::unchanged;   // changed: new items appeared
  long status = 0;               // HTTP status, 0 when there was no response
  std::string_view retry_after;  // raw header values of the response
  std::string_view cache_control;
  std::string_view expires;
  std::string_view date;
  std::optional<int> ttl_minutes;  // RSS <ttl>
  bool network_outage = false;     // a failure during a whole-network outage
};

class PollSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  using WallClock = std::chrono::system_clock;

  PollSchedule(PollPolicy policy, std::uint32_t seed);

  // Records a poll that ended at `now` (`wall_now` reads HTTP dates) and
  // returns how long to wait before the next one.
  std::chrono::milliseconds on_poll(const PollOutcome& outcome, Clock::time_point now,
                                    WallClock::time_point wall_now);

  // The delay before the very first poll: a random fraction of the interval,
  // so that a daemon starting with thousands of sources does not poll them
  // all in the first second.
  std::chrono::milliseconds initial_delay();

  std::chrono::milliseconds current_interval() const { return learned_; }  // before hints and jitter
  int backoff_streak() const { return streak_; }
  const PollPolicy& policy() const { return policy_; }

  // Server hints, exposed for tests: the floor they put under the interval.
  static std::optional<std::chrono::milliseconds> max_age(std::string_view cache_control);

 private:
  std::chrono::milliseconds jittered(std::chrono::milliseconds delay, double fraction);
  void learn(bool changed, Clock::time_point now);

  PollPolicy policy_;
  std::minstd_rand random_;
  std::chrono::milliseconds learned_;
  int streak_ = 0;
  std::optional<Clock::time_point> last_change_;  // baseline: the first successful poll
  std::optional<double> change_gap_ms_;           // EWMA of the time between changes
};

class NetworkOutageDetector {
 public:
  using Clock = std::chrono::steady_clock;

  explicit NetworkOutageDetector(int min_hosts = 3, std::chrono::milliseconds window = std::chrono::minutes(10))
      : min_hosts_(min_hosts), window_(window) {}

  enum class Change { none, began, ended };

  // A request to `host` ended: `reachable` when any HTTP response came back
  // (whatever its status), false for DNS / connect / timeout failures.
  Change record(const std::string& host, bool reachable, Clock::time_point now);

  bool outage() const { return outage_; }
  std::size_t failing_hosts() const { return failing_.size(); }

 private:
  void prune(Clock::time_point now);

  int min_hosts_;
  std::chrono::milliseconds window_;
  std::unordered_map<std::string, Clock::time_point> failing_;  // since the last reachable host
  std::unordered_map<std::string, Clock::time_point> seen_;     // every host tried in the window
  Clock::time_point last_prune_{};
  bool outage_ = false;
};

}  // namespace newsd::daemon
