#include "daemon/pipeline/record_builder.hpp"

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "daemon/config/shards.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::daemon {
namespace {

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

// ---- Topics, keys and headers ----------------------------------------------

SourceConfig source_named(std::string id, std::string topic = "") {
  SourceConfig source;
  source.id = std::move(id);
  source.topic = std::move(topic);
  return source;
}

TEST(RecordBuilder, ARecordIsKeyedByStoryIdWithItsVersionInTheHeaders) {
  RecordBuilder builder({.default_topic = "news.articles"});
  auto article = article_with_body("Body.");
  auto record = builder.article(article, source_named("s1"), 3);
  EXPECT_EQ(record.topic, "news.articles");
  EXPECT_EQ(record.key, article.id);
  EXPECT_EQ(boost::json::parse(record.value).as_object().at("id").as_string(), article.id);
  auto header = [&](const std::string& name) {
    for (const auto& [key, value] : record.headers)
      if (key == name) return value;
    return std::string("(missing)");
  };
  EXPECT_EQ(header("version"), "3");
  EXPECT_EQ(header("source"), "s1");
  EXPECT_EQ(header("schema"), "newsd.article.v1");
  EXPECT_EQ(header("content-type"), "application/json");
}

TEST(RecordBuilder, TopicTemplatesTakeTheSourceAndTheLanguagesPrimarySubtag) {
  RecordBuilder builder({.default_topic = "news.{language}"});
  auto article = article_with_body("Body.");
  article.language = "ar-LB";
  EXPECT_EQ(builder.article(article, source_named("s1"), 1).topic, "news.ar");
  article.language = "";
  EXPECT_EQ(builder.article(article, source_named("s1"), 1).topic, "news.unknown");
  EXPECT_EQ(builder.article(article, source_named("wafa mag", "in.{source}"), 1).topic, "in.wafa_mag");
}

TEST(RecordBuilder, EveryRecordIsACloudEventInBinaryMode) {
  RecordBuilder builder({.default_topic = "news"});
  auto article = article_with_body("Body.");
  article.published_at = parsers::StatedTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} +
                                                 std::chrono::hours(8),
                                             std::chrono::minutes(120)};
  auto header_of = [](const sinks::OutRecord& record, const std::string& name) {
    for (const auto& [key, value] : record.headers)
      if (key == name) return value;
    return std::string("(missing)");
  };
  auto first = builder.article(article, source_named("s1"), 1);
  EXPECT_EQ(header_of(first, "ce_specversion"), "1.0");
  EXPECT_EQ(header_of(first, "ce_id"), article.id + ".1");
  EXPECT_EQ(header_of(first, "ce_source"), "/newsd/sources/s1");
  EXPECT_EQ(header_of(first, "ce_type"), "org.newsd.article.published");
  EXPECT_EQ(header_of(first, "ce_time"), "2026-11-30T10:00:00+02:00");
  EXPECT_EQ(header_of(first, "ce_subject"), article.url);
  EXPECT_EQ(header_of(first, "content-type"), "application/json");
  auto second = builder.article(article, source_named("s1"), 2);
  EXPECT_EQ(header_of(second, "ce_id"), article.id + ".2");  // unique per (id, version)
  EXPECT_EQ(header_of(second, "ce_type"), "org.newsd.article.updated");
  // The same (id, version) gives the same event: a repeat is byte-identical.
  EXPECT_EQ(builder.article(article, source_named("s1"), 1).headers, first.headers);
}

// ---- Dead letters ------------------------------------------------------------

TEST(RecordBuilder, NoDeadLetterTopicNoDeadLetter) {
  RecordBuilder builder({});
  EXPECT_FALSE(builder.dead_letter("s1", {.url = "https://example.org/x", .error = "bad"},
                                   std::chrono::system_clock::now()));
}

TEST(RecordBuilder, ADeadLetterOfAPageCutBeforeItArrivedSaysItIsTruncated) {
  RecordBuilder builder({.dead_letter_topic = "news.dead", .dead_letter_max_body = 16});
  const std::string sample(16, 'x');  // what the page stage kept of a 100 kB page
  auto letter = builder.dead_letter(
      "s1", {.url = "https://example.org/p", .status = 200, .bytes = sample, .body_size = 100'000, .error = "e"},
      std::chrono::system_clock::now());
  ASSERT_TRUE(letter);
  EXPECT_EQ(letter->topic, "news.dead");
  auto value = boost::json::parse(letter->value).as_object();
  EXPECT_TRUE(value.at("body_truncated").as_bool());
  EXPECT_EQ(value.at("body").as_string(), sample);
}

TEST(RecordBuilder, ADeadLetterCutsTheBodyAtItsCapAndSaysSo) {
  RecordBuilder builder({.dead_letter_topic = "news.dead", .dead_letter_max_body = 4});
  const auto now = std::chrono::system_clock::now();
  auto cut = builder.dead_letter("s1", {.url = "u", .bytes = "abcdefgh", .error = "e"}, now);
  auto whole = builder.dead_letter("s1", {.url = "u", .bytes = "abcd", .error = "e"}, now);
  EXPECT_TRUE(boost::json::parse(cut->value).as_object().at("body_truncated").as_bool());
  EXPECT_EQ(boost::json::parse(cut->value).as_object().at("body").as_string(), "abcd");
  EXPECT_FALSE(boost::json::parse(whole->value).as_object().at("body_truncated").as_bool());
}

TEST(RecordBuilder, ARecordKafkaRefusedBecomesADeadLetterWithItsValueAsTheBody) {
  RecordBuilder builder({.default_topic = "news", .dead_letter_topic = "news.dead", .dead_letter_max_body = 200});
  auto article = article_with_body(std::string(5000, 'x'));
  auto record = builder.article(article, source_named("s1"), 2);
  const auto now = std::chrono::system_clock::now();
  auto letter = builder.refused(record, "Broker: Message size too large", now);
  ASSERT_TRUE(letter);
  EXPECT_EQ(letter->topic, "news.dead");
  auto value = boost::json::parse(letter->value).as_object();
  EXPECT_EQ(value.at("schema").as_string(), "newsd.deadletter.v1");
  EXPECT_EQ(value.at("source").as_string(), "s1");
  EXPECT_EQ(value.at("url").as_string(), article.url);
  EXPECT_EQ(value.at("error").as_string(), "record refused by Kafka: Broker: Message size too large");
  EXPECT_EQ(value.at("body").as_string().size(), 200u);
  EXPECT_TRUE(value.at("body_truncated").as_bool());
  // Two versions of one story refused in one second are two letters.
  auto other = builder.refused(builder.article(article, source_named("s1"), 3), "too large", now);
  EXPECT_NE(other->key, letter->key);
  // A refused dead letter is not dead-lettered again.
  EXPECT_FALSE(builder.refused(*letter, "too large", now));
}

// ---- Retractions and the latest topic -------------------------------------

std::string header_of(const sinks::OutRecord& record, const std::string& name) {
  for (const auto& [key, value] : record.headers)
    if (key == name) return value;
  return "(missing)";
}

TEST(RecordBuilder, ARetractionKeepsTheKeyAndTheLastVersionAndSaysWhen) {
  RecordBuilder builder({.default_topic = "news.articles"});
  Retraction story{std::string(32, 'b'), "https://example.org/b", "news.ar", 3, "gone"};
  auto record = builder.retraction(story, "s1", std::chrono::sys_days{std::chrono::year{2026} / 12 / 1});
  EXPECT_EQ(record.topic, "news.ar");  // where its versions went
  EXPECT_EQ(record.key, story.id);
  EXPECT_FALSE(record.null_value);
  auto value = boost::json::parse(record.value).as_object();
  EXPECT_TRUE(value.at("retracted").as_bool());
  EXPECT_EQ(value.at("version").as_int64(), 3);
  EXPECT_EQ(value.at("retracted_at").as_string(), "2026-12-01T00:00:00Z");
  EXPECT_EQ(value.at("id").as_string(), story.id);
  EXPECT_EQ(header_of(record, "version"), "3");
  EXPECT_EQ(header_of(record, "ce_type"), "org.newsd.article.retracted");
  EXPECT_EQ(header_of(record, "ce_id"), story.id + ".3.retracted");
  EXPECT_EQ(header_of(record, "ce_subject"), story.url);
}

TEST(RecordBuilder, WithoutALatestTopicAStoryIsOneRecord) {
  RecordBuilder builder({.default_topic = "news.articles"});
  auto article = article_with_body("Body.");
  auto entries = builder.version_entries(article, source_named("s1"), 1);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].first, article.id);
  EXPECT_EQ(builder.records_per_story(), 1u);
}

TEST(RecordBuilder, ALatestTopicGetsEveryVersionAndATombstoneForARetraction) {
  RecordBuilder builder({.default_topic = "news.articles", .latest_topic = "news.latest"});
  auto article = article_with_body("Body.");
  auto version = builder.version_entries(article, source_named("s1"), 2);
  ASSERT_EQ(version.size(), 2u);
  EXPECT_EQ(version[0].first, article.id);
  EXPECT_EQ(version[0].second.topic, "news.articles");
  EXPECT_EQ(version[1].first, article.id + "#latest");
  EXPECT_EQ(version[1].second.topic, "news.latest");
  EXPECT_EQ(version[1].second.key, article.id);
  EXPECT_EQ(version[1].second.value, version[0].second.value);
  EXPECT_FALSE(version[1].second.null_value);

  Retraction story{article.id, article.url, "news.articles", 2, "redirected"};
  auto gone = builder.retraction_entries(story, "s1", std::chrono::system_clock::now());
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_FALSE(gone[0].second.null_value);
  EXPECT_TRUE(gone[1].second.null_value);
  EXPECT_TRUE(gone[1].second.value.empty());
  EXPECT_EQ(gone[1].second.key, article.id);
  EXPECT_EQ(header_of(gone[1].second, "version"), "2") << "a tombstone says which version it removes";
}

// ---- A cluster's state topic ----------------------------------------------

TEST(RecordBuilder, InAClusterEachVersionGoesToTheStateTopicInItsSourcesShard) {
  RecordBuilder builder({.default_topic = "news.articles", .latest_topic = "news.latest",
                         .state_topic = "g.state", .shards = 16});
  auto source = source_named("s1");
  source.url = "https://www.example.co.uk/feed";
  auto article = article_with_body("Body.");
  auto entries = builder.version_entries(article, source, 2);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(builder.records_per_story(), 3u);
  const auto& state = entries[1];
  EXPECT_EQ(state.first, article.id + "#state");
  EXPECT_EQ(state.second.topic, "g.state");
  EXPECT_EQ(state.second.key, "story/" + article.id);
  EXPECT_EQ(state.second.partition, shard_of(source, 16));
  EXPECT_EQ(state.second.partition, shard_of_host("feeds.example.co.uk", 16)) << "one shard per registrable domain";
  EXPECT_EQ(state.second.value, entries[0].second.value) << "the restore reads the story from its record";
  EXPECT_EQ(entries[0].second.partition, -1) << "the article record itself goes by key";

  // A retraction keeps the last version's state: the story stays known.
  Retraction story{article.id, article.url, "news.articles", 2, "gone"};
  for (const auto& entry : builder.retraction_entries(story, "s1", std::chrono::system_clock::now()))
    EXPECT_NE(entry.second.topic, "g.state");

  SourceCheckpoint checkpoint{"\"v7\"", "Tue, 01 Dec 2026 08:00:00 GMT", "https://example.co.uk/rss",
                              std::chrono::system_clock::time_point(std::chrono::milliseconds(1'796'000'000'000))};
  auto saved = builder.checkpoint_entry(source, checkpoint);
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->second.key, "source/s1");
  EXPECT_EQ(saved->second.partition, state.second.partition);
  auto read = decode_checkpoint(saved->second.value);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->same_place(checkpoint));
  EXPECT_EQ(read->polled_at, checkpoint.polled_at);
  EXPECT_FALSE(decode_checkpoint("{\"etag\": 3}"));
  EXPECT_FALSE(RecordBuilder({}).checkpoint_entry(source, checkpoint)) << "one node writes no checkpoints";
}

}  // namespace
}  // namespace newsd::daemon
