#include "daemon/pipeline/record_builder.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "daemon/config/shards.hpp"
#include "parsers/identity/article_identity.hpp"
#include "parsers/text/text_codec.hpp"
#include "sinks/outbox/delivery_state.hpp"

namespace newsd::daemon {

namespace {

constexpr std::string_view kDeadLetterSchema = "newsd.deadletter.v1";

std::string header_of(const sinks::OutRecord& record, std::string_view name) {
  for (const auto& [key, value] : record.headers)
    if (key == name) return value;
  return {};
}

// The record's own URL, when its value is an article record.
std::string record_url(const sinks::OutRecord& record) {
  boost::system::error_code ec;
  auto value = boost::json::parse(record.value, ec);
  if (ec || !value.is_object()) return {};
  const auto* url = value.as_object().if_contains("url");
  return url && url->is_string() ? std::string(url->as_string()) : std::string();
}

// The event's time: when the story says it changed, else when it was
// published, else when newsd fetched it; in the offset the source stated.
std::string event_time(const parsers::Article& article) {
  if (article.updated_at) return parsers::format_rfc3339(*article.updated_at);
  if (article.published_at) return parsers::format_rfc3339(*article.published_at);
  return parsers::format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(article.fetched_at));
}

// Every story record's headers: newsd's own, then the CloudEvents attributes.
std::vector<std::pair<std::string, std::string>> story_headers(const std::string& version, const CloudEvent& event) {
  auto headers = cloud_event_headers(event);
  headers.insert(headers.begin(), {{"schema", parsers::kArticleSchema},
                                   {"source", event.source_id},
                                   {"version", version},
                                   {"content-type", "application/json"}});
  return headers;
}

}  // namespace

sinks::OutRecord RecordBuilder::article(parsers::Article& article, const SourceConfig& source,
                                        std::uint32_t version) const {
  // Kept below the producer's message.max.bytes by cutting the body; a
  // record still too large (a huge title) is refused by the sink and
  // dead-lettered by the outbox.
  std::string value = fit_article_record(article, settings_.max_record_bytes);
  if (article.body_truncated)
    spdlog::warn("source {}: body of {} cut to {} bytes to fit Kafka's message.max.bytes", source.id, article.id,
                 article.body.size());
  const auto v = std::to_string(version);
  return sinks::OutRecord{topic_for(article, source), article.id, std::move(value),
                          story_headers(v, {article.id + "." + v, source.id,
                                            version > 1 ? kArticleUpdated : kArticlePublished, event_time(article),
                                            article.url})};
}

std::string RecordBuilder::topic_for(const parsers::Article& article, const SourceConfig& source) const {
  return expand_topic(source.topic.empty() ? settings_.default_topic : source.topic, source.id, article.language);
}

sinks::OutRecord RecordBuilder::retraction(const Retraction& story, const std::string& source_id,
                                           std::chrono::system_clock::time_point now) const {
  const auto when = parsers::format_rfc3339(std::chrono::time_point_cast<std::chrono::seconds>(now));
  boost::json::object value{{"schema", parsers::kArticleSchema},
                            {"id", story.id},
                            {"url", story.url},
                            {"source", source_id},
                            {"version", story.version},
                            {"retracted", true},
                            {"retracted_at", when},
                            {"retraction_reason", story.reason}};
  const auto version = std::to_string(story.version);
  return sinks::OutRecord{story.topic, story.id, boost::json::serialize(value),
                          story_headers(version, {story.id + "." + version + ".retracted", source_id,
                                                  kArticleRetracted, when, story.url})};
}

RecordBuilder::Entries RecordBuilder::version_entries(parsers::Article& article, const SourceConfig& source,
                                                      std::uint32_t version, std::optional<int> state_shard) const {
  return entries(this->article(article, source, version), false,
                 state_shard.value_or(settings_.state_topic.empty() ? -1 : shard_of(source, settings_.shards)));
}

RecordBuilder::Entries RecordBuilder::retraction_entries(const Retraction& story, const std::string& source_id,
                                                         std::chrono::system_clock::time_point now) const {
  // The story leaves the compacted topic; its state stays the last version's.
  return entries(retraction(story, source_id, now), true, -1);
}

RecordBuilder::Entries RecordBuilder::entries(sinks::OutRecord record, bool tombstone_copy, int state_shard) const {
  Entries out;
  std::string id = record.key;
  if (!settings_.state_topic.empty() && state_shard >= 0) {
    sinks::OutRecord state = record;
    state.topic = settings_.state_topic;
    state.key = std::string(kStoryStateKey) + id;
    state.partition = state_shard;
    out.emplace_back(sinks::further_record_id(id, "state"), std::move(state));
  }
  if (!settings_.latest_topic.empty()) {
    sinks::OutRecord latest = record;
    latest.topic = settings_.latest_topic;
    if (tombstone_copy) {
      latest.value.clear();
      latest.null_value = true;
    }
    out.emplace_back(sinks::further_record_id(id, "latest"), std::move(latest));
  }
  out.emplace(out.begin(), std::move(id), std::move(record));
  return out;
}

std::pair<std::string, sinks::OutRecord> RecordBuilder::handoff_entry(const parsers::Article& article,
                                                                      int shard) const {
  sinks::OutRecord record;
  record.topic = settings_.state_topic;
  record.key = std::string(kPageStateKey) + article.id;
  record.value = boost::json::serialize(parsers::article_record(article));
  record.partition = shard;
  return {sinks::further_record_id(record.key, "handoff"), std::move(record)};
}

std::pair<std::string, sinks::OutRecord> RecordBuilder::handoff_done_entry(const std::string& id, int shard) const {
  sinks::OutRecord record;
  record.topic = settings_.state_topic;
  record.key = std::string(kPageStateKey) + id;
  record.null_value = true;
  record.partition = shard;
  return {sinks::further_record_id(record.key, "done"), std::move(record)};
}

std::optional<std::pair<std::string, sinks::OutRecord>> RecordBuilder::checkpoint_entry(
    const SourceConfig& source, const SourceCheckpoint& checkpoint) const {
  if (settings_.state_topic.empty()) return std::nullopt;
  sinks::OutRecord record;
  record.topic = settings_.state_topic;
  record.key = std::string(kSourceStateKey) + source.id;
  record.value = encode_checkpoint(checkpoint);
  record.partition = shard_of(source, settings_.shards);
  return std::pair{sinks::further_record_id(record.key, "checkpoint"), std::move(record)};
}

std::vector<std::pair<std::string, std::string>> cloud_event_headers(const CloudEvent& event) {
  return {{"ce_specversion", "1.0"},
          {"ce_id", event.id},
          {"ce_source", std::string(kCloudEventSourcePrefix) + event.source_id},
          {"ce_type", std::string(event.type)},
          {"ce_time", event.time},
          {"ce_subject", event.subject},
          {"ce_dataschema", std::string(kArticleDataSchema)}};
}

std::optional<sinks::OutRecord> RecordBuilder::dead_letter(const std::string& source_id, const Unusable& what,
                                                           std::chrono::system_clock::time_point now) const {
  if (settings_.dead_letter_topic.empty()) return std::nullopt;
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(now);
  const std::size_t whole = std::max(what.body_size, what.bytes.size());
  const auto kept = what.bytes.substr(0, settings_.dead_letter_max_body);
  boost::json::object letter{{"schema", kDeadLetterSchema},
                             {"source", source_id},
                             {"url", what.url},
                             {"error", what.error},
                             {"http_status", what.status},
                             {"content_type", what.content_type},
                             {"fetched_at", parsers::format_rfc3339(seconds)},
                             {"body", parsers::sanitize_utf8(kept)},
                             {"body_truncated", whole > kept.size()}};
  std::string id = parsers::hex_digest("deadletter\n" + source_id + "\n" + what.url + "\n" +
                                       parsers::format_rfc3339(seconds) + what.what);
  return sinks::OutRecord{settings_.dead_letter_topic,
                          std::move(id),
                          boost::json::serialize(letter),
                          {{"schema", std::string(kDeadLetterSchema)},
                           {"source", source_id},
                           {"content-type", "application/json"}}};
}

std::optional<sinks::OutRecord> RecordBuilder::refused(const sinks::OutRecord& record, const std::string& why,
                                                       std::chrono::system_clock::time_point now) const {
  if (record.topic == settings_.dead_letter_topic) return std::nullopt;  // never a letter about a letter
  Unusable what{.url = record_url(record),
                .content_type = "application/json",
                .bytes = record.value,
                .error = "record refused by Kafka: " + why,
                .what = "\n" + record.key + "\n" + header_of(record, "version")};
  return dead_letter(header_of(record, "source"), what, now);
}

std::string expand_topic(const std::string& topic, const std::string& source, const std::string& language) {
  if (topic.find('{') == std::string::npos) return topic;
  std::string lang = language.substr(0, language.find('-'));
  std::string out;
  for (std::size_t i = 0; i < topic.size();) {
    if (topic.compare(i, 8, "{source}") == 0) {
      out += source;
      i += 8;
    } else if (topic.compare(i, 10, "{language}") == 0) {
      out += lang.empty() ? "unknown" : lang;
      i += 10;
    } else {
      out += topic[i++];
    }
  }
  // Kafka topic names allow [A-Za-z0-9._-] only.
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return out;
}

std::size_t record_value_limit(std::size_t message_max_bytes) {
  // Headroom for what else counts against message.max.bytes: the key (32
  // bytes), the headers (a few hundred at most) and the batch framing.
  constexpr std::size_t kHeadroom = 4096;
  return message_max_bytes > 2 * kHeadroom ? message_max_bytes - kHeadroom : message_max_bytes / 2;
}

std::string_view cut_text(std::string_view text, std::size_t keep) {
  if (keep >= text.size()) return text;
  // At the end of a paragraph when one ends in the last quarter of what may
  // be kept: a reader gets whole paragraphs, at the price of a little text.
  if (auto paragraph = text.rfind("\n\n", keep);
      paragraph != std::string_view::npos && paragraph > 0 && paragraph >= keep - keep / 4)
    return text.substr(0, paragraph);
  // Else at a character boundary: never half of a UTF-8 sequence.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return text.substr(0, keep);
}

std::string fit_article_record(parsers::Article& article, std::size_t max_bytes) {
  std::string value = boost::json::serialize(parsers::article_record(article));
  // Each pass cuts at least the excess from the body: JSON escaping only ever
  // makes the written body longer than the text, so the record shrinks by at
  // least as much. Usually one pass; a body of many escaped characters may
  // take a few.
  while (value.size() > max_bytes && !article.body.empty()) {
    const std::size_t excess = value.size() - max_bytes;
    const std::size_t keep = excess >= article.body.size() ? 0 : article.body.size() - excess;
    article.body = std::string(cut_text(article.body, keep));
    article.body_truncated = true;
    value = boost::json::serialize(parsers::article_record(article));
  }
  return value;
}

}  // namespace newsd::daemon
