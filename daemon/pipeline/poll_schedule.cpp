#include "daemon/pipeline/poll_schedule.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "fetchers/host_politeness.hpp"
#include "parsers/text/stated_time.hpp"

namespace newsd::daemon {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kMinDelay{100};
// Weight of the newest gap between changes in the running mean.
constexpr double kLearningRate = 0.3;

template <class Duration>
milliseconds to_ms(Duration d) {
  return std::chrono::duration_cast<milliseconds>(d);
}

}  // namespace

// Neighbouring seeds (sources named feed-1, feed-2...) must not give
// neighbouring sequences: minstd's first outputs barely differ for them.
static std::uint32_t scramble(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x % 2147483646U + 1U;  // minstd_rand's seed range
}

PollSchedule::PollSchedule(PollPolicy policy, std::uint32_t seed) : policy_(policy), random_(scramble(seed)) {
  if (policy_.min_interval <= milliseconds(0)) policy_.min_interval = policy_.interval;
  if (policy_.max_interval <= milliseconds(0)) policy_.max_interval = policy_.interval;
  policy_.min_interval = std::min(policy_.min_interval, policy_.interval);
  policy_.max_interval = std::max(policy_.max_interval, policy_.interval);
  policy_.max_backoff = std::max(policy_.max_backoff, policy_.max_interval);
  learned_ = policy_.interval;
}

std::optional<milliseconds> PollSchedule::max_age(std::string_view cache_control) {
  // Directives are comma-separated, case-insensitive; no-cache / no-store
  // say nothing about how soon the content changes.
  std::optional<milliseconds> result;
  while (!cache_control.empty()) {
    const auto comma = cache_control.find(',');
    std::string_view directive = cache_control.substr(0, comma);
    cache_control = comma == std::string_view::npos ? std::string_view() : cache_control.substr(comma + 1);
    while (!directive.empty() && std::isspace(static_cast<unsigned char>(directive.front()))) directive.remove_prefix(1);
    while (!directive.empty() && std::isspace(static_cast<unsigned char>(directive.back()))) directive.remove_suffix(1);
    std::string lower(directive);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "no-cache" || lower == "no-store") return std::nullopt;
    if (lower.starts_with("max-age=")) {
      std::string_view value = std::string_view(lower).substr(8);
      if (!value.empty() && value.front() == '"') value.remove_prefix(1);
      if (!value.empty() && value.back() == '"') value.remove_suffix(1);
      std::int64_t seconds = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec == std::errc() && ptr == value.data() + value.size() && seconds >= 0)
        result = std::chrono::seconds(std::min<std::int64_t>(seconds, 365LL * 24 * 3600));
    }
  }
  return result;
}

milliseconds PollSchedule::jittered(milliseconds delay, double fraction) {
  const double spread = static_cast<double>(delay.count()) * fraction;
  std::uniform_real_distribution<double> offset(-spread, spread);
  return std::max(delay + milliseconds(static_cast<std::int64_t>(offset(random_))), kMinDelay);
}

milliseconds PollSchedule::initial_delay() {
  std::uniform_real_distribution<double> fraction(0.0, 1.0);
  return milliseconds(static_cast<std::int64_t>(static_cast<double>(policy_.interval.count()) * fraction(random_)));
}

void PollSchedule::learn(bool changed, Clock::time_point now) {
  if (!last_change_) {
    // The first successful poll is a baseline: at start-up everything looks new.
    last_change_ = now;
    return;
  }
  const double since_change = static_cast<double>(to_ms(now - *last_change_).count());
  if (changed) {
    change_gap_ms_ = change_gap_ms_ ? (1 - kLearningRate) * *change_gap_ms_ + kLearningRate * since_change
                                    : since_change;
    last_change_ = now;
  }
  if (policy_.min_interval == policy_.max_interval) return;  // nothing to adapt
  // Polling at half the change period keeps the mean delay at a quarter of it.
  const auto half = [](double ms) { return milliseconds(static_cast<std::int64_t>(ms / 2)); };
  if (changed) {
    learned_ = std::clamp(half(*change_gap_ms_), policy_.min_interval, policy_.max_interval);
  } else {
    // Quiet for longer than its usual gap: it changes less often now. No
    // news never makes us poll faster.
    const double estimate = std::max(change_gap_ms_.value_or(0.0), since_change);
    learned_ = std::max(learned_, std::clamp(half(estimate), policy_.min_interval, policy_.max_interval));
  }
}

milliseconds PollSchedule::on_poll(const PollOutcome& outcome, Clock::time_point now, WallClock::time_point wall_now) {
  milliseconds delay = learned_;
  if (outcome.kind == PollOutcome::Kind::failed) {
    if (!outcome.network_outage) ++streak_;
    if (streak_ > 0) {
      // Exponential backoff that never gives up: the cap is reached, then held.
      const int doublings = std::min(streak_ - 1, 20);
      const double base = static_cast<double>(learned_.count()) * std::pow(2.0, doublings);
      delay = milliseconds(static_cast<std::int64_t>(std::min(base, static_cast<double>(policy_.max_backoff.count()))));
      delay = jittered(delay, policy_.failure_jitter);
    } else {
      delay = jittered(delay, policy_.jitter);
    }
  } else {
    const auto uniform = [this](double low, double high) {
      return std::uniform_real_distribution<double>(low, high)(random_);
    };
    streak_ = 0;
    learn(outcome.kind == PollOutcome::Kind::changed, now);
    delay = learned_;
    // Server hints: a floor, but never past what the operator allowed.
    std::optional<milliseconds> hint;
    const auto raise = [&hint](milliseconds value) { hint = hint ? std::max(*hint, value) : value; };
    if (outcome.ttl_minutes && *outcome.ttl_minutes > 0)
      raise(std::chrono::minutes(std::min(*outcome.ttl_minutes, 7 * 24 * 60)));
    if (auto age = max_age(outcome.cache_control)) {
      raise(*age);
    } else if (!outcome.expires.empty()) {
      const auto server_now = parsers::parse_http_date(outcome.date).value_or(wall_now);
      if (auto expires = parsers::parse_http_date(outcome.expires); expires && *expires > server_now)
        raise(to_ms(*expires - server_now));
    }
    const auto scaled = [](milliseconds d, double factor) {
      return milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * factor));
    };
    if (hint && std::min(*hint, policy_.max_interval) > delay) {
      // The server's word is a floor: jitter only later, within max_interval.
      delay = std::min(scaled(std::min(*hint, policy_.max_interval), uniform(1.0, 1.0 + policy_.jitter)),
                       std::max(policy_.max_interval, std::min(*hint, policy_.max_interval)));
    } else {
      // The interval is a promise of freshness: jitter only earlier, so that
      // no poll comes later than the interval after the previous one.
      delay = scaled(delay, uniform(1.0 - policy_.jitter, 1.0));
    }
  }
  if ((outcome.status == 429 || outcome.status == 503) && !outcome.retry_after.empty()) {
    const auto server_now = parsers::parse_http_date(outcome.date).value_or(wall_now);
    if (auto retry = fetchers::parse_retry_after(outcome.retry_after, server_now)) {
      const auto floor = std::min(*retry, policy_.max_retry_after);
      // Jitter only ever adds here: a moment before the date would be refused again.
      if (delay < floor) {
        std::uniform_real_distribution<double> extra(0.0, static_cast<double>(floor.count()) * policy_.jitter);
        delay = floor + milliseconds(static_cast<std::int64_t>(extra(random_)));
      }
    }
  }
  return std::max(delay, kMinDelay);
}

// --- NetworkOutageDetector -----------------------------------------------------------

void NetworkOutageDetector::prune(Clock::time_point now) {
  if (now - last_prune_ < window_ / 8) return;
  last_prune_ = now;
  std::erase_if(seen_, [&](const auto& entry) { return now - entry.second > window_; });
  std::erase_if(failing_, [&](const auto& entry) { return now - entry.second > window_; });
}

NetworkOutageDetector::Change NetworkOutageDetector::record(const std::string& host, bool reachable,
                                                            Clock::time_point now) {
  seen_[host] = now;
  prune(now);
  const bool was = outage_;
  if (reachable) {
    failing_.clear();
    outage_ = false;
  } else {
    failing_[host] = now;
    // Enough distinct hosts, and most of those we have been talking to
    // lately: a few dead sites among many live ones are not an outage.
    const std::size_t needed = std::max<std::size_t>(static_cast<std::size_t>(std::max(min_hosts_, 1)), seen_.size() / 2);
    outage_ = failing_.size() >= needed;
  }
  if (outage_ == was) return Change::none;
  return outage_ ? Change::began : Change::ended;
}

}  // namespace newsd::daemon
