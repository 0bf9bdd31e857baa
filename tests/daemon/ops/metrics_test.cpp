#include "daemon/ops/metrics.hpp"

#include <gtest/gtest.h>

namespace newsd::daemon::metrics {
namespace {

TEST(Metrics, RendersCountersGaugesAndLabelsInTextFormat) {
  Registry registry;
  auto& polls = registry.counter("newsd_polls_total", "Polls.\nPer source.", {"source"});
  auto& depth = registry.gauge("newsd_depth", "Depth.");
  polls.with({"a"}).inc();
  polls.with({"a"}).inc(2);
  polls.with({"we\"ird\\\n"}).inc();
  depth.with().set(2.5);
  EXPECT_EQ(registry.render(),
            "# HELP newsd_polls_total Polls.\\nPer source.\n"
            "# TYPE newsd_polls_total counter\n"
            "newsd_polls_total{source=\"a\"} 3\n"
            "newsd_polls_total{source=\"we\\\"ird\\\\\\n\"} 1\n"
            "# HELP newsd_depth Depth.\n"
            "# TYPE newsd_depth gauge\n"
            "newsd_depth 2.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  auto& latency = registry.histogram("lat_seconds", "Latency.", {}, {0.1, 1});
  latency.with().observe(0.05);
  latency.with().observe(0.1);  // upper bounds are inclusive
  latency.with().observe(0.5);
  latency.with().observe(7);
  EXPECT_EQ(registry.render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.1\"} 2\n"
            "lat_seconds_bucket{le=\"1\"} 3\n"
            "lat_seconds_bucket{le=\"+Inf\"} 4\n"
            "lat_seconds_sum 7.65\n"
            "lat_seconds_count 4\n");
}

TEST(Metrics, CollectHooksRunBeforeRenderingAndRemovalKeepsSharedSeriesUsable) {
  Registry registry;
  auto& outstanding = registry.gauge("outstanding", "Outstanding.");
  int calls = 0;
  registry.on_collect([&] { outstanding.with().set(++calls); });
  EXPECT_NE(registry.render().find("outstanding 1\n"), std::string::npos);
  EXPECT_NE(registry.render().find("outstanding 2\n"), std::string::npos);

  auto& polls = registry.counter("polls_total", "Polls.", {"source"});
  auto kept = polls.share({"gone"});
  polls.with({"stays"}).inc();
  registry.remove_where("source", "gone");
  kept->inc();  // a poller that outlives its source's series
  auto text = registry.render();
  EXPECT_EQ(text.find("gone"), std::string::npos);
  EXPECT_NE(text.find("polls_total{source=\"stays\"} 1\n"), std::string::npos);
}

TEST(Metrics, DaemonMetricsNamesEverySeriesWithThePrefix) {
  DaemonMetrics metrics;
  auto series = metrics.source("wafaamagazine");
  series.polls->inc();
  metrics.http_responses.with({"wafaamagazine", "200"}).inc();
  auto text = metrics.registry.render();
  EXPECT_NE(text.find("newsd_source_polls_total{source=\"wafaamagazine\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("newsd_source_http_responses_total{source=\"wafaamagazine\",code=\"200\"} 1\n"),
            std::string::npos);
  for (std::size_t at = 0; (at = text.find("\n", at)) != std::string::npos && at + 1 < text.size();) {
    ++at;
    auto line = text.substr(at, text.find('\n', at) - at);
    if (line.starts_with("# ")) line = line.substr(7);  // "# HELP " / "# TYPE "
    EXPECT_TRUE(line.starts_with("newsd_")) << line;
  }
  metrics.forget_source("wafaamagazine");
  EXPECT_EQ(metrics.registry.render().find("wafaamagazine"), std::string::npos);
}

}  // namespace
}  // namespace newsd::daemon::metrics
