#include "sinks/dedupe/story_restorer.hpp"

#include <chrono>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "parsers/articles/article.hpp"

namespace newsd::sinks {
namespace {

std::string text(const boost::json::object& record, std::string_view key) {
  const auto* value = record.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string{};
}

}  // namespace

std::optional<RestoredStory> restored_story(std::string_view key, std::string_view value) {
  if (value.empty()) return std::nullopt;  // a tombstone
  boost::system::error_code ec;
  auto parsed = boost::json::parse(value, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& record = parsed.as_object();
  if (text(record, "schema") != parsers::kArticleSchema) return std::nullopt;
  // A retraction says nothing of the story's text, and its version is the
  // one its last version record already restores.
  if (const auto* retracted = record.if_contains("retracted"); retracted && retracted->is_bool() && retracted->as_bool())
    return std::nullopt;
  RestoredStory story;
  story.id = key.empty() ? text(record, "id") : std::string(key);
  story.source = text(record, "source");
  story.duplicate_of = text(record, "duplicate_of");
  if (const auto* version = record.if_contains("version"); version && version->is_int64() && version->get_int64() > 0)
    story.version = static_cast<std::uint32_t>(version->get_int64());
  const std::string title = text(record, "title");
  story.title_digest = parsers::text_digest(title);
  story.title_words = parsers::title_words(title);
  story.simhash = parsers::content_hash_value(text(record, "content_hash"));
  story.body_words = static_cast<std::uint32_t>(parsers::body_fingerprint(text(record, "body")).words);
  return story;
}

bool write_restored(std::span<const RestoredStory> batch, DedupeIndex& index, DeliveryState& published) {
  if (batch.empty()) return true;
  std::vector<PublishedStory> stories;
  std::vector<Acknowledgement> acks;
  stories.reserve(batch.size());
  acks.reserve(batch.size());
  for (const auto& s : batch) {
    stories.push_back({{s.id, s.source, s.title_digest, s.simhash, s.title_words, s.body_words}, s.version,
                       s.duplicate_of});
    acks.push_back({0, s.id, s.version});  // sequence 0: no outbox entry to remove
  }
  const auto now = std::chrono::system_clock::now();
  return index.restore(stories, now) && published.acknowledge(acks, now);
}

void StoryRestorer::add(std::string_view key, std::string_view value) {
  auto story = restored_story(key, value);
  if (!story) return;
  ids_.insert(story->id);
  ++records_;
  batch_.push_back(std::move(*story));
  if (batch_.size() >= 1000) flush();
}

void StoryRestorer::flush() {
  if (!write_restored(batch_, index_, published_)) throw std::runtime_error("cannot write the state directory");
  batch_.clear();
}

}  // namespace newsd::sinks
