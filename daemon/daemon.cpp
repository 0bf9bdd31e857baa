#include "daemon/daemon.hpp"

#include <csignal>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "daemon/health_server.hpp"
#include "daemon/publication_ledger.hpp"
#include "daemon/source_poller.hpp"
#include "fetchers/http_fetcher.hpp"
#include "sinks/embedded_broker.hpp"
#include "sinks/kafka_sink.hpp"
#include "sinks/published_store.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

fetchers::FetchOptions fetch_options(const FetchConfig& fetch) {
  fetchers::FetchOptions options;
  options.user_agent = fetch.user_agent;
  options.connect_timeout = fetch.connect_timeout;
  options.total_timeout = fetch.timeout;
  options.max_body_bytes = fetch.max_body_bytes;
  options.allow_private_networks = fetch.allow_private_networks;
  return options;
}

}  // namespace

// Declaration order is construction order; destruction runs backwards, so
// the sink goes before the pollers whose callbacks it holds.
struct Daemon::Parts {
  Config config;
  asio::io_context io{1};
  asio::thread_pool cpu{std::max(1u, std::thread::hardware_concurrency())};
  sinks::PublishedStore store;
  PublicationLedger ledger;
  std::unique_ptr<sinks::EmbeddedBroker> embedded;
  fetchers::HttpFetcher fetcher;
  std::vector<std::unique_ptr<SourcePoller>> pollers;
  std::unique_ptr<sinks::KafkaSink> sink;
  std::unique_ptr<PollerContext> context;
  std::unique_ptr<HealthServer> health;
  asio::signal_set signals{io, SIGTERM, SIGINT};
  bool stopping = false;

  explicit Parts(Config c)
      : config(std::move(c)),
        store(config.state_dir / "published"),
        ledger(io, store),
        fetcher(io, fetch_options(config.fetch)) {}
};

Daemon::Daemon(Config config) : parts_(std::make_unique<Parts>(std::move(config))) {
  auto& p = *parts_;
  const auto& kafka = p.config.kafka;
  sinks::KafkaSinkConfig sink_config;
  sink_config.brokers = kafka.brokers;
  if (kafka.brokers == "embedded") {
    p.embedded = std::make_unique<sinks::EmbeddedBroker>();
    sink_config.brokers = p.embedded->bootstrap_servers();
    spdlog::warn("kafka: embedded broker at {} (in memory, lost on exit; not for production); "
                 "watch it with: kcat -b {} -t {} -C",
                 sink_config.brokers, sink_config.brokers, kafka.topic);
  }
  sink_config.compression = kafka.compression;
  sink_config.delivery_timeout = kafka.delivery_timeout;
  sink_config.properties = kafka.properties;
  p.sink = std::make_unique<sinks::KafkaSink>(p.io, sink_config);

  p.context = std::make_unique<PollerContext>(PollerContext{
      p.io, p.cpu, p.fetcher, *p.sink, p.ledger, kafka.topic,
      kafka.delivery_timeout + std::chrono::seconds(5)});
  for (const auto& source : p.config.sources) {
    if (source.kind == SourceKind::html) {
      spdlog::warn("source {}: html sources are not polled by this version; skipped", source.id);
      continue;
    }
    p.pollers.push_back(std::make_unique<SourcePoller>(*p.context, source));
  }

  p.health = std::make_unique<HealthServer>(p.io, p.config.http.listen, [&p] {
    std::vector<std::string> reasons;
    if (auto why = p.sink->unready_reason(); !why.empty()) reasons.push_back("kafka: " + why);
    if (p.stopping) reasons.push_back("shutting down");
    return reasons;
  });
}

Daemon::~Daemon() = default;

int Daemon::run() {
  auto& p = *parts_;
  p.health->start();
  spdlog::info("newsd running: {} sources, health on http://{}, state in {}", p.pollers.size(),
               p.health->local_endpoint().address().to_string() + ":" +
                   std::to_string(p.health->local_endpoint().port()),
               p.config.state_dir.string());
  for (auto& poller : p.pollers) asio::co_spawn(p.io, poller->run(), asio::detached);

  p.signals.async_wait([&p](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    p.stopping = true;
    for (auto& poller : p.pollers) poller->stop();
    p.fetcher.shutdown();
    p.health->stop();
    // Everything handed to Kafka gets its bounded chance to be acknowledged;
    // what is not stays unpublished and is produced again on the next start.
    bool flushed = p.sink->flush(p.config.kafka.flush_timeout);
    p.ledger.commit();
    if (!flushed)
      spdlog::warn("kafka: {} records unacknowledged at shutdown; they will be produced again",
                   p.sink->outstanding());
    spdlog::info("stopped: {} articles published in total", p.ledger.published());
    p.io.stop();
  });
  p.io.run();
  p.cpu.join();
  return 0;
}

}  // namespace newsd::daemon
