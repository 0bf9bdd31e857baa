#include "daemon/pipeline/source_poller.hpp"

#include "daemon/pipeline/file_fetcher.hpp"
#include "tests/support/fake_fetcher.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "tests/support/test_dir.hpp"

#include "daemon/ops/status_page.hpp"
#include "tests/support/fake_sink.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::daemon {
namespace {

using testing::FakeSink;
using testing::run_until;

// ---- Records that fit Kafka ------------------------------------------------

parsers::Article article_with_body(std::string body) {
  parsers::Article article;
  article.id = std::string(32, 'a');
  article.url = "https://example.org/a";
  article.source = "s1";
  article.title = "A title";
  article.body = std::move(body);
  article.extraction.method = "feed";
  return article;
}

TEST(FitArticleRecord, AThreeMegabyteBodyIsCutBelowTheLimitAtAParagraphAndFlagged) {
  // Paragraphs of Arabic text (two-byte characters) and quotes (escaped in JSON).
  std::string paragraph;
  while (paragraph.size() < 3000) paragraph += "خبر عاجل \"من\" بيروت ";
  std::string body;
  while (body.size() < 3 * 1024 * 1024) body += paragraph + "\n\n";
  auto article = article_with_body(body);
  const std::size_t limit = record_value_limit(1'000'000);

  auto value = fit_article_record(article, limit);
  EXPECT_LE(value.size(), limit);
  EXPECT_GT(value.size(), limit * 3 / 4);  // cut, not emptied
  EXPECT_TRUE(article.body_truncated);
  EXPECT_EQ(parsers::sanitize_utf8(article.body), article.body);  // valid UTF-8
  EXPECT_TRUE(body.starts_with(article.body));
  EXPECT_TRUE(body.substr(article.body.size()).starts_with("\n\n"));  // at a paragraph's end
  auto record = boost::json::parse(value).as_object();
  EXPECT_TRUE(record.at("body_truncated").as_bool());
  EXPECT_EQ(record.at("body").as_string(), article.body);
}

TEST(FitArticleRecord, WithoutParagraphsTheBodyIsCutAtACharacterBoundary) {
  std::string body;
  while (body.size() < 50'000) body += "é";  // two bytes each, no paragraph breaks
  auto article = article_with_body(body);
  auto value = fit_article_record(article, 10'001);
  EXPECT_LE(value.size(), 10'001u);
  EXPECT_TRUE(article.body_truncated);
  EXPECT_EQ(article.body.size() % 2, 0u);
  EXPECT_EQ(parsers::sanitize_utf8(article.body), article.body);
}

TEST(FitArticleRecord, ARecordThatFitsIsUntouched) {
  auto article = article_with_body("Short body.\n\nSecond paragraph.");
  auto value = fit_article_record(article, 1'000'000);
  EXPECT_FALSE(article.body_truncated);
  EXPECT_EQ(article.body, "Short body.\n\nSecond paragraph.");
  EXPECT_FALSE(boost::json::parse(value).as_object().at("body_truncated").as_bool());
}

TEST(RecordValueLimit, LeavesHeadroomBelowMessageMaxBytes) {
  EXPECT_LT(record_value_limit(1'000'000), 1'000'000u - 512);
  EXPECT_GT(record_value_limit(1'000'000), 990'000u);
}

// ---- A poll with more new items than the outbox has room for ---------------

class SourcePollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-poller-");
    std::filesystem::create_directories(dir_);
    state_ = std::make_unique<sinks::DeliveryState>(dir_ / "delivery");
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(dir_);
  }

  // An RSS feed of `items` items, newest (highest number) first, as feeds list them.
  std::filesystem::path write_feed(int items) {
    auto path = dir_ / "feed.xml";
    std::ofstream out(path);
    out << "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
           "<link>https://example.org/</link><description>d</description>";
    for (int i = items; i >= 1; --i)
      out << "<item><title>Item " << i << "</title><link>https://example.org/item/" << i
          << "</link><description>Story number " << i << ".</description></item>";
    out << "</channel></rss>";
    return path;
  }

  static std::vector<std::string> urls(const std::vector<sinks::OutRecord>& produced) {
    std::vector<std::string> out;
    for (const auto& record : produced)
      out.emplace_back(boost::json::parse(record.value).as_object().at("url").as_string());
    return out;
  }

  static std::vector<std::string> item_urls(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i <= to; ++i) out.push_back("https://example.org/item/" + std::to_string(i));
    return out;
  }

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::unique_ptr<sinks::DeliveryState> state_;
  FakeSink sink_;
};

TEST_F(SourcePollerTest, APollSubmitsOnlyTheRoomLeftOldestFirstAndTheNextPollTheRest) {
  auto feed = write_feed(25);
  boost::asio::thread_pool cpu(1);
  testing_support::FakeFetcher web;
  FileFetcher files(web, cpu, 1 << 20);
  Outbox outbox(io_, *state_, sink_, 10);
  metrics::DaemonMetrics metrics;
  FetchShared fetch{files, metrics};
  RecordBuilder records({.default_topic = "news"});
  PublicationHistory history;
  PollerContext context{io_, cpu, fetch, outbox, records, history};
  SourceConfig source;
  source.id = "big";
  source.url = "file://" + feed.string();
  source.interval = std::chrono::milliseconds(50);
  SourcePoller poller(context, source);
  boost::asio::co_spawn(io_, poller.run(), boost::asio::detached);

  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().polls >= 1 && sink_.produced.size() == 10; }));
  // The first poll stops at the outbox's capacity: the ten oldest items.
  EXPECT_EQ(outbox.size(), 10u);
  EXPECT_EQ(state_->outbox_size(), 10u);
  EXPECT_EQ(urls(sink_.produced), item_urls(1, 10));

  // Once Kafka took them, the next poll reads the unchanged file again (its
  // validator was not kept) and submits the next ten, then the last five.
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 20; }))
      << "the rest of the feed was not submitted by a later poll";
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 25; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return outbox.size() == 0; }));
  EXPECT_EQ(urls(sink_.produced), item_urls(1, 25));

  // Complete now: later polls of the same file submit nothing more.
  const auto polls = poller.stats().polls;
  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().polls >= polls + 2; }));
  EXPECT_EQ(sink_.produced.size(), 25u);
  poller.stop();
  io_.restart();
  io_.poll();
  cpu.join();
}

}  // namespace
}  // namespace newsd::daemon
