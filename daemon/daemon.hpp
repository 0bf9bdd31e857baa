#pragma once
// Daemon: one running newsd. Wires the components of a valid Config into a
// pipeline (fetcher → parsers → ledger → sink) on one event loop, with the
// CPU pool, the health port and the signal handling, and runs it until
// SIGTERM or SIGINT. The only place that knows every component.
#include <memory>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace newsd::daemon {

class Daemon {
 public:
  // Opens the state, configures the sink and binds the health port; throws
  // std::runtime_error with a clear message when any of them cannot start.
  explicit Daemon(Config config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM / SIGINT; then stops polling, flushes the producer
  // (bounded), persists state. Returns the process exit code.
  int run();

  // SIGHUP: re-reads the config file. A valid one is applied without a
  // restart (sources added, removed or changed; log levels); unchanged
  // sources keep polling undisturbed and the publication state is shared.
  // An invalid one is logged and the running config kept. Event loop only.
  bool reload();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace newsd::daemon
