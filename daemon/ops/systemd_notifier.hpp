#pragma once
// SystemdNotifier: the sd_notify protocol spoken directly (no libsystemd):
// datagrams of "KEY=value" lines to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace). Tells the
// service manager READY=1, RELOADING=1, STOPPING=1 and STATUS= lines, and
// pings WATCHDOG=1 from an asio timer at half of $WATCHDOG_USEC, so a stuck
// event loop stops the pings and systemd restarts the service. Without
// $NOTIFY_SOCKET every call does nothing. Owned by the daemon; event loop
// thread only.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace newsd::daemon {

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID.
  explicit SystemdNotifier(boost::asio::io_context& io);
  ~SystemdNotifier();
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // The watchdog period systemd expects pings within, when it asked for pings.
  std::optional<std::chrono::microseconds> watchdog_timeout() const { return watchdog_; }

  // Sends one datagram ("READY=1\nSTATUS=..."). False when it could not be
  // sent (no socket, or the send failed: logged once).
  bool notify(std::string_view state);

  bool ready(std::string_view status) { return notify("READY=1\nSTATUS=" + clean(status)); }
  bool reloading() { return notify("RELOADING=1"); }
  bool stopping(std::string_view status) { return notify("STOPPING=1\nSTATUS=" + clean(status)); }
  bool status(std::string_view status) { return notify("STATUS=" + clean(status)); }

  // Pings WATCHDOG=1 at half the watchdog period from the event loop, and
  // every `status_period` sends STATUS= with what `summary` returns.
  void start(std::function<std::string()> summary,
             std::chrono::milliseconds status_period = std::chrono::seconds(10));
  void stop();

 private:
  static std::string clean(std::string_view status);  // one line
  void tick();

  int fd_ = -1;
  std::string address_;  // sockaddr_un path bytes (a leading NUL for the abstract namespace)
  std::optional<std::chrono::microseconds> watchdog_;
  std::function<std::string()> summary_;
  std::chrono::milliseconds status_period_{10'000};
  std::chrono::steady_clock::time_point last_status_{};
  boost::asio::steady_timer timer_;
  bool send_failure_logged_ = false;
  bool running_ = false;
};

}  // namespace newsd::daemon
