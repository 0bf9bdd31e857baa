// The identity stage on its own: which of a poll's articles become records,
// and as which version, with a real story memory and outbox and a fake sink.
#include "daemon/pipeline/story_gate.hpp"

#include <gtest/gtest.h>

#include "parsers/identity/article_identity.hpp"
#include "parsers/text/text_fingerprint.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/test_dir.hpp"

namespace newsd::daemon {
namespace {

parsers::Article story(const std::string& url, const std::string& title, const std::string& body) {
  parsers::Article article;
  article.url = url;
  article.id = parsers::article_id_for_url(url);
  article.title = title;
  article.body = body;
  const auto fingerprint = parsers::body_fingerprint(body);
  article.content_hash = parsers::format_content_hash(fingerprint.simhash);
  article.body_words = static_cast<std::uint32_t>(fingerprint.words);
  return article;
}

std::string long_body(const std::string& topic) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += topic + " sentence number " + std::to_string(i) + " with its own words. ";
  return body;
}

class StoryGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-gate-");
    std::filesystem::create_directories(dir_);
    state_ = std::make_unique<sinks::DeliveryState>(dir_ / "delivery");
    stories_ = std::make_unique<StoryMemory>(io_, dir_ / "dedupe", sinks::DedupeOptions{}, *state_);
    outbox_ = std::make_unique<Outbox>(io_, *state_, sink_, 100);
    outbox_->on_acknowledged([this](const std::string& id, std::uint32_t version) { stories_->published(id, version); });
    source_.id = "s1";
  }
  void TearDown() override {
    outbox_.reset();
    stories_.reset();
    state_.reset();
    std::filesystem::remove_all(dir_);
  }

  // What the gate admits of `articles` as (url, version), all of them one chunk.
  std::vector<std::pair<std::string, std::uint32_t>> admit(std::vector<parsers::Article>& articles) {
    StoryGate gate(source_, *outbox_, stories_.get(), series_);
    auto candidates = testing::run_task(io_, gate.candidates(articles));
    auto admitted = testing::run_task(io_, gate.admit(candidates));
    EXPECT_TRUE(admitted);
    std::vector<std::pair<std::string, std::uint32_t>> out;
    for (const auto& a : *admitted) out.emplace_back(a.article->url, a.version);
    return out;
  }

  // Publishes (submits and acknowledges) what the gate admitted.
  void publish(std::vector<parsers::Article>& articles) {
    StoryGate gate(source_, *outbox_, stories_.get(), series_);
    auto candidates = testing::run_task(io_, gate.candidates(articles));
    auto admitted = testing::run_task(io_, gate.admit(candidates));
    std::vector<std::pair<std::string, sinks::OutRecord>> records;
    for (const auto& a : *admitted)
      records.emplace_back(a.article->id, sinks::OutRecord{"news", a.article->id, a.article->title,
                                                           {{"version", std::to_string(a.version)}}});
    const auto expected = sink_.produced.size() + records.size();
    outbox_->submit(std::move(records));
    ASSERT_TRUE(testing::run_until(io_, [&] { return sink_.produced.size() == expected; }));
    sink_.deliver_all();
    ASSERT_TRUE(testing::run_until(io_, [&] { return outbox_->size() == 0; }));
  }

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::unique_ptr<sinks::DeliveryState> state_;
  std::unique_ptr<StoryMemory> stories_;
  testing::FakeSink sink_;
  std::unique_ptr<Outbox> outbox_;
  metrics::DaemonMetrics metrics_;
  metrics::SourceSeries series_ = metrics_.source("s1");
  SourceConfig source_;
};

TEST_F(StoryGateTest, ItemsOfOnePollWithOneIdentityAreOneStoryTheFirstStands) {
  std::vector<parsers::Article> poll{story("https://example.org/live", "Update 1", long_body("first")),
                                     story("https://example.org/live", "Update 2", long_body("second")),
                                     story("https://example.org/other", "Other", long_body("other"))};
  poll.push_back(poll[0]);
  poll.back().id.clear();  // an item without link, guid or title
  EXPECT_EQ(admit(poll), (std::vector<std::pair<std::string, std::uint32_t>>{{"https://example.org/live", 1},
                                                                             {"https://example.org/other", 1}}));
  EXPECT_EQ(poll[0].title, "Update 1");
  EXPECT_EQ(series_.item_collisions->value(), 1u);
}

TEST_F(StoryGateTest, AnUnchangedStoryIsNotAdmittedAgainAnEditedOneIsItsNextVersion) {
  std::vector<parsers::Article> first{story("https://example.org/a", "Harbour reopens", long_body("harbour"))};
  publish(first);
  std::vector<parsers::Article> same{story("https://example.org/a", "Harbour reopens", long_body("harbour"))};
  EXPECT_TRUE(admit(same).empty());
  std::vector<parsers::Article> edited{
      story("https://example.org/a", "Harbour reopens after the storm", long_body("harbour"))};
  EXPECT_EQ(admit(edited), (std::vector<std::pair<std::string, std::uint32_t>>{{"https://example.org/a", 2}}));
  EXPECT_EQ(edited[0].version, 2);
}

TEST_F(StoryGateTest, AStoryWaitingInTheOutboxIsNotACandidate) {
  std::vector<parsers::Article> poll{story("https://example.org/a", "A", long_body("a"))};
  StoryGate gate(source_, *outbox_, stories_.get(), series_);
  auto candidates = testing::run_task(io_, gate.candidates(poll));
  auto admitted = testing::run_task(io_, gate.admit(candidates));
  ASSERT_EQ(admitted->size(), 1u);
  std::vector<std::pair<std::string, sinks::OutRecord>> records;
  records.emplace_back(poll[0].id, sinks::OutRecord{"news", poll[0].id, "v", {}});
  outbox_->submit(std::move(records));  // not acknowledged yet
  std::vector<parsers::Article> again{story("https://example.org/a", "A", long_body("a"))};
  EXPECT_TRUE(testing::run_task(io_, gate.candidates(again)).empty());
}

TEST_F(StoryGateTest, ANearDuplicateFromAnotherURLIsDroppedUnlessTheSourcePublishesDuplicates) {
  std::vector<parsers::Article> first{story("https://example.org/a", "Harbour reopens", long_body("harbour"))};
  publish(first);
  std::vector<parsers::Article> copy{story("https://example.org/a?copy", "Harbour reopens", long_body("harbour"))};
  copy[0].id = parsers::hex_digest("another identity");
  EXPECT_TRUE(admit(copy).empty());
  EXPECT_EQ(series_.near_duplicates->value(), 1u);

  source_.publish_duplicates = true;
  std::vector<parsers::Article> other{story("https://example.org/b", "Harbour reopens", long_body("harbour"))};
  other[0].id = parsers::hex_digest("a third identity");
  ASSERT_EQ(admit(other).size(), 1u);
  EXPECT_EQ(other[0].duplicate_of, first[0].id);
}

TEST_F(StoryGateTest, WithoutAStoryMemoryEveryCandidateIsANewStory) {
  StoryGate gate(source_, *outbox_, nullptr, series_);
  std::vector<parsers::Article> poll{story("https://example.org/a", "A", long_body("a")),
                                     story("https://example.org/b", "B", long_body("b"))};
  auto candidates = testing::run_task(io_, gate.candidates(poll));
  auto admitted = testing::run_task(io_, gate.admit(candidates));
  ASSERT_EQ(admitted->size(), 2u);
  EXPECT_EQ((*admitted)[1].version, 1u);
}

}  // namespace
}  // namespace newsd::daemon
