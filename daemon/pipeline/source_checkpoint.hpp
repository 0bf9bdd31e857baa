#pragma once
// SourceCheckpoint: what a source's poller knows that its next owner in a
// cluster needs, so that the handover costs no unconditional GET and no
// early poll: the validators of the last response used completely, where a
// permanent redirect moved the source, and when it was polled. Written to
// the cluster's state topic (RecordBuilder::checkpoint_entry) after the
// records of the poll it follows, read back by the shard's next owner.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace newsd::daemon {

struct SourceCheckpoint {
  std::string etag;
  std::string last_modified;
  std::string moved_to;  // a permanent redirect's target; empty: the configured URL
  std::chrono::system_clock::time_point polled_at{};

  // The same validators and location (when it was polled aside).
  bool same_place(const SourceCheckpoint& other) const {
    return etag == other.etag && last_modified == other.last_modified && moved_to == other.moved_to;
  }
};

// Keys on the state topic: "story/<id>" (the story's last published record),
// "source/<id>" (its checkpoint) and "page/<id>" (an article handed to the
// owner of its page's shard; a tombstone once that owner published it).
inline constexpr std::string_view kStoryStateKey = "story/";
inline constexpr std::string_view kSourceStateKey = "source/";
inline constexpr std::string_view kPageStateKey = "page/";

// As JSON: {"etag": ..., "last_modified": ..., "moved_to": ..., "polled_at": ms since the epoch}.
std::string encode_checkpoint(const SourceCheckpoint& checkpoint);
// Nothing for anything else (a damaged or foreign value).
std::optional<SourceCheckpoint> decode_checkpoint(std::string_view json);

}  // namespace newsd::daemon
