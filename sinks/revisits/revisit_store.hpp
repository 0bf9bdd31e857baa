#pragma once
// RevisitStore: the durable schedule of page revisits, in its own LMDB
// environment under the state directory, so that revisits survive restarts.
// A story whose page newsd fetched gets an entry when it is first published;
// each revisit moves it to its next step, and it is forgotten after the last
// step or once the story is retracted.
//
//   due    source \0 due (8 bytes, big-endian) id -> the entry: a source's
//          due revisits are one range scan, earliest first
//   by_id  id -> its key in `due`: a story is scheduled once
//
// Each call is one transaction; writes are durable commits, so the caller
// runs them off the event loop, one writer at a time; reads (due, find,
// size) may run on another thread meanwhile.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/lmdb/lmdb_env.hpp"

struct MDB_env;

namespace newsd::sinks {

struct Revisit {
  std::string id;             // story id (32 hex digits)
  std::string source;         // configured source id
  std::string url;            // the page
  std::string topic;          // where the story's versions went (for a retraction)
  std::int64_t published = 0; // first publication, Unix seconds: steps count from it
  std::int64_t due = 0;       // Unix seconds
  std::uint32_t step = 0;     // the source's revisits[step] is the next one
  std::uint32_t misses = 0;   // 404 / 410 answers in a row
  std::uint32_t failures = 0; // other failed fetches in a row
  std::string etag;           // validators of the page's last 200, for a conditional GET
  std::string last_modified;
};

class RevisitStore {
 public:
  // Opens (creating if needed) the store in `dir`; throws std::runtime_error
  // when it cannot (start-up).
  explicit RevisitStore(const std::filesystem::path& dir);
  ~RevisitStore();
  RevisitStore(const RevisitStore&) = delete;
  RevisitStore& operator=(const RevisitStore&) = delete;

  // Schedules stories not scheduled yet (a story already scheduled keeps
  // its entry). False when the write failed.
  bool add(std::span<const Revisit> revisits);

  // `source`'s entries due at `now` or earlier, earliest first, at most `limit`.
  std::vector<Revisit> due(std::string_view source, std::int64_t now, std::size_t limit) const;

  // Replaces `before` (as due() returned it) by `after`, or forgets it when
  // there is no after. False when the write failed.
  bool replace(const Revisit& before, const std::optional<Revisit>& after);

  // Forgets the entries of every source not in `sources` (removed from the
  // config: no poller would ever look at them). Returns how many, or
  // nothing when the write failed.
  std::optional<std::size_t> retain_sources(const std::set<std::string>& sources);

  // The story's entry, if it is scheduled.
  std::optional<Revisit> find(std::string_view id) const;

  std::size_t size() const;

 private:
  LmdbEnv env_;
  unsigned int due_ = 0;
  unsigned int by_id_ = 0;
};

// The entry's byte form. Exposed for tests.
std::string encode_revisit(const Revisit& revisit);
std::optional<Revisit> decode_revisit(std::string_view bytes);

}  // namespace newsd::sinks
