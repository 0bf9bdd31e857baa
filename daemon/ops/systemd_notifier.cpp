#include "daemon/ops/systemd_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace newsd::daemon {
namespace {

std::optional<std::chrono::microseconds> watchdog_from_environment() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (!usec || !*usec) return std::nullopt;
  // WATCHDOG_PID, when set, names the process the pings are expected from.
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid && *pid) {
    if (std::strtoll(pid, nullptr, 10) != static_cast<long long>(::getpid())) return std::nullopt;
  }
  char* end = nullptr;
  long long value = std::strtoll(usec, &end, 10);
  if (*end != '\0' || value <= 0) return std::nullopt;
  return std::chrono::microseconds(value);
}

}  // namespace

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io) : timer_(io) {
  const char* socket_name = std::getenv("NOTIFY_SOCKET");
  if (!socket_name || !*socket_name) return;
  std::string name = socket_name;
  if (name.front() != '/' && name.front() != '@') {
    spdlog::warn("systemd: NOTIFY_SOCKET={} is neither a path nor @abstract; not notifying", name);
    return;
  }
  if (name.size() >= sizeof(sockaddr_un::sun_path)) {
    spdlog::warn("systemd: NOTIFY_SOCKET is too long; not notifying");
    return;
  }
  if (name.front() == '@') name.front() = '\0';
  address_ = std::move(name);
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    spdlog::warn("systemd: cannot create the notify socket: {}", std::strerror(errno));
    return;
  }
  watchdog_ = watchdog_from_environment();
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SystemdNotifier::clean(std::string_view status) {
  std::string line(status);
  std::replace(line.begin(), line.end(), '\n', ' ');
  return line;
}

bool SystemdNotifier::notify(std::string_view state) {
  if (fd_ < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, address_.data(), address_.size());
  // Abstract names are exactly as long as given; paths are NUL-terminated.
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                       (address_.front() == '\0' ? 0 : 1));
  ssize_t sent;
  do {
    sent = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address), length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (!send_failure_logged_)
      spdlog::warn("systemd: cannot notify the service manager: {}", std::strerror(errno));
    send_failure_logged_ = true;
    return false;
  }
  send_failure_logged_ = false;
  return true;
}

void SystemdNotifier::start(std::function<std::string()> summary,
                            std::chrono::milliseconds status_period) {
  if (fd_ < 0) return;
  summary_ = std::move(summary);
  status_period_ = status_period;
  last_status_ = std::chrono::steady_clock::now();
  running_ = true;
  if (watchdog_) notify("WATCHDOG=1");
  tick();
}

void SystemdNotifier::stop() {
  running_ = false;
  timer_.cancel();
}

void SystemdNotifier::tick() {
  // Half the watchdog period, as sd_watchdog_enabled(3) advises; without a
  // watchdog the timer only paces the STATUS= updates.
  auto period = watchdog_ ? std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_ / 2)
                          : status_period_;
  period = std::max(period, std::chrono::milliseconds(1));
  timer_.expires_after(std::min(period, status_period_));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    if (watchdog_) notify("WATCHDOG=1");
    auto now = std::chrono::steady_clock::now();
    if (summary_ && now - last_status_ >= status_period_) {
      last_status_ = now;
      status(summary_());
    }
    tick();
  });
}

}  // namespace newsd::daemon
