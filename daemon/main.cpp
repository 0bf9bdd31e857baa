// newsd: the command line. Dispatches to the daemon and the one-shot tools.
#include <cstring>
#include <iostream>
#include <string_view>

#include <spdlog/spdlog.h>

#include "daemon/config/config.hpp"
#include "daemon/daemon.hpp"
#include "daemon/commands/extract_command.hpp"
#include "daemon/ops/log_setup.hpp"
#include "daemon/commands/parse_feed_command.hpp"
#include "daemon/commands/rebuild_state_command.hpp"
#include "daemon/version.hpp"

namespace {

// Exit codes, documented in the README.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitBadConfig = 3;

constexpr const char* kUsage = R"(usage: newsd COMMAND [ARGS]

commands:
  run --config FILE            run the daemon until SIGTERM / SIGINT
  check-config FILE            validate a config file, report every mistake
  parse-feed FILE|URL...       print feed records as JSON lines
  extract [--url URL] FILE|URL...
                               print article records as JSON lines
  rebuild-state --config FILE  rebuild the state directory from the Kafka topics
  version                      print the version

Each command takes --help. Exit codes: 0 ok, 1 failure, 2 usage error,
3 invalid config.
)";

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) return true;
  return false;
}

std::optional<newsd::daemon::Config> load_or_report(const char* path) {
  auto load = newsd::daemon::load_config(path);
  for (const auto& error : load.errors) std::cerr << error.to_string() << '\n';
  return std::move(load.config);
}

int run_command(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::cout << "usage: newsd run --config FILE\n\n"
                 "Polls the configured sources and produces one Kafka record per new\n"
                 "article until SIGTERM or SIGINT, then flushes and exits 0.\n\n"
                 "Signals: SIGTERM / SIGINT stop (drain, flush, exit 0); SIGHUP reloads\n"
                 "FILE: sources added, removed or changed without a restart; an invalid\n"
                 "file is logged and the running config kept.\n"
                 "Under systemd (Type=notify) it reports READY=1, STATUS=, WATCHDOG=1\n"
                 "(at half of WatchdogSec) and STOPPING=1 on $NOTIFY_SOCKET.\n\n"
                 "Exit codes: 0 stopped cleanly, 1 could not start (state directory\n"
                 "unusable, damaged or in use by another newsd; HTTP port), 2 usage\n"
                 "error, 3 invalid config.\n";
    return kExitOk;
  }
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc)
      path = argv[++i];
    else if (arg.starts_with("--config="))
      path = argv[i] + std::strlen("--config=");
    else {
      std::cerr << "newsd run: unexpected argument '" << arg << "'\n";
      return kExitUsage;
    }
  }
  if (!path) {
    std::cerr << "newsd run: --config FILE is required\n";
    return kExitUsage;
  }
  auto config = load_or_report(path);
  if (!config) return kExitBadConfig;
  newsd::daemon::configure_logging(config->log);
  try {
    newsd::daemon::Daemon daemon(std::move(*config));
    return daemon.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return kExitFailure;
  }
}

int check_config_command(int argc, char** argv) {
  if (wants_help(argc, argv) || argc != 2) {
    std::cout << "usage: newsd check-config FILE\n\n"
                 "Validates FILE and prints every mistake as file:line:column: message.\n\n"
                 "Exit codes: 0 valid, 2 usage error, 3 invalid config.\n";
    return argc == 2 ? kExitOk : kExitUsage;
  }
  auto config = load_or_report(argv[1]);
  if (!config) return kExitBadConfig;
  std::cout << argv[1] << ": ok, " << config->sources.size() << " sources, ";
  if (config->sink.kind == newsd::daemon::SinkKind::jsonl)
    std::cout << "jsonl " << config->sink.path.string();
  else
    std::cout << "kafka " << config->kafka.brokers;
  std::cout << " topic " << config->kafka.topic << ", state in " << config->state_dir.string() << '\n';
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "version" && wants_help(argc - 1, argv + 1)) {
    std::cout << "usage: newsd version\n\nPrints the version of newsd. Exit code 0.\n";
    return kExitOk;
  }
  if (command == "version" || command == "--version") {
    std::cout << "newsd " << newsd::kVersion << '\n';
    return kExitOk;
  }
  if (command == "run") return run_command(argc - 1, argv + 1);
  if (command == "check-config") return check_config_command(argc - 1, argv + 1);
  if (command == "parse-feed") return newsd::daemon::run_parse_feed_command(argc - 1, argv + 1);
  if (command == "extract") return newsd::daemon::run_extract_command(argc - 1, argv + 1);
  if (command == "rebuild-state") return newsd::daemon::run_rebuild_state_command(argc - 1, argv + 1);
  std::cerr << "newsd: unknown command '" << command << "'\n" << kUsage;
  return kExitUsage;
}
