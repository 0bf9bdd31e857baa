#include "sinks/outbox/delivery_state.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"

namespace newsd::sinks {
namespace {

class DeliveryStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-delivery-");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::vector<std::pair<std::string, OutRecord>> records(std::initializer_list<const char*> ids) {
    std::vector<std::pair<std::string, OutRecord>> out;
    for (const char* id : ids)
      out.emplace_back(id, OutRecord{"news", id, std::string("{\"id\":\"") + id + "\"}",
                                     {{"source", "s1"}, {"schema", "newsd.article.v1"}}});
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(DeliveryStateTest, OutboxSurvivesAReopenInOrder) {
  {
    DeliveryState state(dir_);
    auto entries = state.enqueue(records({"a", "b", "c"}));
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 3u);
    EXPECT_LT((*entries)[0].sequence, (*entries)[2].sequence);
    EXPECT_EQ(state.outbox_size(), 3u);
    EXPECT_FALSE(state.published("a"));
  }
  DeliveryState reopened(dir_);
  auto outbox = reopened.outbox();
  ASSERT_EQ(outbox.size(), 3u);
  EXPECT_EQ(outbox[0].id, "a");
  EXPECT_EQ(outbox[2].id, "c");
  EXPECT_EQ(outbox[1].record.topic, "news");
  EXPECT_EQ(outbox[1].record.value, "{\"id\":\"b\"}");
  ASSERT_EQ(outbox[1].record.headers.size(), 2u);
  EXPECT_EQ(outbox[1].record.headers[0].second, "s1");
  // New sequence numbers continue after the ones already persisted.
  auto more = reopened.enqueue(records({"d"}));
  ASSERT_TRUE(more);
  EXPECT_GT((*more)[0].sequence, outbox[2].sequence);
}

TEST_F(DeliveryStateTest, AcknowledgingMovesFromOutboxToPublished) {
  DeliveryState state(dir_);
  auto entries = *state.enqueue(records({"a", "b"}));
  std::vector<Acknowledgement> acks{{entries[0].sequence, "a", 1}};
  ASSERT_TRUE(state.acknowledge(acks, std::chrono::system_clock::now()));
  EXPECT_TRUE(state.published("a"));
  EXPECT_FALSE(state.published("b"));
  EXPECT_EQ(state.outbox_size(), 1u);
  EXPECT_EQ(state.outbox()[0].id, "b");
  // A second acknowledgement of the same entry (a replayed record) is harmless.
  ASSERT_TRUE(state.acknowledge(acks, std::chrono::system_clock::now()));
  EXPECT_EQ(state.published_size(), 1u);
}

TEST_F(DeliveryStateTest, TheAcknowledgedVersionIsKeptWithTheAcknowledgement) {
  {
    DeliveryState state(dir_);
    auto entries = *state.enqueue(records({"a", "a"}));
    std::vector<Acknowledgement> acks{{entries[0].sequence, "a", 3}};
    ASSERT_TRUE(state.acknowledge(acks, std::chrono::system_clock::now()));
    EXPECT_EQ(state.published_version("a"), 3u);
    // An older version acknowledged late (a replay) does not lower it.
    acks = {{entries[1].sequence, "a", 2}};
    ASSERT_TRUE(state.acknowledge(acks, std::chrono::system_clock::now()));
    EXPECT_EQ(state.published_version("a"), 3u);
    EXPECT_FALSE(state.published_version("b"));
  }
  DeliveryState reopened(dir_);
  EXPECT_EQ(reopened.published_version("a"), 3u) << "durable, in the acknowledgement's transaction";
  EXPECT_EQ(reopened.outbox_size(), 0u);
}

TEST(RecordVersion, IsTheVersionHeaderElseOne) {
  EXPECT_EQ(record_version(OutRecord{"t", "k", "v", {{"schema", "x"}, {"version", "7"}}}), 7u);
  EXPECT_EQ(record_version(OutRecord{"t", "k", "v", {{"schema", "newsd.deadletter.v1"}}}), 1u);
  EXPECT_EQ(record_version(OutRecord{"t", "k", "v", {{"version", "7x"}}}), 1u);
  EXPECT_EQ(record_version(OutRecord{"t", "k", "v", {{"version", "0"}}}), 1u);
}

TEST_F(DeliveryStateTest, RecordEncodingRoundTrips) {
  OutRecord record{"t", "k", std::string("v\0with nul", 10), {{"h", ""}}};
  auto decoded = decode_outbox_record(encode_outbox_record("id", record));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->first, "id");
  EXPECT_EQ(decoded->second.value, record.value);
  EXPECT_EQ(decoded->second.headers, record.headers);
  EXPECT_FALSE(decode_outbox_record("garbage"));
  EXPECT_FALSE(decode_outbox_record(encode_outbox_record("id", record).substr(0, 20)));
}

TEST_F(DeliveryStateTest, ATombstoneStaysANullValueThroughTheOutbox) {
  OutRecord tombstone{"news.latest", "k", "", {{"version", "3"}}};
  tombstone.null_value = true;
  auto decoded = decode_outbox_record(encode_outbox_record("k#latest", tombstone));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->second.null_value);
  EXPECT_EQ(decoded->second.headers, tombstone.headers);
  OutRecord empty{"news", "k", "", {}};  // an empty value is not a tombstone
  auto plain = decode_outbox_record(encode_outbox_record("k", empty));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->second.null_value);
}

TEST_F(DeliveryStateTest, AStatePartitionStaysWithTheRecordThroughTheOutbox) {
  OutRecord state{"g.state", "story/k", "{}", {{"version", "2"}}};
  state.partition = 17;
  auto decoded = decode_outbox_record(encode_outbox_record("k#state", state));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->second.partition, 17);
  EXPECT_FALSE(decoded->second.null_value);
  state.null_value = true;  // both flags at once
  state.value.clear();
  decoded = decode_outbox_record(encode_outbox_record("k#state", state));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->second.partition, 17);
  EXPECT_TRUE(decoded->second.null_value);
  OutRecord plain{"news", "k", "v", {}};  // no partition: the partitioner's
  EXPECT_EQ(decode_outbox_record(encode_outbox_record("k", plain))->second.partition, -1);
}

TEST_F(DeliveryStateTest, DiscardedEntriesAreGoneUnpublishedAfterAReopen) {
  {
    DeliveryState state(dir_);
    auto entries = state.enqueue({{"a", OutRecord{"t", "a", "1", {}}},
                                  {"b", OutRecord{"t", "b", "2", {}}},
                                  {"c", OutRecord{"t", "c", "3", {}}}});
    ASSERT_TRUE(entries);
    const std::uint64_t gone[] = {(*entries)[0].sequence, (*entries)[2].sequence};
    ASSERT_TRUE(state.discard(gone));
  }
  DeliveryState state(dir_);
  auto left = state.outbox();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, "b");
  EXPECT_FALSE(state.published("a"));  // discarded is not published
  EXPECT_FALSE(state.published("c"));
}

TEST(OutboxIds, AFurtherRecordBelongsToItsStory) {
  EXPECT_EQ(further_record_id("0123", "latest"), "0123#latest");
  EXPECT_EQ(story_of("0123#latest"), "0123");
  EXPECT_EQ(story_of("0123"), "0123");
}

TEST_F(DeliveryStateTest, UnusableDirectoryIsAStartUpError) {
  std::filesystem::create_directories(dir_);
  auto file = dir_ / "plain-file";
  { std::ofstream(file) << "x"; }
  EXPECT_THROW(DeliveryState(file / "state"), std::runtime_error);
}

}  // namespace
}  // namespace newsd::sinks
