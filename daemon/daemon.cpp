#include "daemon/daemon.hpp"

#include <chrono>
#include <csignal>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "daemon/cluster/cluster_node.hpp"
#include "daemon/pipeline/article_pages.hpp"
#include "daemon/ops/health_server.hpp"
#include "daemon/ops/log_setup.hpp"
#include "daemon/ops/metrics.hpp"
#include "daemon/ops/status_page.hpp"
#include "daemon/ops/systemd_notifier.hpp"
#include "daemon/version.hpp"
#include "sinks/outbox/outbox.hpp"
#include "sinks/dedupe/story_memory.hpp"
#include "daemon/pipeline/file_fetcher.hpp"
#include "daemon/pipeline/record_builder.hpp"
#include "sinks/revisits/revisit_store.hpp"
#include "daemon/pipeline/poller_set.hpp"
#include "daemon/pipeline/source_poller.hpp"
#include "daemon/ops/state_dir_lock.hpp"
#include "fetchers/http_fetcher.hpp"
#include "daemon/pipeline/sink_factory.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/outbox/delivery_state.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

// Blocks until everything posted to `pool` (one thread) before has run.
void wait_until_idle(asio::thread_pool& pool) {
  std::promise<void> idle;
  asio::post(pool, [&idle] { idle.set_value(); });
  idle.get_future().wait();
}

fetchers::FetchOptions fetch_options(const FetchConfig& fetch, const ClusterConfig& cluster) {
  fetchers::FetchOptions options;
  options.user_agent = fetch.user_agent;
  // Site operators (and the cluster test's feed farm) can tell the members apart.
  if (cluster.enabled) options.user_agent += " newsd-instance/" + cluster.instance_id;
  options.connect_timeout = fetch.connect_timeout;
  options.total_timeout = fetch.timeout;
  options.max_body_bytes = fetch.max_body_bytes;
  options.allow_private_networks = fetch.allow_private_networks;
  options.max_connections_per_host = static_cast<int>(fetch.max_connections_per_host);
  options.min_host_delay = fetch.min_host_delay;
  options.proxy = fetch.proxy;
  options.headers = fetch.headers;
  options.robots = fetch.robots != "off";
  options.robots_for_feeds = fetch.robots == "all";
  return options;
}

RecordSettings record_settings(const KafkaConfig& kafka, const ClusterConfig& cluster) {
  RecordSettings settings;
  if (cluster.enabled) {
    settings.state_topic = cluster.state_topic();
    settings.shards = cluster.shards;
  }
  settings.default_topic = kafka.topic;
  settings.dead_letter_topic = kafka.dead_letter_topic;
  settings.latest_topic = kafka.latest_topic;
  settings.dead_letter_max_body = static_cast<std::size_t>(kafka.dead_letter_max_body);
  settings.max_record_bytes = record_value_limit(sinks::kafka_max_message_bytes(kafka.properties));
  return settings;
}

}  // namespace

// Declaration order is construction order; destruction runs backwards, so
// the sink goes before the pollers whose callbacks it holds.
struct Daemon::Parts {
  Config config;
  asio::io_context io{1};
  asio::thread_pool cpu{std::max(1u, std::thread::hardware_concurrency())};
  // The stores' write transactions (durable commits), off the event loop;
  // one thread, so they run in the order they were asked for.
  asio::thread_pool writes{1};
  metrics::DaemonMetrics metrics;  // outlives every poller, sink and handler that counts
  PublicationHistory history;
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
  StateDirLock lock;  // before any store: a second newsd on this state stops here
  sinks::DeliveryState state;
  StoryMemory stories;
  sinks::RevisitStore revisits;
  std::unique_ptr<sinks::EmbeddedBroker> embedded;
  fetchers::HttpFetcher fetcher;
  FileFetcher files;  // `file:` sources; the rest through `fetcher`
  FetchShared fetch_shared{files, metrics};
  RecordBuilder records;
  ArticlePages pages;
  std::unique_ptr<sinks::Sink> sink;
  std::unique_ptr<Outbox> outbox;
  std::unique_ptr<PollerContext> context;
  std::unique_ptr<PollerSet> pollers;
  std::unique_ptr<ClusterNode> cluster;  // [cluster]: which of the sources this instance polls
  std::unique_ptr<HealthServer> health;
  asio::signal_set signals{io, SIGTERM, SIGINT};
  bool stopping = false;
  int exit_code = 0;
  asio::signal_set hangup{io, SIGHUP};
  SystemdNotifier notifier{io};

  // Operations (defined at the end of this file): metrics, /sources, the
  // status page, systemd notifications and SIGHUP reloads.
  void wire_operations();
  void collect_metrics();
  StatusSnapshot snapshot() const;
  std::string summary() const;
  void wait_for_hangup();
  bool reload();
  // Stops everything; the last step ends io.run().
  void shutdown();
  void finish_shutdown();

  explicit Parts(Config c)
      : config(std::move(c)),
        lock(config.state_dir),
        state(config.state_dir / "delivery"),
        stories(io, config.state_dir / "dedupe", dedupe_options(config.dedupe), state, writes.get_executor()),
        revisits(config.state_dir / "revisits"),
        fetcher(io, fetch_options(config.fetch, config.cluster)),
        files(fetcher, cpu, static_cast<std::size_t>(config.fetch.max_body_bytes)),
        records(record_settings(config.kafka, config.cluster)),
        pages(fetcher, cpu, config.templates_dir, config.fetch.max_body_bytes) {}
};

Daemon::Daemon(Config config) : parts_(std::make_unique<Parts>(std::move(config))) {
  auto& p = *parts_;
  const auto& kafka = p.config.kafka;
  auto configured = make_sink(p.io, p.config);
  p.embedded = std::move(configured.embedded);
  p.sink = std::move(configured.sink);
  if (configured.transactions)
    configured.transactions->on_fatal([&p](const std::string&) {
      // Another process took this instance's transactional id, or the
      // producer broke for good: nothing more can be committed.
      p.exit_code = 1;
      p.shutdown();
    });
  p.outbox = std::make_unique<Outbox>(p.io, p.state, *p.sink, kafka.outbox_capacity, p.writes.get_executor());
  // Every acknowledged version reaches the story memory, replayed records' too.
  p.outbox->on_acknowledged([&p](const std::string& id, std::uint32_t version) { p.stories.published(id, version); });
  p.outbox->dead_letters([&records = p.records](const sinks::OutRecord& refused, const std::string& why) {
    return records.refused(refused, why, std::chrono::system_clock::now());
  });

  p.context = std::make_unique<PollerContext>(
      PollerContext{p.io, p.cpu, p.fetch_shared, *p.outbox, p.records, p.history, &p.pages, &p.stories,
                    &p.revisits, p.writes.get_executor()});
  if (!p.pages.templates().empty())
    spdlog::info("{} site templates from {}", p.pages.templates().size(), p.config.templates_dir.string());
  p.pollers = std::make_unique<PollerSet>(p.io, *p.context, p.metrics);
  if (p.config.cluster.enabled) {
    p.cluster = std::make_unique<ClusterNode>(
        p.io, p.config, ClusterParts{*p.pollers, *p.outbox, p.stories, p.pages, p.records, configured.transactions, p.metrics});
    p.context->checkpoints = [&cluster = *p.cluster](const std::string& id) { return cluster.checkpoint(id); };
  }

  p.health = std::make_unique<HealthServer>(p.io, p.config.http.listen, [&p] {
    std::vector<std::string> reasons;
    if (auto why = p.sink->unready_reason(); !why.empty())
      reasons.push_back(std::string(to_string(p.config.sink.kind)) + ": " + why);
    // Kafka reachable but records not delivered for minutes: newsd is not
    // doing its job (a stuck producer, a broker refusing a topic); say so.
    if (auto age = p.outbox->oldest_age(std::chrono::steady_clock::now()); age >= Outbox::kStaleAfter)
      reasons.push_back("outbox: the oldest record has waited " + std::to_string(age.count()) +
                        " s for Kafka (more than " + std::to_string(std::chrono::seconds(Outbox::kStaleAfter).count()) +
                        " s)");
    if (p.cluster)
      if (auto why = p.cluster->unready_reason(); !why.empty()) reasons.push_back(why);
    if (p.stopping) reasons.push_back("shutting down");
    return reasons;
  });
  p.wire_operations();
}

Daemon::~Daemon() = default;

int Daemon::run() {
  auto& p = *parts_;
  p.health->start();
  spdlog::info("newsd running: {} sources, health on http://{}, state in {}", p.config.sources.size(),
               p.health->local_endpoint().address().to_string() + ":" +
                   std::to_string(p.health->local_endpoint().port()),
               p.config.state_dir.string());
  if (p.cluster) {
    // What a previous run left unsent is derived again by its shards' owners
    // from their checkpoints; replaying it could publish for a shard that
    // another member holds now.
    if (auto discarded = p.outbox->discard_previous_run(); discarded > 0)
      spdlog::info("cluster: discarded {} records a previous run left unsent; their shards' owners derive them again",
                   discarded);
  } else {
    p.outbox->replay();
  }
  {
    // Revisits of sources no longer configured would never be due for anyone.
    std::set<std::string> configured;
    for (const auto& source : p.config.sources) configured.insert(source.id);
    if (auto forgotten = p.revisits.retain_sources(configured); forgotten && *forgotten > 0)
      spdlog::info("revisits: forgot {} pages of sources no longer configured", *forgotten);
  }
  p.stories.start_expiry();
  if (p.cluster)
    p.cluster->start();  // pollers start as shards are assigned and restored
  else
    p.pollers->start(p.config.sources);
  p.notifier.ready(p.summary());
  p.notifier.start([&p] { return p.summary(); });
  p.wait_for_hangup();

  p.signals.async_wait([&p](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("{} received: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    p.shutdown();
  });
  p.io.run();
  p.cpu.join();
  p.writes.join();
  return p.exit_code;
}

void Daemon::Parts::shutdown() {
  if (stopping) return;
  stopping = true;
  notifier.stopping("stopping: flushing to Kafka");
  notifier.stop();
  hangup.cancel();
  signals.cancel();
  pollers->stop();
  fetcher.shutdown();
  health->stop();
  if (!cluster) return finish_shutdown();
  // Closing the consumer lets go of every shard as a revocation does (the
  // transaction under way settles first). A static member does not leave
  // the group: a restart within the session timeout keeps its shards.
  auto left = std::make_shared<bool>(false);
  auto deadline = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(30));
  deadline->async_wait([this, left](boost::system::error_code ec) {
    if (ec || *left) return;
    *left = true;
    spdlog::warn("cluster: leaving the group takes more than 30 s; stopping anyway");
    finish_shutdown();
  });
  cluster->stop([this, left, deadline] {
    deadline->cancel();
    if (*left) return;
    *left = true;
    finish_shutdown();
  });
}

void Daemon::Parts::finish_shutdown() {
  // Everything handed to Kafka gets its bounded chance to be acknowledged;
  // what is not stays unpublished and is produced again on the next start.
  bool flushed = sink->flush(config.kafka.flush_timeout);
  // The last writes on this thread, after those under way. (A batch of
  // acknowledgements written meanwhile is durable; the story memory learns
  // it from the journal at the next start.)
  wait_until_idle(writes);
  outbox->commit();
  outbox->close();
  stories.close();
  if (!flushed)
    spdlog::warn("{}: {} records unacknowledged at shutdown; they will be produced again",
                 to_string(config.sink.kind), sink->outstanding());
  spdlog::info("stopped: {} articles published in total, {} left in the outbox", outbox->published(),
               outbox->size());
  io.stop();
}

bool Daemon::reload() { return parts_->reload(); }

// ---- Operations: metrics, /sources, status page, systemd, reload ----------

void Daemon::Parts::wire_operations() {
  sink->observe_deliveries([this](std::chrono::microseconds latency, std::string_view error) {
    metrics.delivery_latency.with().observe(static_cast<double>(latency.count()) / 1e6);
    if (!error.empty()) metrics.delivery_errors.with({std::string(error)}).inc();
  });
  metrics.start_time.with().set(
      static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count()));
  metrics.registry.on_collect([this] { collect_metrics(); });
  health->add_route("/metrics", [this] {
    return HealthServer::Reply{200, std::string(metrics::Registry::kContentType),
                               metrics.registry.render()};
  });
  if (cluster)
    health->add_route("/cluster", [this] {
      return HealthServer::Reply{200, "application/json", cluster->status_json()};
    });
  health->add_route("/sources", [this] {
    return HealthServer::Reply{200, "application/json", render_sources_json(snapshot())};
  });
  health->add_route("/", [this] {
    return HealthServer::Reply{200, "text/html; charset=utf-8", render_status_page(snapshot())};
  });
}

// Series that mirror state other components keep; runs on each scrape.
void Daemon::Parts::collect_metrics() {
  metrics.kafka_outstanding.with().set(static_cast<double>(sink->outstanding()));
  metrics.kafka_errors.with().set(sink->client_errors());
  metrics.outbox_records.with().set(static_cast<double>(outbox->size()));
  metrics.revisits_scheduled.with().set(static_cast<double>(revisits.size()));
  metrics.outbox_capacity.with().set(static_cast<double>(outbox->capacity()));
  metrics.outbox_oldest_age.with().set(
      static_cast<double>(outbox->oldest_age(std::chrono::steady_clock::now()).count()));
  metrics.outbox_refused.with().set(outbox->refused());
  metrics.published_ids.with().set(static_cast<double>(outbox->published()));
  metrics.fetches_in_flight.with().set(static_cast<double>(fetcher.in_flight()));
  metrics.pollers.with({"running"}).set(static_cast<double>(pollers->pollers().size()));
  metrics.pollers.with({"retired"}).set(static_cast<double>(pollers->retired()));
  std::map<std::string, int> states{{"ok", 0}, {"failing", 0}, {"pending", 0}, {"not polled", 0}};
  for (const auto& view : snapshot().sources) ++states[source_state(view.stats)];
  for (const auto& [state, count] : states) metrics.sources.with({state}).set(count);
  auto logs = log_counts();
  for (const auto& line : logs.written)
    metrics.log_messages.with({line.level, line.component}).set(line.lines);
  metrics.log_suppressed.with().set(logs.suppressed);
  metrics.http_refused.with().set(health->refused_connections());
  if (cluster) cluster->collect_metrics();
}

StatusSnapshot Daemon::Parts::snapshot() const {
  StatusSnapshot s;
  s.version = newsd::kVersion;
  s.now = std::chrono::system_clock::now();
  s.started = started;
  for (const auto& source : config.sources) {
    const auto* poller = pollers->find(source.id);
    SourceView view{source, poller ? &poller->stats() : nullptr};
    if (cluster) {
      view.shard = cluster->shard_of_source(source);
      view.owned = cluster->polls(source);
    }
    s.sources.push_back(std::move(view));
  }
  if (cluster) s.cluster = cluster->summary();
  s.unready = health->unready();
  s.published_total = outbox->published();
  s.in_flight = outbox->size();
  s.kafka_outstanding = sink->outstanding();
  s.history = &history;
  return s;
}

// One line for systemd's STATUS=: what `systemctl status newsd` shows.
std::string Daemon::Parts::summary() const {
  int failing = 0;
  for (const auto& poller : pollers->pollers()) failing += poller->stats().error_streak > 0;
  auto unready = health->unready();
  return std::to_string(pollers->pollers().size()) + " sources polled (" + std::to_string(failing) +
         " failing), " + std::to_string(outbox->published()) + " articles published, " +
         std::to_string(outbox->size()) + " in the outbox; " +
         (unready.empty() ? std::string("ready") : "not ready: " + unready.front());
}

void Daemon::Parts::wait_for_hangup() {
  hangup.async_wait([this](boost::system::error_code ec, int) {
    if (ec || stopping) return;
    reload();
    wait_for_hangup();
  });
}

bool Daemon::Parts::reload() {
  notifier.reloading();
  spdlog::info("config: SIGHUP received, reloading {}", config.path.string());
  auto load = load_config(config.path);
  if (!load.config) {
    for (const auto& error : load.errors) spdlog::error("config: {}", error.to_string());
    spdlog::error("config: reload rejected ({} mistakes); still running the previous config",
                  load.errors.size());
    metrics.reloads.with({"rejected"}).inc();
    notifier.ready(summary());
    return false;
  }
  Config next = std::move(*load.config);

  // The state, the port, the producer and the fetcher are built once.
  std::vector<std::string> need_restart;
  if (next.state_dir != config.state_dir) need_restart.push_back("state_dir");
  if (next.templates_dir != config.templates_dir) need_restart.push_back("templates_dir");
  if (!(next.http == config.http)) need_restart.push_back("[http]");
  if (!(next.sink == config.sink)) need_restart.push_back("[sink]");
  if (!(next.kafka == config.kafka)) need_restart.push_back("[kafka]");
  if (!(next.fetch == config.fetch)) need_restart.push_back("[fetch]");
  if (!(next.cluster == config.cluster)) need_restart.push_back("[cluster]");
  for (const auto& what : need_restart)
    spdlog::warn("config: {} changed; takes effect at the next restart", what);

  // A cluster member polls only the new sources of its shards.
  const auto changes = cluster ? cluster->set_sources(next.sources) : pollers->apply(next.sources);
  configure_logging(next.log);
  // Keep what cannot change without a restart as it runs.
  next.state_dir = config.state_dir;
  next.templates_dir = config.templates_dir;
  next.http = config.http;
  next.sink = config.sink;
  next.kafka = config.kafka;
  next.fetch = config.fetch;
  next.cluster = config.cluster;
  config = std::move(next);
  metrics.reloads.with({"ok"}).inc();
  spdlog::info("config: reloaded: {} sources added, {} removed, {} changed, {} polled", changes.added,
               changes.removed, changes.changed, pollers->pollers().size());
  notifier.ready(summary());
  return true;
}

}  // namespace newsd::daemon
