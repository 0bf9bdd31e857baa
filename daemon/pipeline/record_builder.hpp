#pragma once
// RecordBuilder: the record stage. Everything a Kafka record carries is
// decided here: the topic (templates such as "news.{language}"), the key,
// the value (the article record, cut to fit the producer's
// message.max.bytes), the headers, and the dead letters for documents and
// pages newsd could not use.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/pipeline/source_checkpoint.hpp"
#include "parsers/articles/article.hpp"
#include "sinks/sink.hpp"

namespace newsd::daemon {

struct RecordSettings {
  std::string default_topic = "news.articles";  // for sources without their own topic
  std::string latest_topic;                      // every version again, retractions as tombstones; empty: off
  std::string dead_letter_topic;                 // empty: no dead letters
  std::size_t dead_letter_max_body = 64 * 1024;  // bytes of a bad document a dead letter keeps
  // The largest record value Kafka takes: record_value_limit() of the
  // producer's message.max.bytes.
  std::size_t max_record_bytes = 1'000'000 - 4096;
  // A cluster's state topic: each story version's record again under
  // "story/<id>", and each source's checkpoint, in the partition of the
  // source's shard (of `shards`). Empty: one node, no state topic.
  std::string state_topic;
  std::int64_t shards = 1;
};

// Something newsd fetched and could not use, for a dead letter.
struct Unusable {
  std::string url;
  long status = 0;
  std::string content_type;
  std::string_view bytes;       // what is kept of the body (cut to dead_letter_max_body)
  std::size_t body_size = 0;    // the whole body's size; 0: bytes is the whole body
  std::string error;
  std::string what;             // names the record refused, when it is one (keeps dead letters distinct)
};

// A story that is gone: its page answered 404 or 410 twice in a row, or
// now redirects to its site's home or section page.
struct Retraction {
  std::string id;
  std::string url;
  std::string topic;         // where its versions went
  std::uint32_t version = 1; // the last version published
  std::string reason;        // "gone" (404, 410) or "redirected"
};

class RecordBuilder {
 public:
  explicit RecordBuilder(RecordSettings settings) : settings_(std::move(settings)) {}

  // The record of `article` published as `version` for `source`. The body is
  // cut to fit (fit_article_record: article.body_truncated is then set).
  sinks::OutRecord article(parsers::Article& article, const SourceConfig& source, std::uint32_t version) const;

  // The topic of `article`'s records from `source` (its template expanded).
  std::string topic_for(const parsers::Article& article, const SourceConfig& source) const;

  // The record saying that a story is gone, keyed by its id, with the last
  // version published: {"retracted": true, "retracted_at": now, ...}.
  sinks::OutRecord retraction(const Retraction& story, const std::string& source_id,
                              std::chrono::system_clock::time_point now) const;

  // The outbox entries of a story version (article()) or of its retraction
  // (retraction()): the record under the story id, and, when a latest topic
  // is set, its copy there under "<id>#latest" (a retraction's copy is a
  // tombstone).
  using Entries = std::vector<std::pair<std::string, sinks::OutRecord>>;
  // A cluster member writes the story's state to the partition of the shard
  // that decides it: `state_shard`, else the source's.
  Entries version_entries(parsers::Article& article, const SourceConfig& source, std::uint32_t version,
                          std::optional<int> state_shard = std::nullopt) const;
  Entries retraction_entries(const Retraction& story, const std::string& source_id,
                             std::chrono::system_clock::time_point now) const;
  std::size_t records_per_story() const {
    return 1 + !settings_.latest_topic.empty() + !settings_.state_topic.empty();
  }

  // A cluster member's hand-over of `article` (its feed item, not fetched)
  // to the owner of `shard`, its page host's: "page/<id>" on the state
  // topic; and that owner's tombstone for it once the story is published.
  std::pair<std::string, sinks::OutRecord> handoff_entry(const parsers::Article& article, int shard) const;
  std::pair<std::string, sinks::OutRecord> handoff_done_entry(const std::string& id, int shard) const;

  // A cluster member's record of `source`'s checkpoint on the state topic,
  // under its outbox id; nullopt without a state topic.
  std::optional<std::pair<std::string, sinks::OutRecord>> checkpoint_entry(const SourceConfig& source,
                                                                           const SourceCheckpoint& checkpoint) const;

  // A dead letter for `what`, keyed by source, URL and time; nullopt when
  // no dead-letter topic is configured.
  std::optional<sinks::OutRecord> dead_letter(const std::string& source_id, const Unusable& what,
                                              std::chrono::system_clock::time_point now) const;

  // The dead letter of a record Kafka refused for good (too large, an
  // invalid topic): its value is the body; nullopt when no dead-letter topic
  // is configured or the refused record is itself a dead letter.
  std::optional<sinks::OutRecord> refused(const sinks::OutRecord& record, const std::string& why,
                                          std::chrono::system_clock::time_point now) const;

  const RecordSettings& settings() const { return settings_; }

 private:
  // `state_shard` >= 0: the story's state goes to that shard's partition.
  Entries entries(sinks::OutRecord record, bool tombstone_copy, int state_shard) const;

  RecordSettings settings_;
};

// CloudEvents 1.0 in Kafka's binary content mode: the record's value is
// the event's data (content-type application/json), these headers its
// attributes, so consumers built on CloudEvents SDKs route records without
// knowing newsd. Deterministic for one (id, version): a repeat after a
// crash carries the same headers.
inline constexpr std::string_view kCloudEventSourcePrefix = "/newsd/sources/";
inline constexpr std::string_view kArticlePublished = "org.newsd.article.published";  // version 1
inline constexpr std::string_view kArticleUpdated = "org.newsd.article.updated";      // a later version
inline constexpr std::string_view kArticleRetracted = "org.newsd.article.retracted";  // the story is gone
inline constexpr std::string_view kArticleDataSchema = "https://newsd.example/schemas/newsd.article.v1.json";
// One event's attributes: ce_id (ID.VERSION; ID.VERSION.retracted), the
// source id (ce_source is /newsd/sources/ID), ce_type, ce_time (updated_at,
// else published_at, else fetched_at; retracted_at) and ce_subject (the
// canonical URL). cloud_event_headers() adds ce_specversion and
// ce_dataschema.
struct CloudEvent {
  std::string id;
  std::string source_id;
  std::string_view type;
  std::string time;
  std::string subject;
};
std::vector<std::pair<std::string, std::string>> cloud_event_headers(const CloudEvent& event);

// A topic template for a source's article: "{source}" and "{language}" (the
// primary subtag, "unknown" when none) expanded; characters Kafka does not
// allow in topic names become '_'.
std::string expand_topic(const std::string& topic, const std::string& source, const std::string& language);

// The largest record value that fits a producer's message.max.bytes, with
// headroom for the key, the headers and the batch framing.
std::size_t record_value_limit(std::size_t message_max_bytes);

// `text` cut to at most `keep` bytes: at the end of a paragraph ("\n\n")
// when one ends in the last quarter of `keep`, else at a UTF-8 character
// boundary.
std::string_view cut_text(std::string_view text, std::size_t keep);

// The article record of `article` as JSON, at most `max_bytes` long when
// cutting the body (cut_text) can make it so; then the article's body is the
// cut one and body_truncated is set. Longer only when the rest of the record
// alone is too large.
std::string fit_article_record(parsers::Article& article, std::size_t max_bytes);

}  // namespace newsd::daemon
