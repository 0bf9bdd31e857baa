#pragma once
// StoryRestorer: the story index and the published set rebuilt from article
// records newsd wrote to Kafka. `newsd rebuild-state` feeds it the output
// topics; a cluster member feeds it its shards' state records (each story's
// last published record, see docs/design.md "Growing past one machine").
// Records are read into owning batches; write() puts a batch into the index
// and the published set, keeping each story's highest version.
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/text/text_fingerprint.hpp"
#include "sinks/dedupe/dedupe_index.hpp"
#include "sinks/outbox/delivery_state.hpp"

namespace newsd::sinks {

// One record's story, owning what the index's views point at.
struct RestoredStory {
  std::string id, source, duplicate_of;
  std::uint32_t version = 1;
  std::uint64_t title_digest = 0, simhash = 0;
  parsers::TitleWords title_words{};
  std::uint32_t body_words = 0;
};

// The story an article record (JSON `value` under `key`) states; nothing for
// a tombstone, a retraction, or anything that is not an article record.
std::optional<RestoredStory> restored_story(std::string_view key, std::string_view value);

// Writes `stories` into `index` and `published` (sequence 0: no outbox entry
// is removed). False when either store could not be written.
bool write_restored(std::span<const RestoredStory> stories, DedupeIndex& index, DeliveryState& published);

class StoryRestorer {
 public:
  StoryRestorer(DeliveryState& published, DedupeIndex& index) : published_(published), index_(index) {}

  // Reads one record; writes a batch of 1,000. Throws std::runtime_error
  // when the state directory cannot be written.
  void add(std::string_view key, std::string_view value);
  void flush();

  std::size_t records() const { return records_; }
  std::size_t stories() const { return ids_.size(); }

 private:
  DeliveryState& published_;
  DedupeIndex& index_;
  std::vector<RestoredStory> batch_;
  std::set<std::string> ids_;
  std::size_t records_ = 0;
};

}  // namespace newsd::sinks
