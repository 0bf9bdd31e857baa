// The pipeline loop with fakes at its edges: a FakeFetcher (or real files)
// in front, a FakeSink behind a real Outbox. No network, no Kafka.
#include "daemon/pipeline/source_poller.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "daemon/config/shards.hpp"
#include "daemon/pipeline/file_fetcher.hpp"
#include "tests/support/fake_fetcher.hpp"
#include "tests/support/fake_sink.hpp"
#include "tests/support/test_dir.hpp"

namespace newsd::daemon {
namespace {

using testing::FakeFetcher;
using testing::FakeSink;
using testing::run_until;

// An RSS feed of `items` items, newest (highest number) first, as feeds list them.
std::string feed_xml(int items) {
  std::string out =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
      "<link>https://example.org/</link><description>d</description>";
  for (int i = items; i >= 1; --i) {
    const auto n = std::to_string(i);
    out += "<item><title>Item " + n + "</title><link>https://example.org/item/" + n +
           "</link><description>Story number " + n + ".</description></item>";
  }
  return out + "</channel></rss>";
}

std::string article_page(const std::string& title, const std::string& text) {
  std::string body;
  for (int i = 0; i < 6; ++i) body += "<p>" + text + " Paragraph " + std::to_string(i) + " of the story.</p>";
  return "<html><head><title>" + title + "</title></head><body><article><h1>" + title + "</h1>" + body +
         "</article></body></html>";
}

std::vector<std::string> item_urls(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back("https://example.org/item/" + std::to_string(i));
  return out;
}

// Everything a poller needs, owned by the test as the daemon owns it.
class SourcePollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-poller-");
    std::filesystem::create_directories(dir_);
    state_ = std::make_unique<sinks::DeliveryState>(dir_ / "delivery");
  }
  void TearDown() override {
    for (auto& poller : pollers_) poller->stop();
    io_.restart();
    io_.poll();
    cpu_.join();
    pollers_.clear();
    outbox_.reset();
    stories_.reset();
    revisit_store_.reset();
    state_.reset();
    std::filesystem::remove_all(dir_);
  }

  SourcePoller& start(SourceConfig source, std::size_t outbox_capacity = 1000,
                      RecordSettings records = {.default_topic = "news"}) {
    if (source.interval == std::chrono::milliseconds(0) || source.interval > std::chrono::seconds(1))
      source.interval = std::chrono::milliseconds(50);
    outbox_ = std::make_unique<Outbox>(io_, *state_, sink_, outbox_capacity);
    records_ = std::make_unique<RecordBuilder>(std::move(records));
    context_ = std::make_unique<PollerContext>(
        PollerContext{io_, cpu_, fetch_, *outbox_, *records_, history_, &pages_, nullptr});
    if (remember_) {
      // As the daemon wires them: versions from the story memory, revisits from their store.
      stories_ = std::make_unique<StoryMemory>(io_, dir_ / "dedupe", sinks::DedupeOptions{}, *state_);
      revisit_store_ = std::make_unique<sinks::RevisitStore>(dir_ / "revisits");
      outbox_->on_acknowledged([this](const std::string& id, std::uint32_t v) { stories_->published(id, v); });
      context_->stories = stories_.get();
      context_->revisits = revisit_store_.get();
    }
    context_->checkpoints = checkpoints_;  // a cluster member's, when set
    pollers_.push_back(std::make_unique<SourcePoller>(*context_, std::move(source)));
    boost::asio::co_spawn(io_, pollers_.back()->run(), boost::asio::detached);
    return *pollers_.back();
  }

  static SourceConfig feed_source(std::string url) {
    SourceConfig source;
    source.id = "s1";
    source.url = std::move(url);
    return source;
  }

  std::vector<std::string> produced_urls(const std::string& topic = "news") const {
    std::vector<std::string> out;
    for (const auto& record : sink_.produced)
      if (record.topic == topic) out.emplace_back(boost::json::parse(record.value).as_object().at("url").as_string());
    return out;
  }

  std::size_t produced_to(const std::string& topic) const {
    return std::count_if(sink_.produced.begin(), sink_.produced.end(),
                         [&](const auto& record) { return record.topic == topic; });
  }

  std::vector<const fetchers::FetchRequest*> requests_for(const std::string& url) const {
    std::vector<const fetchers::FetchRequest*> out;
    for (const auto& request : web_.requests)
      if (request.url == url) out.push_back(&request);
    return out;
  }

  boost::asio::io_context io_;
  boost::asio::thread_pool cpu_{1};
  std::filesystem::path dir_;
  std::unique_ptr<sinks::DeliveryState> state_;
  FakeSink sink_;
  FakeFetcher web_;
  FileFetcher files_{web_, cpu_, 1 << 20};
  metrics::DaemonMetrics metrics_;
  FetchShared fetch_{files_, metrics_};
  ArticlePages pages_{web_, cpu_, {}, 1 << 20};
  PublicationHistory history_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<RecordBuilder> records_;
  std::unique_ptr<PollerContext> context_;
  std::vector<std::unique_ptr<SourcePoller>> pollers_;
  // A one-item feed whose item's page is `html` (with `etag`, if any), polled
  // with a story memory and a revisit store at these revisit steps (seconds).
  void start_revisited(std::string html, std::string etag, std::vector<int> steps,
                       RecordSettings records = {.default_topic = "news"}) {
    web_.serve(kFeed, feed_xml(1), "application/rss+xml");
    web_.serve(kPage, std::move(html), "text/html", std::move(etag));
    auto source = feed_source(kFeed);
    source.fetch_articles = true;
    source.revisits.clear();
    for (int step : steps) source.revisits.push_back(std::chrono::seconds(step));
    remember_ = true;
    start(source, 1000, std::move(records));
  }
  static constexpr const char* kFeed = "https://example.org/feed";
  static constexpr const char* kPage = "https://example.org/item/1";

  bool remember_ = false;  // a story memory and a revisit store, as in the daemon
  std::function<std::optional<SourceCheckpoint>(const std::string&)> checkpoints_;  // set: a cluster member
  std::unique_ptr<StoryMemory> stories_;
  std::unique_ptr<sinks::RevisitStore> revisit_store_;
};

TEST_F(SourcePollerTest, APollSubmitsOnlyTheRoomLeftOldestFirstAndTheNextPollTheRest) {
  const auto feed = dir_ / "feed.xml";
  std::ofstream(feed) << feed_xml(25);
  auto& poller = start(feed_source("file://" + feed.string()), 10);

  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().polls >= 1 && sink_.produced.size() == 10; }));
  // The first poll stops at the outbox's capacity: the ten oldest items.
  EXPECT_EQ(outbox_->size(), 10u);
  EXPECT_EQ(state_->outbox_size(), 10u);
  EXPECT_EQ(produced_urls(), item_urls(1, 10));

  // Once Kafka took them, the next poll reads the unchanged file again (its
  // validator was not kept) and submits the next ten, then the last five.
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 20; }))
      << "the rest of the feed was not submitted by a later poll";
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 25; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return outbox_->size() == 0; }));
  EXPECT_EQ(produced_urls(), item_urls(1, 25));

  // Complete now: later polls of the same file submit nothing more.
  const auto polls = poller.stats().polls;
  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().polls >= polls + 2; }));
  EXPECT_EQ(sink_.produced.size(), 25u);
}

TEST_F(SourcePollerTest, ValidatorsAreSentOnlyOnceEveryItemOfTheResponseIsInTheOutbox) {
  const std::string url = "https://example.org/feed";
  web_.serve(url, feed_xml(15), "application/rss+xml", "\"v1\"");
  auto& poller = start(feed_source(url), 10);

  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 10; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 15; }));
  sink_.deliver_all();
  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().not_modified >= 1; }))
      << "the complete response's ETag was never sent back";
  const auto sent = requests_for(url);
  ASSERT_GE(sent.size(), 3u);
  // The first poll left five items behind, so the second asked unconditionally.
  EXPECT_EQ(sent[0]->if_none_match, "");
  EXPECT_EQ(sent[1]->if_none_match, "");
  EXPECT_EQ(sent[2]->if_none_match, "\"v1\"");
  EXPECT_EQ(produced_urls(), item_urls(1, 15));
}

// A cluster member that takes a source over starts from the checkpoint its
// previous owner wrote: no poll before the one it had scheduled, the stored
// validators on the first request; and after its own poll it writes the next
// checkpoint, behind the poll's records (so a checkpoint never runs ahead of
// what it covers).
TEST_F(SourcePollerTest, AClusterMemberResumesFromTheCheckpointAndWritesTheNextAfterItsRecords) {
  using namespace std::chrono_literals;
  const std::string url = "https://example.org/feed";
  web_.serve(url, feed_xml(3), "application/rss+xml", "\"v2\"");
  auto source = feed_source(url);
  source.interval = 600ms;
  const auto polled_at = std::chrono::system_clock::now() - 100ms;
  checkpoints_ = [&](const std::string& id) -> std::optional<SourceCheckpoint> {
    if (id != "s1") return std::nullopt;
    return SourceCheckpoint{"\"v1\"", "Tue, 01 Dec 2026 07:00:00 GMT", "", polled_at};
  };
  start(source, 1000, {.default_topic = "news", .state_topic = "g.state", .shards = 4});
  std::chrono::system_clock::time_point first_request{};
  ASSERT_TRUE(run_until(io_, [&] {
    if (first_request == std::chrono::system_clock::time_point{} && !requests_for(url).empty())
      first_request = std::chrono::system_clock::now();
    return std::any_of(sink_.produced.begin(), sink_.produced.end(),
                       [](const auto& record) { return record.key == "source/s1"; });
  }));
  EXPECT_GE(first_request, polled_at + 450ms) << "polled before the previous owner's next poll was due";
  const auto sent = requests_for(url);
  EXPECT_EQ(sent[0]->if_none_match, "\"v1\"") << "the new owner asks with the stored validators";
  EXPECT_EQ(sent[0]->if_modified_since, "Tue, 01 Dec 2026 07:00:00 GMT");
  ASSERT_EQ(sink_.produced.size(), 3u + 3u + 1u);  // the articles, their state copies, the checkpoint
  EXPECT_EQ(sink_.produced.back().key, "source/s1") << "the checkpoint goes last";
  auto checkpoint = decode_checkpoint(sink_.produced.back().value);
  ASSERT_TRUE(checkpoint);
  EXPECT_EQ(checkpoint->etag, "\"v2\"");
  EXPECT_EQ(sink_.produced.back().partition, shard_of(source, 4));
}

// A cluster member does not fetch a page on a host of another shard: it
// hands the item to that shard's owner (page/<id> on the state topic, in
// the page's shard), and fetches the pages on its own source's hosts.
TEST_F(SourcePollerTest, AClusterMemberHandsPagesOnAnotherShardsHostToItsOwner) {
  const std::string url = "https://example.org/feed";
  std::string feed =
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><link>https://example.org/</link>"
      "<item><title>Here</title><link>https://example.org/item/1</link><description>d1</description></item>"
      "<item><title>There</title><link>https://other-site.net/story</link><description>d2</description></item>"
      "</channel></rss>";
  // 64 shards: example.org and other-site.net are in two (checked below).
  ASSERT_NE(shard_of_host("example.org", 64), shard_of_host("other-site.net", 64));
  web_.serve(url, feed, "application/rss+xml");
  web_.serve("https://example.org/item/1", article_page("Here", "Text here."), "text/html");
  web_.serve("https://other-site.net/story", article_page("There", "Text there."), "text/html");
  auto source = feed_source(url);
  source.fetch_articles = true;
  source.revisits.clear();
  checkpoints_ = [](const std::string&) { return std::optional<SourceCheckpoint>{}; };
  start(source, 1000, {.default_topic = "news", .state_topic = "g.state", .shards = 64});
  ASSERT_TRUE(run_until(io_, [&] {
    return std::any_of(sink_.produced.begin(), sink_.produced.end(),
                       [](const auto& record) { return record.key.starts_with("page/"); });
  }));
  io_.poll();
  EXPECT_EQ(produced_urls(), std::vector<std::string>{"https://example.org/item/1"});
  EXPECT_EQ(requests_for("https://other-site.net/story").size(), 0u) << "another member's host was fetched here";
  EXPECT_EQ(requests_for("https://example.org/item/1").size(), 1u);
  const auto handoff = std::find_if(sink_.produced.begin(), sink_.produced.end(),
                                    [](const auto& record) { return record.key.starts_with("page/"); });
  EXPECT_EQ(handoff->topic, "g.state");
  EXPECT_EQ(handoff->partition, shard_of_host("other-site.net", 64));
  auto handed = parsers::article_from_record(boost::json::parse(handoff->value).as_object());
  ASSERT_TRUE(handed);
  EXPECT_EQ(handed->url, "https://other-site.net/story");
  EXPECT_EQ(handed->source, "s1");
  EXPECT_EQ(handoff->key, "page/" + handed->id);
}

TEST_F(SourcePollerTest, AFailingSourceGivesOneDeadLetterPerFailureStreak) {
  const std::string url = "https://example.org/feed";
  web_.serve(url, "<html><body>Not a feed</body></html>", "text/html");
  auto& poller = start(feed_source(url), 1000, {.default_topic = "news", .dead_letter_topic = "dead"});

  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().error_streak >= 4; }));
  EXPECT_EQ(produced_to("dead"), 1u);
  EXPECT_EQ(metrics_.parse_failures.with({"s1", "not_a_feed"}).value(), poller.stats().error_streak);

  // Recovered, then failing again: a new streak, a new dead letter.
  web_.serve(url, feed_xml(1), "application/rss+xml");
  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().error_streak == 0 && sink_.produced.size() == 2; }));
  web_.serve(url, "garbage", "text/plain");
  ASSERT_TRUE(run_until(io_, [&] { return poller.stats().error_streak >= 2; }));
  EXPECT_EQ(produced_to("dead"), 2u);
}

TEST_F(SourcePollerTest, ArticlePagesGoOutWithTheSourcesProxyAndHeaders) {
  const std::string url = "https://example.org/feed";
  web_.serve(url, feed_xml(1), "application/rss+xml");
  web_.serve("https://example.org/item/1", article_page("Item 1", "The harbour reopened."));
  auto source = feed_source(url);
  source.fetch_articles = true;
  source.proxy = "http://proxy.example:3128";
  source.headers = {"X-Token: secret"};
  start(source);

  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 1; }));
  const auto page = requests_for("https://example.org/item/1");
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0]->proxy, std::optional<std::string>("http://proxy.example:3128"));
  EXPECT_EQ(page[0]->extra_headers, std::vector<std::string>{"X-Token: secret"});
  auto record = boost::json::parse(sink_.produced[0].value).as_object();
  EXPECT_NE(std::string(record.at("body").as_string()).find("The harbour reopened."), std::string::npos);
}

TEST_F(SourcePollerTest, APermanentRedirectIsFollowedFromThenOn) {
  const std::string old_url = "https://example.org/old-feed";
  const std::string new_url = "https://example.org/feed";
  web_.serve(old_url, feed_xml(2), "application/rss+xml");
  web_.responses[old_url].permanent_redirect = new_url;
  web_.serve(new_url, feed_xml(3), "application/rss+xml");
  auto& poller = start(feed_source(old_url));

  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 3; }));
  EXPECT_EQ(requests_for(old_url).size(), 1u);
  EXPECT_EQ(poller.stats().effective_url, new_url);
}

TEST_F(SourcePollerTest, ANewsSitemapsPagesBecomeRecordsOldestFirst) {
  const std::string url = "https://example.org/news-sitemap.xml";
  web_.serve(url,
             "<?xml version=\"1.0\"?>"
             "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
             "xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">"
             "<url><loc>https://example.org/item/2</loc><news:news><news:publication><news:name>Ex</news:name>"
             "<news:language>en</news:language></news:publication>"
             "<news:publication_date>2026-11-30T10:00:00+02:00</news:publication_date>"
             "<news:title>Second story</news:title></news:news></url>"
             "<url><loc>https://example.org/item/1</loc><news:news><news:publication><news:name>Ex</news:name>"
             "<news:language>en</news:language></news:publication>"
             "<news:publication_date>2026-11-30T09:00:00+02:00</news:publication_date>"
             "<news:title>First story</news:title></news:news></url>"
             "</urlset>",
             "application/xml");
  web_.serve("https://example.org/item/1", article_page("First story", "The first text."));
  web_.serve("https://example.org/item/2", article_page("Second story", "The second text."));
  auto source = feed_source(url);
  source.kind = SourceKind::sitemap;
  start(source);

  ASSERT_TRUE(run_until(io_, [&] { return sink_.produced.size() == 2; }));
  EXPECT_EQ(produced_urls(), item_urls(1, 2));
  auto first = boost::json::parse(sink_.produced[0].value).as_object();
  EXPECT_EQ(first.at("title").as_string(), "First story");
  EXPECT_EQ(first.at("published_at").as_string(), "2026-11-30T09:00:00+02:00");
  EXPECT_NE(std::string(first.at("body").as_string()).find("The first text."), std::string::npos);
}

// A fetched page is looked at again on the source's schedule: an edit on
// the page is the story's next version, and a page that answers 404 twice
// in a row is retracted with its last version; the latest topic follows.
TEST_F(SourcePollerTest, ARevisitedPagePublishesItsEditThenItsRetraction) {
  const std::string page = kPage;
  start_revisited(article_page("Item 1", "The harbour reopened."), "\"v1\"", {1, 2, 3},
                  {.default_topic = "news", .latest_topic = "news.latest"});
  auto delivered = [&](std::size_t count) {
    return run_until(io_, [&] { sink_.deliver_all(); return sink_.produced.size() >= count && outbox_->size() == 0; },
                     std::chrono::seconds(15));
  };
  ASSERT_TRUE(delivered(2));  // version 1, and its copy
  ASSERT_EQ(produced_to("news.latest"), 1u);

  // Edited on the page (its ETag changes): version 2 at the first revisit.
  web_.serve(page, article_page("Item 1", "The harbour reopened after the storm."), "text/html", "\"v2\"");
  ASSERT_TRUE(delivered(4));
  auto edit = boost::json::parse(sink_.produced[2].value).as_object();
  EXPECT_EQ(edit.at("version").as_int64(), 2);
  EXPECT_NE(std::string(edit.at("body").as_string()).find("after the storm"), std::string::npos);

  // Gone: one 404 is not enough, the second retracts it.
  web_.responses.erase(page);
  ASSERT_TRUE(delivered(6));
  EXPECT_GE(requests_for(page).size(), 4u) << "a 404 is asked again before the story is retracted";
  auto gone = boost::json::parse(sink_.produced[4].value).as_object();
  EXPECT_TRUE(gone.at("retracted").as_bool());
  EXPECT_EQ(gone.at("version").as_int64(), 2);
  EXPECT_EQ(sink_.produced[4].key, sink_.produced[0].key);
  EXPECT_EQ(sink_.produced[5].topic, "news.latest");
  EXPECT_TRUE(sink_.produced[5].null_value);
  EXPECT_EQ(revisit_store_->size(), 0u) << "a retracted story is not revisited again";
}

// A page that did not change is fetched conditionally and publishes
// nothing; after the last step it is not fetched again.
TEST_F(SourcePollerTest, AnUnchangedPageIsAskedWithItsValidatorsAndForgottenAfterTheLastStep) {
  const std::string page = kPage;
  start_revisited(article_page("Item 1", "The harbour reopened."), "\"v1\"", {1, 2});
  ASSERT_TRUE(run_until(io_, [&] { sink_.deliver_all(); return !sink_.produced.empty() && outbox_->size() == 0; }));
  ASSERT_TRUE(run_until(io_, [&] { return requests_for(page).size() == 3 && revisit_store_->size() == 0; },
                        std::chrono::seconds(15)));
  EXPECT_EQ(requests_for(page)[1]->if_none_match, "\"v1\"") << "the first revisit uses the first fetch's validators";
  EXPECT_EQ(requests_for(page)[2]->if_none_match, "\"v1\"") << "and so does the second";
  run_until(io_, [] { return false; }, std::chrono::milliseconds(1500));
  EXPECT_EQ(requests_for(page).size(), 3u) << "no revisit after the last step";
  EXPECT_EQ(sink_.produced.size(), 1u) << "an unchanged page publishes nothing";
}

// "3 hours ago" is another instant at every fetch: not an edit.
TEST_F(SourcePollerTest, APageDatedRelativelyIsNotAnEditAtEveryRevisit) {
  const std::string page = kPage;
  auto html = article_page("Item 1", "The harbour reopened.");
  html.replace(html.find("<article>") + 9, 0, "<span class=\"date\">3 hours ago</span>");
  start_revisited(html, "", {1, 2});  // no validators: every revisit reads the page again
  ASSERT_TRUE(run_until(io_, [&] { sink_.deliver_all(); return !sink_.produced.empty() && outbox_->size() == 0; }));
  ASSERT_TRUE(run_until(io_, [&] { sink_.deliver_all(); return revisit_store_->size() == 0; }, std::chrono::seconds(15)));
  EXPECT_EQ(requests_for(page).size(), 3u);
  ASSERT_EQ(sink_.produced.size(), 1u) << "a relative date made a revisit look like an edit";
  EXPECT_FALSE(boost::json::parse(sink_.produced[0].value).as_object().at("published_at").is_null())
      << "the page's relative date was read";
}

TEST(RedirectedAway, TheHomePageOrASectionAboveThePageIsAway) {
  EXPECT_TRUE(redirected_away("https://example.org/news/2026/story", "https://example.org/"));
  EXPECT_TRUE(redirected_away("https://example.org/news/2026/story", "https://www.example.org"));
  EXPECT_TRUE(redirected_away("https://example.org/news/2026/story", "https://example.org/news/"));
  EXPECT_FALSE(redirected_away("https://example.org/news/2026/story", "https://example.org/news/2026/story-2"));
  EXPECT_FALSE(redirected_away("https://example.org/news/2026/story", "https://example.org/news/2026/story"));
  EXPECT_FALSE(redirected_away("https://example.org/news/story", "https://example.org/world/story"));
  EXPECT_FALSE(redirected_away("https://example.org/?p=12", "https://example.org/2026/12/story/"))
      << "a short link resolving to its page is not a removal";
}

}  // namespace
}  // namespace newsd::daemon
