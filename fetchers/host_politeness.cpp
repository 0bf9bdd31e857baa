#include "fetchers/host_politeness.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "parsers/text/stated_time.hpp"

namespace newsd::fetchers {
namespace asio = boost::asio;
using std::chrono::milliseconds;

struct HostPoliteness::State {
  // One acquire() waiting for its turn. The timer never expires by itself:
  // granting (or shutdown) moves its expiry to the past, which also
  // completes a wait that has not started yet.
  struct Waiter {
    explicit Waiter(asio::io_context& io) : timer(io, Clock::time_point::max()) {}
    asio::steady_timer timer;
    bool granted = false;
    bool abandoned = false;  // the acquire() gave up (cancelled); skipped when its turn comes
  };

  struct Host {
    int active = 0;
    std::deque<std::shared_ptr<Waiter>> queue;
    Clock::time_point next_start{};
    Clock::time_point paused_until{};
    std::unique_ptr<asio::steady_timer> wake;  // armed while the head waits for a delay or pause
    Clock::time_point wake_at = Clock::time_point::max();
  };

  State(asio::io_context& io_context, PolitenessOptions opts) : io(io_context), options(opts) {
    options.max_connections_per_host = std::max(1, options.max_connections_per_host);
  }

  milliseconds delay_for(const std::string& name) const {
    auto custom = host_delays.find(name);
    return custom == host_delays.end() ? options.min_host_delay : std::max(options.min_host_delay, custom->second);
  }

  void grant(Host& host, Waiter& waiter, const std::string& name, Clock::time_point now) {
    waiter.granted = true;
    ++host.active;
    host.next_start = now + delay_for(name);
    waiter.timer.expires_at(Clock::time_point::min());
  }

  void pump(const std::string& name) {
    auto found = hosts.find(name);
    if (found == hosts.end()) return;
    Host& host = found->second;
    const auto now = Clock::now();
    while (!host.queue.empty() && host.active < options.max_connections_per_host) {
      if (host.queue.front()->abandoned) {
        host.queue.pop_front();
        continue;
      }
      const auto ready_at = std::max(host.next_start, host.paused_until);
      if (ready_at > now) {
        arm_wake(name, host, ready_at);
        return;
      }
      std::shared_ptr<Waiter> waiter = std::move(host.queue.front());
      host.queue.pop_front();
      grant(host, *waiter, name, now);
    }
  }

  void arm_wake(const std::string& name, Host& host, Clock::time_point at) {
    if (host.wake && host.wake_at == at) return;
    if (!host.wake) host.wake = std::make_unique<asio::steady_timer>(io);
    host.wake_at = at;
    host.wake->expires_at(at);
    host.wake->async_wait([weak = std::weak_ptr<State>(self), name](boost::system::error_code ec) {
      if (ec) return;
      if (auto state = weak.lock()) {
        if (auto found = state->hosts.find(name); found != state->hosts.end())
          found->second.wake_at = Clock::time_point::max();
        state->pump(name);
      }
    });
  }

  void release(const std::string& name) {
    auto found = hosts.find(name);
    if (found == hosts.end()) return;
    --found->second.active;
    pump(name);
    sweep_sometimes();
  }

  // Idle hosts whose delay and pause have passed carry no state worth
  // keeping; dropping them bounds memory by the hosts in use.
  void sweep_sometimes() {
    if (++releases_since_sweep < 1024) return;
    releases_since_sweep = 0;
    const auto now = Clock::now();
    std::erase_if(hosts, [now](const auto& entry) {
      const Host& host = entry.second;
      return host.active == 0 && host.queue.empty() && host.next_start <= now && host.paused_until <= now;
    });
  }

  asio::io_context& io;
  PolitenessOptions options;
  std::weak_ptr<State> self;
  std::unordered_map<std::string, Host> hosts;
  std::unordered_map<std::string, milliseconds> host_delays;
  std::size_t releases_since_sweep = 0;
  bool stopped = false;
};

HostPoliteness::Turn::Turn(Turn&& other) noexcept
    : state_(std::move(other.state_)), host_(std::exchange(other.host_, {})) {}

HostPoliteness::Turn& HostPoliteness::Turn::operator=(Turn&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    host_ = std::exchange(other.host_, {});
  }
  return *this;
}

void HostPoliteness::Turn::release() {
  if (host_.empty()) return;
  if (auto state = state_.lock()) state->release(host_);
  host_.clear();
}

HostPoliteness::HostPoliteness(asio::io_context& io, PolitenessOptions options)
    : state_(std::make_shared<State>(io, options)) {
  state_->self = state_;
}

HostPoliteness::~HostPoliteness() { shutdown(); }

asio::awaitable<HostPoliteness::Turn> HostPoliteness::acquire(std::string host) {
  // The state outlives this object while a waiter holds it.
  std::shared_ptr<State> state = state_;
  if (state->stopped) co_return Turn{};
  State::Host& entry = state->hosts[host];
  const auto now = Clock::now();
  if (entry.queue.empty() && entry.active < state->options.max_connections_per_host &&
      std::max(entry.next_start, entry.paused_until) <= now) {
    ++entry.active;
    entry.next_start = now + state->delay_for(host);
    co_return Turn(state, std::move(host));
  }
  auto waiter = std::make_shared<State::Waiter>(state->io);
  entry.queue.push_back(waiter);
  state->pump(host);
  if (!waiter->granted)
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (waiter->granted) co_return Turn(state, std::move(host));
  waiter->abandoned = true;
  co_return Turn{};
}

void HostPoliteness::pause(const std::string& host, std::optional<milliseconds> retry_after) {
  State& state = *state_;
  if (state.stopped) return;
  const milliseconds wait =
      std::clamp(retry_after.value_or(state.options.default_pause), milliseconds(0), state.options.max_pause);
  State::Host& entry = state.hosts[host];
  entry.paused_until = std::max(entry.paused_until, Clock::now() + wait);
  state.pump(host);
}

void HostPoliteness::set_host_delay(const std::string& host, milliseconds delay) {
  if (delay > state_->options.min_host_delay)
    state_->host_delays[host] = delay;
  else
    state_->host_delays.erase(host);
}

void HostPoliteness::shutdown() {
  State& state = *state_;
  state.stopped = true;
  auto hosts = std::exchange(state.hosts, {});
  for (auto& [name, host] : hosts) {
    for (auto& waiter : host.queue) waiter->timer.expires_at(Clock::time_point::min());
  }
}

std::size_t HostPoliteness::waiting() const {
  std::size_t total = 0;
  for (const auto& [name, host] : state_->hosts)
    total += static_cast<std::size_t>(std::count_if(host.queue.begin(), host.queue.end(),
                                                    [](const auto& w) { return !w->abandoned; }));
  return total;
}

std::size_t HostPoliteness::hosts() const { return state_->hosts.size(); }

// --- Retry-After ------------------------------------------------------------------

std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (value.size() > 9) return milliseconds(std::chrono::hours(24 * 365));  // absurd; callers cap it
    std::int64_t seconds = 0;
    std::from_chars(value.data(), value.data() + value.size(), seconds);
    return std::chrono::seconds(seconds);
  }
  const auto when = parsers::parse_http_date(value);
  if (!when) return std::nullopt;
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(*when - now));
}

}  // namespace newsd::fetchers
