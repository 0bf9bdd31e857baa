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

}  // namespace
}  // namespace newsd::daemon
