#pragma once
// Metrics: a small Prometheus registry of our own (counters, gauges and
// histograms with labels) rendered in the text exposition format 0.0.4, and
// DaemonMetrics, the catalogue of every newsd_* series. Updating a series is
// lock-free (atomics), so parsing on the CPU pool may count too; looking a
// labelled series up, adding one and rendering take the family's mutex.
// Owned by the daemon; components hold references to the series they update.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::daemon::metrics {

using LabelValues = std::vector<std::string>;  // in the order of the family's label names

// Monotonic count.
class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // Mirrors a monotonic count that another component keeps.
  void set(std::uint64_t value) { value_.store(value, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

enum class Type { counter, gauge, histogram };

// The series of one metric name, one per combination of label values.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  // Drops every series whose label `label` has `value` (a removed source).
  void remove_where(std::string_view label, std::string_view value);
  void render(std::string& out) const;

 protected:
  struct Series {
    LabelValues labels;
    std::shared_ptr<void> metric;
  };
  std::shared_ptr<void> find_or_add(const LabelValues& values,
                                    const std::function<std::shared_ptr<void>()>& make);

  std::string name_;
  std::string help_;
  Type type_;
  std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
  std::map<LabelValues, std::shared_ptr<void>> series_;
};

template <class Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
         std::function<std::shared_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        make_(std::move(make)) {}

  // The series with these label values, created at zero on first use. The
  // reference stays valid while the series is not removed.
  Metric& with(const LabelValues& values = {}) { return *share(values); }

  // The same, shared: stays usable after the series is removed from the family.
  std::shared_ptr<Metric> share(const LabelValues& values = {}) {
    return std::static_pointer_cast<Metric>(find_or_add(values, [this] { return make_(); }));
  }

 private:
  std::function<std::shared_ptr<Metric>()> make_;
};

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names, std::vector<double> bounds);

  // Runs before every render, on the rendering thread: sets the series that
  // mirror state kept elsewhere (queue depths, counts of other components).
  void on_collect(std::function<void()> hook);

  void remove_where(std::string_view label, std::string_view value);

  // Every family in registration order, text exposition format 0.0.4.
  std::string render();

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::vector<std::function<void()>> hooks_;
};

// The per-source series a SourcePoller updates, resolved once; shared, so
// that forgetting a removed source never leaves a poller dangling.
struct SourceSeries {
  std::shared_ptr<Counter> polls;
  std::shared_ptr<Counter> bytes_fetched;
  std::shared_ptr<Counter> articles_extracted;
  std::shared_ptr<Counter> articles_deduplicated;
  std::shared_ptr<Counter> near_duplicates;
  std::shared_ptr<Counter> item_collisions;
  std::shared_ptr<Counter> articles_produced;
  std::shared_ptr<Counter> articles_published;
  std::shared_ptr<Gauge> error_streak;
};

// Every newsd_* series. Names and labels are what dashboards and alerts use:
// renaming one is a breaking change for operators.
struct DaemonMetrics {
  DaemonMetrics();

  SourceSeries source(const std::string& id);
  void forget_source(const std::string& id) { registry.remove_where("source", id); }

  Registry registry;
  // Per source.
  Family<Counter>& polls;                  // newsd_source_polls_total{source}
  Family<Counter>& http_responses;         // newsd_source_http_responses_total{source,code}
  Family<Counter>& fetch_errors;           // newsd_source_fetch_errors_total{source,error}
  Family<Counter>& bytes_fetched;          // newsd_source_fetched_bytes_total{source}
  Family<Counter>& parse_failures;         // newsd_source_parse_failures_total{source,reason}
  Family<Gauge>& error_streak;             // newsd_source_error_streak{source}
  Family<Counter>& articles_extracted;     // newsd_articles_extracted_total{source}
  Family<Counter>& articles_deduplicated;  // newsd_articles_deduplicated_total{source}
  Family<Counter>& near_duplicates;        // newsd_articles_near_duplicates_total{source}
  Family<Counter>& item_collisions;        // newsd_item_identity_collisions_total{source}
  Family<Counter>& page_revisits;          // newsd_page_revisits_total{source,outcome}
  Family<Counter>& articles_produced;      // newsd_articles_produced_total{source}
  Family<Counter>& articles_published;     // newsd_articles_published_total{source}
  // Kafka.
  Family<Histogram>& delivery_latency;     // newsd_kafka_delivery_latency_seconds
  Family<Counter>& delivery_errors;        // newsd_kafka_delivery_errors_total{error}
  Family<Counter>& kafka_errors;           // newsd_kafka_client_errors_total
  Family<Gauge>& kafka_outstanding;        // newsd_kafka_outstanding_records
  // State and queues.
  Family<Gauge>& outbox_records;           // newsd_outbox_records
  Family<Gauge>& revisits_scheduled;       // newsd_page_revisits_scheduled
  Family<Gauge>& outbox_capacity;          // newsd_outbox_capacity
  Family<Gauge>& outbox_oldest_age;        // newsd_outbox_oldest_record_age_seconds
  Family<Counter>& outbox_refused;         // newsd_outbox_records_refused_total
  Family<Gauge>& published_ids;            // newsd_published_ids
  Family<Gauge>& fetches_in_flight;        // newsd_fetches_in_flight
  Family<Gauge>& pollers;                  // newsd_pollers{state}: running, retired (stopped by a reload, not yet freed)
  Family<Counter>& poller_crashes;         // newsd_poller_crashes_total
  Family<Gauge>& sources;                  // newsd_sources{state}
  // The process.
  Family<Counter>& log_messages;           // newsd_log_messages_total{level,component}
  Family<Counter>& log_suppressed;         // newsd_log_suppressed_total
  Family<Counter>& reloads;                // newsd_config_reloads_total{result}
  Family<Counter>& http_refused;           // newsd_http_connections_refused_total
  Family<Gauge>& start_time;               // newsd_start_time_seconds
  Family<Gauge>& build_info;               // newsd_build_info{version}
  // [cluster] only:
  Family<Gauge>& cluster_owned_shards;     // newsd_cluster_owned_shards
  Family<Gauge>& cluster_restoring_shards; // newsd_cluster_restoring_shards
  Family<Gauge>& cluster_restore_seconds;  // newsd_cluster_restore_seconds (the last shard's)
  Family<Counter>& cluster_rebalances;     // newsd_cluster_rebalances_total
  Family<Counter>& cluster_transactions;   // newsd_cluster_transactions_total{outcome}
  Family<Counter>& cluster_fenced;         // newsd_cluster_fenced_total
  Family<Gauge>& cluster_index_lag;        // newsd_cluster_index_lag_seconds
};

}  // namespace newsd::daemon::metrics
