#pragma once
// DeliveryState: what newsd must never forget about delivery, in one LMDB
// environment under the state directory:
//   - the outbox: every record persisted before it is produced, in order,
//     until Kafka acknowledges it (replayed after a restart or a crash);
//   - the published set: ids Kafka acknowledged, with the version of the
//     record acknowledged last (its "version" header);
//   - the unapplied journal: acknowledgements the story index (another LMDB
//     environment) has not yet durably recorded. Written with the
//     acknowledgement, cleared once the story index committed it, and
//     applied again at start-up, so the story index never misses a
//     delivered version, whenever newsd crashes.
// Acknowledging moves an entry from the first to the second in the same
// durable transaction, so a crash at any instant loses nothing Kafka
// acknowledged, never corrupts the store, and at worst repeats a record
// whose acknowledgement had not been committed yet.
// Owned by the daemon; used from the event loop thread only.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sinks/lmdb/lmdb_env.hpp"
#include "sinks/sink.hpp"

struct MDB_env;

namespace newsd::sinks {

// A record's version: its "version" header, 1 when it has none (dead letters).
std::uint32_t record_version(const OutRecord& record);

// Kafka acknowledged the outbox entry `sequence`, a record of `id` at `version`.
struct Acknowledgement {
  std::uint64_t sequence = 0;
  std::string id;
  std::uint32_t version = 1;
};

struct OutboxEntry {
  std::uint64_t sequence = 0;  // order of persistence; replay order
  std::string id;              // outbox id: the article id (the record's key), see story_of()
  OutRecord record;
};

// An outbox id names the story a record is for: its id, a dead letter's
// key, or "<story id>#<what>" for a further record of the same story
// version (its copy on the latest topic). Each record is acknowledged,
// remembered as published and replayed under its own outbox id; the story
// is waiting while any of its records is.
std::string_view story_of(std::string_view outbox_id);
inline bool is_further_record(std::string_view outbox_id) { return story_of(outbox_id).size() != outbox_id.size(); }
std::string further_record_id(std::string_view story_id, std::string_view what);

class DeliveryState {
 public:
  // Opens (creating if needed) the store in `dir`. Throws std::runtime_error
  // when it cannot: a start-up mistake (bad path, permissions, disk).
  explicit DeliveryState(const std::filesystem::path& dir);
  ~DeliveryState();
  DeliveryState(const DeliveryState&) = delete;
  DeliveryState& operator=(const DeliveryState&) = delete;

  bool published(std::string_view id) const { return published_version(id).has_value(); }

  // The highest version of `id` Kafka acknowledged, or nothing. It is written
  // in the same transaction as the acknowledgement, so after any crash it
  // tells whether a version was delivered (the story memory may lag).
  std::optional<std::uint32_t> published_version(std::string_view id) const;

  // Persists records in one durable transaction and returns their outbox
  // entries (with sequence numbers), or nothing when the write failed.
  std::optional<std::vector<OutboxEntry>> enqueue(std::vector<std::pair<std::string, OutRecord>> records);

  // Kafka acknowledged these: out of the outbox, into the published set
  // (keeping the highest version), in one durable transaction. False when
  // the write failed.
  bool acknowledge(std::span<const Acknowledgement> acks, std::chrono::system_clock::time_point when);

  // Removes these outbox entries unpublished, in one durable transaction (a
  // cluster member that lost a shard: its new owner derives them again).
  bool discard(std::span<const std::uint64_t> sequences);

  // Acknowledgements not yet marked applied, as (id, version).
  std::vector<std::pair<std::string, std::uint32_t>> unapplied() const;

  // The story index durably recorded these versions: forget them from the
  // journal (an entry acknowledged again at a higher version stays).
  bool applied(std::span<const std::pair<std::string, std::uint32_t>> versions);

  // The whole outbox, oldest first.
  std::vector<OutboxEntry> outbox() const;

  std::size_t outbox_size() const;
  std::size_t published_size() const;

 private:
  std::size_t entries(unsigned int dbi) const;

  LmdbEnv env_;
  unsigned int published_ = 0;
  unsigned int outbox_ = 0;
  unsigned int unapplied_ = 0;
  std::uint64_t next_sequence_ = 1;
};

// The outbox's byte form of a record: length-prefixed fields. Exposed for tests.
std::string encode_outbox_record(std::string_view id, const OutRecord& record);
std::optional<std::pair<std::string, OutRecord>> decode_outbox_record(std::string_view bytes);

}  // namespace newsd::sinks
