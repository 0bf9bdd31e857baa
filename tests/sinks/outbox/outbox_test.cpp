#include "sinks/outbox/outbox.hpp"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"

#include "tests/support/fake_sink.hpp"

namespace newsd::daemon {
namespace {

using testing::FakeSink;
using testing::run_until;

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-outbox-");
    state_ = std::make_unique<sinks::DeliveryState>(dir_);
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::vector<std::pair<std::string, sinks::OutRecord>> records(std::vector<std::string> ids,
                                                                       std::size_t body = 10) {
    std::vector<std::pair<std::string, sinks::OutRecord>> out;
    for (const auto& id : ids)
      out.emplace_back(id, sinks::OutRecord{"news", id,
                                            "{\"url\":\"https://example.org/" + id + "\",\"body\":\"" +
                                                std::string(body, 'x') + "\"}",
                                            {{"source", "s1"}, {"version", "1"}}});
    return out;
  }

  // One record of `id` at `version` whose value is not plain text (a NUL,
  // bytes that are not UTF-8), so a replay that re-encodes anything shows.
  static std::pair<std::string, sinks::OutRecord> record(const std::string& id, std::uint32_t version) {
    std::string value = "{\"url\":\"https://example.org/" + id + "\",\"v\":" + std::to_string(version) + "}";
    value += std::string("\0\xff\xfe\r\n", 5) + id;
    return {id, sinks::OutRecord{"news." + id, id, value,
                                 {{"schema", "newsd.article.v1"},
                                  {"source", "s1"},
                                  {"version", std::to_string(version)},
                                  {"content-type", "application/json"}}}};
  }

  // Closes and opens the delivery state again, as a restart does.
  void reopen_state() {
    state_.reset();
    state_ = std::make_unique<sinks::DeliveryState>(dir_);
  }

  static std::vector<std::string> keys(const std::vector<sinks::OutRecord>& produced) {
    std::vector<std::string> out;
    for (const auto& record : produced) out.push_back(record.key);
    return out;
  }

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::unique_ptr<sinks::DeliveryState> state_;
  FakeSink sink_;
};

TEST_F(OutboxTest, SubmitTakesNoMoreThanTheRoomLeft) {
  Outbox outbox(io_, *state_, sink_, 3);
  auto taken = outbox.submit(records({"a", "b"}));
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken, 2u);
  EXPECT_EQ(outbox.room(), 1u);
  taken = outbox.submit(records({"c", "d", "e"}));
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken, 1u);  // the first one, in order
  EXPECT_EQ(outbox.size(), 3u);
  EXPECT_TRUE(outbox.full());
  EXPECT_TRUE(outbox.waiting("c"));
  EXPECT_FALSE(outbox.waiting("d"));
  EXPECT_EQ(state_->outbox_size(), 3u);  // nothing beyond capacity was persisted either
}

// With a writes thread, a submit holds its room while its write is under way
// (two pollers cannot overfill the outbox), and acknowledgements are written
// there too: the loop only learns the outcome.
TEST_F(OutboxTest, WritesOffTheLoopHoldTheirRoomAndSettleAcknowledgements) {
  boost::asio::thread_pool writes(1);
  Outbox outbox(io_, *state_, sink_, 3, writes.get_executor());
  std::optional<std::size_t> first, second;
  auto submit = [&](std::vector<std::string> ids, std::optional<std::size_t>& taken) {
    boost::asio::co_spawn(
        io_,
        [&outbox, &taken, batch = records(std::move(ids))]() mutable -> boost::asio::awaitable<void> {
          taken = (co_await outbox.async_submit(std::move(batch))).value_or(0);
        },
        boost::asio::detached);
  };
  submit({"a", "b"}, first);
  submit({"c", "d"}, second);
  ASSERT_TRUE(run_until(io_, [&] { return first && second; }));
  EXPECT_EQ(*first, 2u);
  EXPECT_EQ(*second, 1u);  // the room the first one held was not given out twice
  EXPECT_EQ(state_->outbox_size(), 3u);
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 3; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));
  EXPECT_EQ(state_->outbox_size(), 0u);
  EXPECT_EQ(outbox.published(), 3u);
  writes.join();
}

TEST_F(OutboxTest, RecordsTheSinkCannotTakeWaitAndGoInOrderOnceDeliveriesFreeRoom) {
  sink_.queue_capacity = 2;
  Outbox outbox(io_, *state_, sink_, 100);
  ASSERT_TRUE(outbox.submit(records({"a", "b", "c"})));
  ASSERT_TRUE(outbox.submit(records({"d", "e"})));
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  EXPECT_EQ(outbox.queued(), 3u);

  // Each delivery report frees a place in the sink's queue; the next record
  // in sequence order takes it, promptly (not after a backoff of seconds).
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t n = 3; n <= 5; ++n) {
    sink_.report();
    ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == n; }, std::chrono::seconds(2)))
        << "record " << n << " not produced after a delivery freed room";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(keys(sink_.produced), (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));
  EXPECT_EQ(state_->outbox_size(), 0u);
  EXPECT_EQ(outbox.published(), 5u);
}

TEST_F(OutboxTest, ALargeBatchIsHandedOverInChunksBetweenOtherWork) {
  Outbox outbox(io_, *state_, sink_, 10 * Outbox::kProduceChunk);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < 3 * Outbox::kProduceChunk; ++i) ids.push_back("r" + std::to_string(i));
  ASSERT_TRUE(outbox.submit(records(ids)));
  // One turn of the event loop hands over one chunk, then yields.
  io_.restart();
  io_.run_one();
  EXPECT_EQ(sink_.produced.size(), Outbox::kProduceChunk);
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == ids.size(); }));
  EXPECT_EQ(keys(sink_.produced), ids);
}

TEST_F(OutboxTest, ARecordFailedForATransientReasonGoesBeforeThoseNotProducedYet) {
  sink_.queue_capacity = 1;
  Outbox outbox(io_, *state_, sink_, 100);
  ASSERT_TRUE(outbox.submit(records({"a", "b", "c"})));
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 1; }));
  sink_.report({false, "Local: Message timed out", false});
  // After the backoff, "a" again, then "b" and "c".
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  sink_.report();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 3; }));
  sink_.report();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 4; }));
  EXPECT_EQ(keys(sink_.produced), (std::vector<std::string>{"a", "a", "b", "c"}));
}

// A transaction aborted by a rebalance passes in a moment: its records go
// again after the hint, again and again, without a growing backoff.
TEST_F(OutboxTest, ARetrySoonFailureIsProducedAgainAfterItsHintWithoutGrowingTheBackoff) {
  Outbox outbox(io_, *state_, sink_, 100);
  ASSERT_TRUE(outbox.submit(records({"a"})));
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 1; }));
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t n = 2; n <= 5; ++n) {
    sinks::DeliveryReport aborted{false, "transaction aborted: generation", false};
    aborted.retry_soon = std::chrono::milliseconds(50);
    sink_.report(aborted);
    ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == n; }, std::chrono::seconds(2)));
  }
  // Four exponential backoffs would be 1 + 2 + 4 + 8 s.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  sink_.report();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));
}

TEST_F(OutboxTest, ARecordRefusedAtProduceIsDeadLetteredAndLeavesTheOutbox) {
  sink_.max_value = 1000;
  Outbox outbox(io_, *state_, sink_, 100);
  std::vector<std::string> refusals;  // what the maker was told
  outbox.dead_letters([&](const sinks::OutRecord& refused, const std::string& why) {
    refusals.push_back(refused.key + ": " + why);
    return std::optional<sinks::OutRecord>(sinks::OutRecord{"news.deadletter", "dl-" + refused.key, refused.value.substr(0, 200), {}});
  });
  ASSERT_TRUE(outbox.submit(records({"small"})));
  ASSERT_TRUE(outbox.submit(records({"huge"}, 5000)));
  ASSERT_TRUE(outbox.submit(records({"after"})));
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 3; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));

  EXPECT_EQ(outbox.refused(), 1u);
  EXPECT_EQ(state_->outbox_size(), 0u);  // not refused again at every start
  EXPECT_TRUE(outbox.known("huge"));    // settled: this version is not submitted again
  EXPECT_EQ(keys(sink_.produced)[0], "small");
  EXPECT_EQ(keys(sink_.produced)[1], "after");
  const auto& letter = sink_.produced[2];
  EXPECT_EQ(letter.topic, "news.deadletter");
  EXPECT_EQ(letter.key, "dl-huge");
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_TRUE(refusals[0].starts_with("huge: ")) << refusals[0];
  EXPECT_TRUE(outbox.known("dl-huge"));  // the letter itself went through the outbox and was acknowledged
}

TEST_F(OutboxTest, ARecordTheBrokerRefusesInItsDeliveryReportLeavesTheOutbox) {
  Outbox outbox(io_, *state_, sink_, 100);
  ASSERT_TRUE(outbox.submit(records({"a", "b"})));
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  sink_.report({false, "Broker: Message size too large", true});
  sink_.report();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));
  EXPECT_EQ(outbox.refused(), 1u);
  EXPECT_EQ(state_->outbox_size(), 0u);
  EXPECT_EQ(sink_.produced.size(), 2u);  // no dead-letter topic: nothing more, and never produced again
}

TEST_F(OutboxTest, TheOldestRecordsAgeIsReportedUntilItIsAcknowledged) {
  Outbox outbox(io_, *state_, sink_, 100);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(outbox.oldest_age(now), std::chrono::seconds(0));
  ASSERT_TRUE(outbox.submit(records({"a"})));
  ASSERT_TRUE(outbox.submit(records({"b"})));
  const auto later = std::chrono::steady_clock::now() + std::chrono::minutes(11);
  EXPECT_GE(outbox.oldest_age(later), Outbox::kStaleAfter);
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));
  EXPECT_EQ(outbox.oldest_age(later), std::chrono::seconds(0));
}

// One run of the daemon: its event loop, its sink and its outbox, gone
// together as in a crash (pending handlers are destroyed, never run).
struct DaemonRun {
  explicit DaemonRun(sinks::DeliveryState& state, std::size_t capacity = 100) : outbox(io, state, sink, capacity) {}
  boost::asio::io_context io;
  FakeSink sink;
  Outbox outbox;
};

TEST_F(OutboxTest, RecordsNotAcknowledgedBeforeACrashAreReplayedInOrderByteForByte) {
  std::vector<std::pair<std::string, sinks::OutRecord>> submitted;
  {
    DaemonRun first(*state_);
    std::vector<std::pair<std::string, sinks::OutRecord>> batch{record("a", 1), record("b", 2), record("c", 1)};
    submitted.insert(submitted.end(), batch.begin(), batch.end());
    ASSERT_EQ(first.outbox.submit(batch), 3u);
    std::vector<std::pair<std::string, sinks::OutRecord>> later{record("d", 7)};
    submitted.insert(submitted.end(), later.begin(), later.end());
    ASSERT_EQ(first.outbox.submit(later), 1u);
    ASSERT_TRUE(run_until(first.io, [&] { return first.sink.produced.size() == 4; }));
    first.sink.report();  // "a" only; "b", "c", "d" are in flight at the crash
    ASSERT_TRUE(run_until(first.io, [&] { return first.outbox.size() == 3; }));
  }  // crash: no acknowledgement of "b", "c", "d", nothing flushed or closed
  reopen_state();
  EXPECT_EQ(state_->outbox_size(), 3u);

  DaemonRun second(*state_);
  EXPECT_EQ(second.outbox.replay(), 3u);
  EXPECT_TRUE(second.outbox.waiting("b"));
  EXPECT_FALSE(second.outbox.waiting("a"));
  ASSERT_TRUE(run_until(second.io, [&] { return second.sink.produced.size() == 3; }));
  ASSERT_EQ(keys(second.sink.produced), (std::vector<std::string>{"b", "c", "d"}));
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& original = submitted[i + 1].second;
    const auto& replayed = second.sink.produced[i];
    EXPECT_EQ(replayed.topic, original.topic);
    EXPECT_EQ(replayed.key, original.key);
    EXPECT_EQ(replayed.value, original.value) << "value of " << original.key << " changed by the replay";
    EXPECT_EQ(replayed.headers, original.headers);
    EXPECT_EQ(sinks::record_version(replayed), sinks::record_version(original));
  }

  second.sink.deliver_all();
  ASSERT_TRUE(run_until(second.io, [&] { return second.outbox.size() == 0; }));
  EXPECT_EQ(second.outbox.published_version("b"), 2u);
  EXPECT_EQ(second.outbox.published_version("d"), 7u);
  EXPECT_EQ(state_->outbox_size(), 0u);
}

TEST_F(OutboxTest, AnEntryWhoseVersionWasAlreadyPublishedIsNotReplayedButANewerOneIs) {
  {
    DaemonRun first(*state_);
    ASSERT_EQ(first.outbox.submit({record("a", 1), record("b", 2)}), 2u);
  }
  // An older run recorded these versions published but kept the entries:
  // "a" at its version, "b" only at an older one (an edit was in flight).
  std::vector<sinks::Acknowledgement> acks{{1000, "a", 1}, {1001, "b", 1}};
  ASSERT_TRUE(state_->acknowledge(acks, std::chrono::system_clock::now()));
  reopen_state();

  DaemonRun second(*state_);
  EXPECT_EQ(second.outbox.replay(), 1u);
  ASSERT_TRUE(run_until(second.io, [&] { return second.sink.produced.size() == 1; }));
  EXPECT_EQ(keys(second.sink.produced), (std::vector<std::string>{"b"}));
  EXPECT_EQ(state_->outbox_size(), 1u);  // "a" left the outbox without being produced
  EXPECT_FALSE(second.outbox.waiting("a"));
  EXPECT_TRUE(second.outbox.known("a"));
}

TEST_F(OutboxTest, AWaitingPollerResumesOnlyOnceADeliveryFreesRoom) {
  Outbox outbox(io_, *state_, sink_, 2);
  ASSERT_EQ(outbox.submit(records({"a", "b"})), 2u);
  ASSERT_TRUE(outbox.full());

  bool resumed = false;
  std::size_t room_at_resumption = 0;
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        co_await outbox.wait_for_room();
        resumed = true;
        room_at_resumption = outbox.room();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });

  // Produced, not yet acknowledged: still full.
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  EXPECT_FALSE(run_until(io_, [&] { return resumed; }, std::chrono::milliseconds(50)));
  // A failed delivery frees nothing either.
  sink_.report({false, "Local: Message timed out", false});
  EXPECT_FALSE(run_until(io_, [&] { return resumed; }, std::chrono::milliseconds(50)));
  EXPECT_TRUE(outbox.full());

  sink_.report();  // "b" delivered
  ASSERT_TRUE(run_until(io_, [&] { return resumed; }, std::chrono::seconds(2)));
  EXPECT_EQ(room_at_resumption, 1u);
}

TEST_F(OutboxTest, CloseReleasesAPollerWaitingForRoom) {
  Outbox outbox(io_, *state_, sink_, 1);
  ASSERT_EQ(outbox.submit(records({"a"})), 1u);
  bool resumed = false;
  boost::asio::co_spawn(
      io_,
      [&]() -> boost::asio::awaitable<void> {
        co_await outbox.wait_for_room();
        resumed = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  EXPECT_FALSE(run_until(io_, [&] { return resumed; }, std::chrono::milliseconds(50)));
  outbox.close();
  ASSERT_TRUE(run_until(io_, [&] { return resumed; }, std::chrono::seconds(2)));
  EXPECT_TRUE(outbox.full());  // released for shutdown, not because there is room
}

TEST_F(OutboxTest, ABurstOfAcknowledgementsIsCommittedInOneTurnAndSurvivesAReopen) {
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back("r" + std::to_string(i));
  std::size_t told = 0;
  {
    Outbox outbox(io_, *state_, sink_, 100);
    outbox.on_acknowledged([&](const std::string&, std::uint32_t) { ++told; });
    ASSERT_EQ(outbox.submit(records(ids)), ids.size());
    ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == ids.size(); }));

    sink_.deliver_all();
    // Reported, not yet durable: nothing is written per report.
    EXPECT_EQ(outbox.size(), ids.size());
    EXPECT_EQ(state_->outbox_size(), ids.size());
    EXPECT_EQ(state_->published_size(), 0u);
    EXPECT_EQ(told, 0u);

    // One handler on the event loop records the whole burst.
    io_.restart();
    EXPECT_EQ(io_.poll_one(), 1u);
    EXPECT_EQ(outbox.size(), 0u);
    EXPECT_EQ(state_->outbox_size(), 0u);
    EXPECT_EQ(state_->published_size(), ids.size());
    EXPECT_EQ(told, ids.size());
    io_.poll();
  }
  reopen_state();
  EXPECT_EQ(state_->outbox_size(), 0u);
  EXPECT_EQ(state_->published_size(), ids.size());
  DaemonRun next(*state_);
  EXPECT_EQ(next.outbox.replay(), 0u);
  for (const auto& id : ids) EXPECT_TRUE(next.outbox.known(id)) << id;
  EXPECT_TRUE(next.sink.produced.empty());
}

TEST_F(OutboxTest, CommitWritesAcknowledgementsReportedSoFarAtOnce) {
  {
    DaemonRun run(*state_);
    ASSERT_EQ(run.outbox.submit({record("a", 1), record("b", 1)}), 2u);
    ASSERT_TRUE(run_until(run.io, [&] { return run.sink.produced.size() == 2; }));
    run.sink.deliver_all();
    run.outbox.commit();  // as at shutdown: the event loop does not turn again
  }
  reopen_state();
  EXPECT_EQ(state_->outbox_size(), 0u);
  EXPECT_TRUE(state_->published("a"));
  EXPECT_TRUE(state_->published("b"));
}

TEST_F(OutboxTest, ThePublishedVersionIsRecordedWithTheAcknowledgementAndSurvivesAReopen) {
  {
    DaemonRun run(*state_);
    EXPECT_EQ(run.outbox.published_version("a"), 0u);
    ASSERT_EQ(run.outbox.submit({record("a", 1)}), 1u);
    ASSERT_TRUE(run_until(run.io, [&] { return run.sink.produced.size() == 1; }));
    run.sink.report();
    ASSERT_TRUE(run_until(run.io, [&] { return run.outbox.size() == 0; }));
    EXPECT_EQ(run.outbox.published_version("a"), 1u);

    ASSERT_EQ(run.outbox.submit({record("a", 3)}), 1u);  // an edit
    ASSERT_TRUE(run_until(run.io, [&] { return run.sink.produced.size() == 2; }));
    run.sink.report();
    ASSERT_TRUE(run_until(run.io, [&] { return run.outbox.size() == 0; }));
    EXPECT_EQ(run.outbox.published_version("a"), 3u);
  }  // no story memory heard of it: only the delivery state knows
  reopen_state();
  DaemonRun next(*state_);
  EXPECT_EQ(next.outbox.published_version("a"), 3u);
  EXPECT_EQ(next.outbox.published_version("never"), 0u);
  // The journal holds it for the story memory, at the version delivered last.
  EXPECT_EQ(state_->unapplied(), (std::vector<std::pair<std::string, std::uint32_t>>{{"a", 3}}));
}

TEST_F(OutboxTest, ARecordIsWaitingUntilItsAcknowledgementIsDurableThenKnownOnly) {
  std::uint32_t acknowledged_version = 0;
  {
    DaemonRun run(*state_);
    run.outbox.on_acknowledged([&](const std::string&, std::uint32_t version) { acknowledged_version = version; });
    EXPECT_FALSE(run.outbox.known("a"));
    EXPECT_FALSE(run.outbox.waiting("a"));
    ASSERT_EQ(run.outbox.submit({record("a", 2), record("b", 1)}), 2u);
    EXPECT_TRUE(run.outbox.waiting("a"));
    EXPECT_TRUE(run.outbox.known("a"));
    ASSERT_TRUE(run_until(run.io, [&] { return run.sink.produced.size() == 2; }));
    EXPECT_TRUE(run.outbox.waiting("a"));  // handed over is not delivered

    run.sink.report();  // "a" delivered, not yet recorded
    EXPECT_TRUE(run.outbox.waiting("a"));
    EXPECT_FALSE(state_->published("a"));
    ASSERT_TRUE(run_until(run.io, [&] { return !run.outbox.waiting("a"); }));
    EXPECT_TRUE(run.outbox.known("a"));
    EXPECT_TRUE(state_->published("a"));
    EXPECT_EQ(acknowledged_version, 2u);

    run.sink.report({false, "Local: Message timed out", false});  // "b" failed: still waiting
    run.io.restart();
    run.io.poll();
    EXPECT_TRUE(run.outbox.waiting("b"));
    EXPECT_FALSE(state_->published("b"));
  }
  reopen_state();
  DaemonRun next(*state_);
  EXPECT_TRUE(next.outbox.known("a"));  // from the published set
  EXPECT_FALSE(next.outbox.waiting("a"));
  EXPECT_FALSE(next.outbox.waiting("b"));  // until replayed
  next.outbox.replay();
  EXPECT_TRUE(next.outbox.waiting("b"));
  EXPECT_TRUE(next.outbox.known("b"));
  EXPECT_EQ(next.outbox.size(), 1u);
}

}  // namespace
}  // namespace newsd::daemon

namespace newsd::daemon {
namespace {

// A story's further record (its copy on the latest topic) is its own
// outbox entry: the story waits until both are acknowledged, each is
// replayed on its own, and only the story's own record tells the story
// memory about a published version.
TEST_F(OutboxTest, AStorysFurtherRecordKeepsItWaitingAndIsAcknowledgedOnItsOwn) {
  std::vector<std::pair<std::string, std::uint32_t>> acknowledged;
  {
    DaemonRun first(*state_);
    first.outbox.on_acknowledged([&](const std::string& id, std::uint32_t v) { acknowledged.emplace_back(id, v); });
    auto main = record("a", 2);
    auto copy = main;
    copy.first = sinks::further_record_id("a", "latest");
    copy.second.topic = "news.latest";
    std::vector<std::string> published;
    ASSERT_EQ(first.outbox.submit({main, copy}, [&](const std::string& id) { published.push_back(id); }), 2u);
    ASSERT_TRUE(run_until(first.io, [&] { return first.sink.produced.size() == 2; }));
    first.sink.report();  // the story's own record only
    ASSERT_TRUE(run_until(first.io, [&] { return first.outbox.size() == 1; }));
    EXPECT_TRUE(first.outbox.waiting("a")) << "its copy is still on its way";
    EXPECT_EQ(first.outbox.published_version("a"), 2u);
    first.sink.deliver_all();  // the copy's delivery report; its acknowledgement is not written yet
    EXPECT_EQ(published, std::vector<std::string>{"a"}) << "the copy's delivery is not the story's publication";
  }  // crash before the copy's acknowledgement is durable
  EXPECT_EQ(acknowledged, (std::vector<std::pair<std::string, std::uint32_t>>{{"a", 2}}));
  reopen_state();

  DaemonRun second(*state_);
  second.outbox.on_acknowledged([&](const std::string& id, std::uint32_t v) { acknowledged.emplace_back(id, v); });
  EXPECT_EQ(second.outbox.replay(), 1u) << "the copy is replayed though version 2 of the story is published";
  ASSERT_TRUE(run_until(second.io, [&] { return second.sink.produced.size() == 1; }));
  EXPECT_EQ(second.sink.produced[0].topic, "news.latest");
  EXPECT_TRUE(second.outbox.waiting("a"));
  second.sink.deliver_all();
  ASSERT_TRUE(run_until(second.io, [&] { return second.outbox.size() == 0; }));
  EXPECT_FALSE(second.outbox.waiting("a"));
  EXPECT_EQ(acknowledged.size(), 1u) << "the copy's acknowledgement is not the story's";
}

// A cluster member that lets go of a shard drops the shard's records not yet
// handed to the sink: from memory (never produced) and from disk (never
// replayed); the others keep their order.
TEST_F(OutboxTest, DroppedRecordsAreNeverProducedAndLeaveTheDisk) {
  sink_.queue_capacity = 0;  // nothing is handed over yet
  Outbox outbox(io_, *state_, sink_, 10);
  auto batch = records({"keep1", "drop1", "keep2", "drop2"});
  batch[1].second.partition = 3;
  batch[3].second.partition = 3;
  ASSERT_EQ(outbox.submit(std::move(batch)), 4u);
  io_.poll();
  EXPECT_EQ(outbox.drop([](const sinks::OutRecord& record) { return record.partition == 3; }), 2u);
  EXPECT_EQ(outbox.size(), 2u);
  EXPECT_FALSE(outbox.waiting("drop1"));
  EXPECT_EQ(state_->outbox_size(), 2u);
  sink_.queue_capacity = 100;
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  io_.poll();
  EXPECT_EQ(keys(sink_.produced), (std::vector<std::string>{"keep1", "keep2"}));
}

TEST_F(OutboxTest, AClusterMemberDiscardsWhatAPreviousRunLeftInsteadOfReplayingIt) {
  {
    FakeSink unreachable;
    unreachable.queue_capacity = 0;
    Outbox first(io_, *state_, unreachable, 10);
    ASSERT_EQ(first.submit(records({"a", "b"})), 2u);
    first.close();
    io_.poll();  // its posted work runs while it exists
  }
  reopen_state();
  Outbox outbox(io_, *state_, sink_, 10);
  EXPECT_EQ(outbox.discard_previous_run(), 2u);
  EXPECT_EQ(outbox.replay(), 0u);
  io_.poll();
  EXPECT_TRUE(sink_.produced.empty());
  EXPECT_EQ(state_->outbox_size(), 0u);
}

}  // namespace
}  // namespace newsd::daemon
