// Pollers across reloads and bugs: which keep running, which stop, when a
// replacement starts, and that a crashed poller comes back.
#include "daemon/pipeline/poller_set.hpp"

#include <gtest/gtest.h>

#include "tests/support/fake_fetcher.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/test_dir.hpp"

namespace newsd::daemon {
namespace {

using testing::run_until;

const std::string kFeed =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://example.org/</link>"
    "<item><title>One</title><link>https://example.org/one</link><description>d</description></item>"
    "</channel></rss>";

SourceConfig source(const std::string& id, std::chrono::milliseconds interval = std::chrono::milliseconds(30)) {
  SourceConfig config;
  config.id = id;
  config.url = "https://" + id + ".example/feed";
  config.interval = interval;
  return config;
}

class PollerSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-pollers-");
    std::filesystem::create_directories(dir_);
    state_ = std::make_unique<sinks::DeliveryState>(dir_ / "delivery");
    outbox_ = std::make_unique<Outbox>(io_, *state_, sink_, 1000);
    context_ = std::make_unique<PollerContext>(PollerContext{io_, cpu_, fetch_, *outbox_, records_, history_});
    set_ = std::make_unique<PollerSet>(io_, *context_, metrics_);
    set_->restart_delay = std::chrono::milliseconds(20);
    for (const auto* id : {"a", "b", "c"}) web_.serve(source(id).url, kFeed, "application/rss+xml");
  }
  void TearDown() override {
    set_->stop();
    web_.release();
    EXPECT_TRUE(run_until(io_, [&] { return set_->idle(); })) << "a poller's run() did not end after stop()";
    set_.reset();
    io_.restart();
    io_.poll();
    cpu_.join();
    outbox_.reset();
    state_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::size_t requests_for(const std::string& id) const {
    const auto url = source(id).url;
    return std::count_if(web_.requests.begin(), web_.requests.end(), [&](const auto& r) { return r.url == url; });
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool cpu_{1};
  std::filesystem::path dir_;
  std::unique_ptr<sinks::DeliveryState> state_;
  testing::FakeSink sink_;
  testing::FakeFetcher web_;
  metrics::DaemonMetrics metrics_;
  FetchShared fetch_{web_, metrics_};
  RecordBuilder records_{{}};
  PublicationHistory history_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<PollerContext> context_;
  std::unique_ptr<PollerSet> set_;
};

TEST_F(PollerSetTest, AReloadKeepsUnchangedPollersStopsRemovedOnesAndStartsAddedOnes) {
  set_->start({source("a"), source("b")});
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("a") >= 1 && requests_for("b") >= 1; }));
  const SourcePoller* a = set_->find("a");
  const auto a_polls = a->stats().polls;

  auto changes = set_->apply({source("a"), source("c")});
  EXPECT_EQ(changes.added, 1);
  EXPECT_EQ(changes.removed, 1);
  EXPECT_EQ(changes.changed, 0);
  EXPECT_EQ(set_->find("a"), a);  // the same poller, its schedule and validators kept
  EXPECT_EQ(set_->find("b"), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("c") >= 1 && a->stats().polls > a_polls; }));
  ASSERT_TRUE(run_until(io_, [&] { return set_->retired() == 0; })) << "the removed poller was never freed";
  const auto b_requests = requests_for("b");
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("a") >= a_polls + 3; }));
  EXPECT_EQ(requests_for("b"), b_requests);
}

TEST_F(PollerSetTest, AChangedSourcesNewPollerWaitsUntilTheOldOnesFetchHasEnded) {
  web_.held.insert(source("a").url);  // the old poller's fetch stays in flight
  set_->start({source("a")});
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("a") == 1; }));

  auto changes = set_->apply({source("a", std::chrono::milliseconds(40))});
  EXPECT_EQ(changes.changed, 1);
  EXPECT_EQ(set_->find("a")->source().interval, std::chrono::milliseconds(40));
  run_until(io_, [] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(requests_for("a"), 1u) << "the new poller fetched while the old one's fetch was in flight";
  EXPECT_EQ(set_->retired(), 1u);

  web_.release();
  ASSERT_TRUE(run_until(io_, [&] { return set_->retired() == 0 && requests_for("a") >= 3; }));
}

TEST_F(PollerSetTest, ReplacingAReplacementThatNeverStartedStillWaitsForTheFirst) {
  web_.held.insert(source("a").url);
  set_->start({source("a")});
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("a") == 1; }));
  set_->apply({source("a", std::chrono::milliseconds(40))});
  set_->apply({source("a", std::chrono::milliseconds(50))});
  run_until(io_, [] { return false; }, std::chrono::milliseconds(100));
  EXPECT_EQ(requests_for("a"), 1u);
  web_.release();
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("a") >= 3; }));
  EXPECT_EQ(set_->find("a")->source().interval, std::chrono::milliseconds(50));
  EXPECT_EQ(set_->retired(), 0u);
}

TEST_F(PollerSetTest, APollerEndedByABugIsCountedAndStartedAgain) {
  web_.throwing.insert(source("a").url);
  set_->start({source("a"), source("b")});
  ASSERT_TRUE(run_until(io_, [&] { return metrics_.poller_crashes.with().value() >= 2; }))
      << "a crashed poller was not restarted";
  EXPECT_GE(requests_for("a"), 2u);
  // The other source is not affected.
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("b") >= 3; }));
  // Fixed (the next release of the code, here: the fetcher), it polls on.
  web_.throwing.clear();
  const auto before = requests_for("a");
  ASSERT_TRUE(run_until(io_, [&] { return requests_for("a") >= before + 3; }));
}

}  // namespace
}  // namespace newsd::daemon
