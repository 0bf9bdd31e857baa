#pragma once
// DedupeIndex: newsd's persistent, bounded memory of the articles it has
// seen, answering for each one whether it is new, unchanged, an edited
// version (same id, published again with version + 1) or a near duplicate
// of another article (the same story at another URL or from another source).
//
// Its own LMDB environment in the directory given to the constructor:
//   entries  id (16 bytes) -> version, published version, first/last seen,
//            title digest and word set, body SimHash and length,
//            duplicate_of, furniture flag, source
//   bands    4 x 16-bit SimHash bands -> (SimHash, id), dupsort: a lookup
//            reads only the ids sharing a band, so it stays fast at millions
//            of entries, and finds every entry within Hamming distance 3
//            (4 bands: 3 differing bits leave one band intact)
//   titles   title digest -> id, dupsort: the stories under one headline
//   by_time  last seen, id: eviction of the least recently seen
// Opening costs the same at 1 entry or 1,000,000 (nothing is loaded; the
// file is mapped). Every call that writes is one durable transaction: a
// crash at any instant leaves the store as of the last completed call.
//
// Near duplicates: a body alone does not make two articles one story, since
// many bodies are furniture (a paywall teaser, a consent wall, a "developing
// story" note, a gallery caption) that a site puts under every headline. A
// new article is the near duplicate of an indexed one when
//   - their bodies are within max_distance bits and their headlines agree
//     (equal once normalised, or sharing title_agreement of their words), or
//   - their bodies are within max_distance bits, both at least
//     specific_body_words long, from different sources, and the indexed body
//     is not furniture (a wire story retitled by another outlet), or
//   - their headlines are equal once normalised and their bodies are within
//     title_match_distance bits (an edited sentence, added furniture lines).
// A body seen under two disagreeing headlines of one source is furniture:
// both entries are flagged, and a furniture body never matches on its own.
//
// Crash safety with Kafka: a verdict that asks for publication (new,
// updated, near_duplicate) is repeated by every later observe() until
// mark_published() confirms that version, so a crash or a failed delivery
// between observe() and the broker's acknowledgement loses nothing; the
// pipeline's in-flight check keeps the repeats from being produced twice.
//
// Updates are judged only on observations from the source that first saw
// the article; the same id in another source's feed is the same article
// (unchanged), whatever title or excerpt that feed shows.
//
// Owned by the daemon; used from one thread (the event loop) only.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sinks/lmdb/lmdb_env.hpp"

struct MDB_env;

namespace newsd::sinks {

struct DedupeOptions {
  std::chrono::seconds ttl{std::chrono::hours(24 * 30)};  // forget an article not seen for this long
  std::size_t max_entries = 2'000'000;                    // beyond this, forget the least recently seen
  int max_distance = 3;          // SimHash bits two bodies may differ in and still be one story (<= 3: no misses)
  int title_match_distance = 12; // the same, for two bodies under one normalised headline
  double title_agreement = 0.6;  // share of words (Dice) two headlines of one story have in common
  std::uint32_t specific_body_words = 50;  // a body this long (a syndicated lede and more; teasers are shorter), not furniture, is one story under any headline
  std::chrono::seconds touch_interval{std::chrono::minutes(10)};  // last_seen of an unchanged article is rewritten at most this often
  std::size_t map_size = std::size_t(8) << 30;  // LMDB address space; the file grows only as used, doubles on demand
};

// One sighting of an article: in a feed, on a listing page, on its page.
// Views: what they point at must outlive the observe() call.
struct Observation {
  std::string_view id;           // article id: 32 hex digits (parsers::article_id_for_url / _for_guid)
  std::string_view source;       // configured source id
  std::uint64_t title_digest;    // parsers::text_digest(title)
  std::uint64_t body_simhash;    // parsers::simhash(body); 0 = no usable body (never matched as a near duplicate)
  std::span<const std::uint32_t> title_words{};  // parsers::title_words(title); empty: headlines agree only when equal
  std::uint32_t body_words = 0;  // parsers::body_fingerprint(body).words
  // An exact digest of what a reader sees of the story (title, body,
  // authors, dates), for stories whose page newsd fetches: any change to
  // it is a new version, however small. 0: not compared (feed items).
  std::uint64_t content_digest = 0;
};

enum class Novelty : std::uint8_t {
  new_article,     // publish as version 1
  unchanged,       // already published, nothing material changed: skip
  updated,         // publish again as `version`
  near_duplicate,  // a new id whose body is within max_distance of `duplicate_of`'s: drop, or publish with duplicate_of
};

struct Verdict {
  Novelty novelty = Novelty::new_article;
  std::uint32_t version = 1;  // the version to publish (new, near_duplicate: 1; updated: n), else the current one
  std::string duplicate_of;   // the first article of the story, when this one is a near duplicate of it (also on unchanged)
};

struct PublishedVersion {
  std::string id;
  std::uint32_t version = 1;
};

// What a record newsd published says about its story: for rebuilding the
// index from the topics it wrote (`newsd rebuild-state`).
struct PublishedStory {
  Observation observation;        // as observe() would have seen the record's article
  std::uint32_t version = 1;      // the record's version
  std::string_view duplicate_of;  // the record's duplicate_of; empty when none
};

// What the index holds about one article.
struct DedupeEntry {
  std::uint32_t version = 0;            // latest version observed
  std::uint32_t published_version = 0;  // latest version confirmed by mark_published (0: none)
  std::chrono::system_clock::time_point first_seen;
  std::chrono::system_clock::time_point last_seen;
  std::uint64_t title_digest = 0;
  std::uint64_t body_simhash = 0;
  std::uint32_t body_words = 0;
  bool furniture = false;  // its body was seen under another headline of the same source
  std::string duplicate_of;
  std::string source;  // the source that first saw it
};

struct DedupeStats {
  std::size_t entries = 0;
  std::uint64_t file_bytes = 0;  // pages up to LMDB's high-water mark: the data file's size
  std::uint64_t free_bytes = 0;  // of which free pages, reused by later writes
  std::uint64_t entry_bytes = 0, band_bytes = 0, time_bytes = 0;  // pages of each table
};

struct NearDuplicate {
  std::string id;    // the story's first article (duplicate_of followed)
  int distance = 0;  // Hamming distance to the closest matching body
};

class DedupeIndex {
 public:
  // Opens (creating if needed) the index in `dir`. Throws std::runtime_error
  // when it cannot: a start-up mistake (bad path, permissions, disk).
  explicit DedupeIndex(const std::filesystem::path& dir, DedupeOptions options = {});
  ~DedupeIndex();
  DedupeIndex(const DedupeIndex&) = delete;
  DedupeIndex& operator=(const DedupeIndex&) = delete;

  // Judges and records a batch of observations in one durable transaction;
  // later observations in the batch see the earlier ones. Also forgets a
  // bounded number of expired or excess entries. Nothing (and a log line)
  // when the write failed or an id is not 32 hex digits; then nothing of
  // the batch was recorded.
  std::optional<std::vector<Verdict>> observe(std::span<const Observation> batch,
                                              std::chrono::system_clock::time_point now);
  std::optional<Verdict> observe(const Observation& observation, std::chrono::system_clock::time_point now);

  // Kafka acknowledged these versions: stop repeating their verdicts. One
  // durable transaction; ids no longer indexed are ignored. False when the
  // write failed.
  bool mark_published(std::span<const PublishedVersion> published);

  // Records published stories as acknowledged, keeping per id the highest
  // version seen (records of one id may come in any order across topics),
  // in one durable transaction. False when the write failed.
  bool restore(std::span<const PublishedStory> stories, std::chrono::system_clock::time_point now);

  // Forgets every entry not seen since now - ttl, then the least recently
  // seen beyond max_entries. Returns how many, or nothing when a write failed.
  std::optional<std::size_t> expire(std::chrono::system_clock::time_point now);

  std::optional<DedupeEntry> find(std::string_view id) const;

  // The indexed article whose body is closest to `simhash`, within
  // max_distance, whatever its headline; nothing when none is (or simhash
  // is 0).
  std::optional<NearDuplicate> find_near_duplicate(std::uint64_t simhash) const;

  std::size_t size() const;
  DedupeStats stats() const;

 private:
  struct Dbis {
    unsigned int entries = 0;
    unsigned int bands = 0;
    unsigned int by_time = 0;
    unsigned int titles = 0;
  };
  template <typename Work>
  int write(Work&& work);

  LmdbEnv env_;
  Dbis dbis_;
  DedupeOptions options_;
  std::size_t map_size_ = 0;
};

}  // namespace newsd::sinks
