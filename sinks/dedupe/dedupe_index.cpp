#include "sinks/dedupe/dedupe_index.hpp"

#include "sinks/lmdb/lmdb_env.hpp"
#include "sinks/lmdb/lmdb_txn.hpp"

#include "parsers/text/text_fingerprint.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>

#include <lmdb.h>
#include <spdlog/spdlog.h>

namespace newsd::sinks {
namespace {

using Clock = std::chrono::system_clock;
using Id = std::array<unsigned char, 16>;

constexpr int kBands = 4;
constexpr std::size_t kBandValueSize = 8 + 16;  // SimHash (big-endian), id
constexpr std::size_t kTimeKeySize = 8 + 16;    // last seen (big-endian, sign-flipped), id
constexpr std::size_t kEvictionSlack = 256;     // entries observe() may forget beyond its batch size
constexpr std::size_t kExpireChunk = 10'000;    // entries expire() forgets per transaction
constexpr std::size_t kMaxCandidates = 64;      // indexed bodies or headlines one observation is compared with
// First byte of every entry value. 1: before headline word sets, body length
// and the furniture flag (still read: those are then empty, 0, false).
constexpr unsigned char kFormat1 = 1;
constexpr unsigned char kFormat2 = 2;  // + flags, body words, title words
constexpr unsigned char kFormat = 3;   // + content digest
constexpr unsigned char kFurnitureFlag = 1;

using Txn = LmdbTxn;
using Cursor = LmdbCursor;

std::optional<Id> parse_id(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Id id{};
  for (std::size_t i = 0; i < 16; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return id;
}

std::string hex_id(const unsigned char* id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (std::size_t i = 0; i < 16; ++i) {
    out.push_back(kHex[id[i] >> 4]);
    out.push_back(kHex[id[i] & 0xf]);
  }
  return out;
}

void put_be64(unsigned char* out, std::uint64_t value) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<unsigned char>(value & 0xff);
    value >>= 8;
  }
}

std::uint64_t get_be64(const unsigned char* in) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | in[i];
  return value;
}

std::int64_t to_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

Clock::time_point from_seconds(std::int64_t s) { return Clock::time_point(std::chrono::seconds(s)); }

MDB_val val(const void* data, std::size_t size) { return MDB_val{size, const_cast<void*>(data)}; }

// The stored form of an entry.
struct Stored {
  std::uint32_t version = 1;
  std::uint32_t published_version = 0;
  std::int64_t first_seen = 0;
  std::int64_t last_seen = 0;
  std::uint64_t title_digest = 0;
  std::uint64_t body_simhash = 0;
  std::optional<Id> duplicate_of;
  bool furniture = false;
  std::uint32_t body_words = 0;
  std::vector<std::uint32_t> title_words;  // sorted, no zeros
  std::uint64_t content_digest = 0;        // Observation::content_digest; 0: none yet
  std::string source;
};

constexpr std::size_t kFixedSize = 1 + 4 + 4 + 8 + 8 + 8 + 8 + 1;
constexpr std::size_t kFormat2Size = 1 + 4 + 1;  // flags, body words, title word count

template <typename T>
void append_raw(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
T read_raw(const unsigned char*& in) {
  T value;
  std::memcpy(&value, in, sizeof(T));
  in += sizeof(T);
  return value;
}

std::string encode(const Stored& e) {
  std::string out;
  out.reserve(kFixedSize + 16 + e.source.size());
  out.push_back(static_cast<char>(kFormat));
  append_raw(out, e.version);
  append_raw(out, e.published_version);
  append_raw(out, e.first_seen);
  append_raw(out, e.last_seen);
  append_raw(out, e.title_digest);
  append_raw(out, e.body_simhash);
  out.push_back(e.duplicate_of ? 1 : 0);
  if (e.duplicate_of) out.append(reinterpret_cast<const char*>(e.duplicate_of->data()), 16);
  out.push_back(static_cast<char>(e.furniture ? kFurnitureFlag : 0));
  append_raw(out, e.body_words);
  out.push_back(static_cast<char>(e.title_words.size()));
  for (std::uint32_t word : e.title_words) append_raw(out, word);
  append_raw(out, e.content_digest);
  out += e.source;
  return out;
}

std::optional<Stored> decode(const MDB_val& v) {
  if (v.mv_size < kFixedSize) return std::nullopt;
  const auto* in = static_cast<const unsigned char*>(v.mv_data);
  const auto* end = in + v.mv_size;
  const unsigned char format = *in++;
  if (format != kFormat && format != kFormat2 && format != kFormat1) return std::nullopt;
  Stored e;
  e.version = read_raw<std::uint32_t>(in);
  e.published_version = read_raw<std::uint32_t>(in);
  e.first_seen = read_raw<std::int64_t>(in);
  e.last_seen = read_raw<std::int64_t>(in);
  e.title_digest = read_raw<std::uint64_t>(in);
  e.body_simhash = read_raw<std::uint64_t>(in);
  if (*in++ != 0) {
    if (end - in < 16) return std::nullopt;
    Id dup;
    std::memcpy(dup.data(), in, 16);
    in += 16;
    e.duplicate_of = dup;
  }
  if (format >= kFormat2) {
    if (static_cast<std::size_t>(end - in) < kFormat2Size) return std::nullopt;
    e.furniture = (*in++ & kFurnitureFlag) != 0;
    e.body_words = read_raw<std::uint32_t>(in);
    const std::size_t words = *in++;
    if (static_cast<std::size_t>(end - in) < 4 * words) return std::nullopt;
    e.title_words.resize(words);
    for (auto& word : e.title_words) word = read_raw<std::uint32_t>(in);
  }
  if (format >= kFormat) {
    if (static_cast<std::size_t>(end - in) < sizeof e.content_digest) return std::nullopt;
    e.content_digest = read_raw<std::uint64_t>(in);
  }
  e.source.assign(reinterpret_cast<const char*>(in), static_cast<std::size_t>(end - in));
  return e;
}

// A headline word set as stored: the used slots only.
std::vector<std::uint32_t> stored_title_words(std::span<const std::uint32_t> words) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t word : words) {
    if (word == 0 || out.size() == 255) break;
    out.push_back(word);
  }
  return out;
}

// The story an entry belongs to: its duplicate_of, else itself.
std::string story_of(const Id& id, const Stored& e) {
  return hex_id(e.duplicate_of ? e.duplicate_of->data() : id.data());
}

std::array<unsigned char, 3> band_key(std::uint64_t simhash, int band) {
  auto bits = static_cast<std::uint16_t>(simhash >> (48 - 16 * band));
  return {static_cast<unsigned char>(band), static_cast<unsigned char>(bits >> 8),
          static_cast<unsigned char>(bits & 0xff)};
}

std::array<unsigned char, kBandValueSize> band_value(std::uint64_t simhash, const Id& id) {
  std::array<unsigned char, kBandValueSize> out{};
  put_be64(out.data(), simhash);
  std::memcpy(out.data() + 8, id.data(), 16);
  return out;
}

std::array<unsigned char, kTimeKeySize> time_key(std::int64_t seconds, const Id& id) {
  std::array<unsigned char, kTimeKeySize> out{};
  put_be64(out.data(), static_cast<std::uint64_t>(seconds) ^ (std::uint64_t{1} << 63));  // sorts signed order
  std::memcpy(out.data() + 8, id.data(), 16);
  return out;
}

// The operations on one transaction. Every function returns an LMDB code.
class Store {
 public:
  Store(MDB_txn* txn, unsigned int entries, unsigned int bands, unsigned int by_time, unsigned int titles)
      : txn_(txn), entries_(entries), bands_(bands), by_time_(by_time), titles_(titles) {}

  // MDB_NOTFOUND when absent.
  int get(const Id& id, Stored& out) const {
    MDB_val key = val(id.data(), id.size()), data;
    int rc = mdb_get(txn_, entries_, &key, &data);
    if (rc != MDB_SUCCESS) return rc;
    auto decoded = decode(data);
    if (!decoded) return MDB_CORRUPTED;
    out = std::move(*decoded);
    return MDB_SUCCESS;
  }

  int put(const Id& id, const Stored& e) {
    std::string bytes = encode(e);
    MDB_val key = val(id.data(), id.size()), data = val(bytes.data(), bytes.size());
    return mdb_put(txn_, entries_, &key, &data, 0);
  }

  int add_bands(const Id& id, std::uint64_t simhash) {
    if (simhash == 0) return MDB_SUCCESS;
    auto value = band_value(simhash, id);
    for (int b = 0; b < kBands; ++b) {
      auto k = band_key(simhash, b);
      MDB_val key = val(k.data(), k.size()), data = val(value.data(), value.size());
      int rc = mdb_put(txn_, bands_, &key, &data, MDB_NODUPDATA);
      if (rc != MDB_SUCCESS && rc != MDB_KEYEXIST) return rc;
    }
    return MDB_SUCCESS;
  }

  int remove_bands(const Id& id, std::uint64_t simhash) {
    if (simhash == 0) return MDB_SUCCESS;
    auto value = band_value(simhash, id);
    for (int b = 0; b < kBands; ++b) {
      auto k = band_key(simhash, b);
      MDB_val key = val(k.data(), k.size()), data = val(value.data(), value.size());
      int rc = mdb_del(txn_, bands_, &key, &data);
      if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return rc;
    }
    return MDB_SUCCESS;
  }

  int add_title(const Id& id, std::uint64_t digest) {
    std::array<unsigned char, 8> k{};
    put_be64(k.data(), digest);
    MDB_val key = val(k.data(), k.size()), data = val(id.data(), id.size());
    int rc = mdb_put(txn_, titles_, &key, &data, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? MDB_SUCCESS : rc;
  }

  int remove_title(const Id& id, std::uint64_t digest) {
    std::array<unsigned char, 8> k{};
    put_be64(k.data(), digest);
    MDB_val key = val(k.data(), k.size()), data = val(id.data(), id.size());
    int rc = mdb_del(txn_, titles_, &key, &data);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  }

  // The ids indexed under this headline digest (at most kMaxCandidates).
  int same_title(std::uint64_t digest, std::vector<Id>& out) const {
    Cursor cursor(txn_, titles_);
    if (cursor.status() != MDB_SUCCESS) return cursor.status();
    std::array<unsigned char, 8> k{};
    put_be64(k.data(), digest);
    MDB_val key = val(k.data(), k.size()), data;
    int rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_SET_KEY);
    while (rc == MDB_SUCCESS && out.size() < kMaxCandidates) {
      if (data.mv_size != 16) return MDB_CORRUPTED;
      Id id;
      std::memcpy(id.data(), data.mv_data, 16);
      out.push_back(id);
      rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_NEXT_DUP);
    }
    return rc == MDB_NOTFOUND || rc == MDB_SUCCESS ? MDB_SUCCESS : rc;
  }

  int add_time(const Id& id, std::int64_t seconds) {
    auto k = time_key(seconds, id);
    MDB_val key = val(k.data(), k.size()), data = val(nullptr, 0);
    return mdb_put(txn_, by_time_, &key, &data, 0);
  }

  int remove_time(const Id& id, std::int64_t seconds) {
    auto k = time_key(seconds, id);
    MDB_val key = val(k.data(), k.size());
    int rc = mdb_del(txn_, by_time_, &key, nullptr);
    return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
  }

  int remove(const Id& id) {
    Stored e;
    int rc = get(id, e);
    if (rc == MDB_NOTFOUND) return MDB_SUCCESS;
    if (rc != MDB_SUCCESS) return rc;
    MDB_val key = val(id.data(), id.size());
    if ((rc = mdb_del(txn_, entries_, &key, nullptr)) != MDB_SUCCESS) return rc;
    if ((rc = remove_bands(id, e.body_simhash)) != MDB_SUCCESS) return rc;
    if ((rc = remove_title(id, e.title_digest)) != MDB_SUCCESS) return rc;
    return remove_time(id, e.last_seen);
  }

  int count(std::size_t& out) const {
    MDB_stat stat;
    int rc = mdb_stat(txn_, entries_, &stat);
    out = stat.ms_entries;
    return rc;
  }

  // Every indexed body within max_distance of `simhash`, closest first (at
  // most kMaxCandidates of the closest).
  int near_bodies(std::uint64_t simhash, int max_distance, std::vector<std::pair<int, Id>>& out) const {
    if (simhash == 0) return MDB_SUCCESS;
    Cursor cursor(txn_, bands_);
    if (cursor.status() != MDB_SUCCESS) return cursor.status();
    for (int b = 0; b < kBands; ++b) {
      auto k = band_key(simhash, b);
      MDB_val key = val(k.data(), k.size()), data;
      int rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_SET_KEY);
      if (rc == MDB_NOTFOUND) continue;
      if (rc != MDB_SUCCESS) return rc;
      rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_GET_MULTIPLE);
      while (rc == MDB_SUCCESS) {
        const auto* records = static_cast<const unsigned char*>(data.mv_data);
        for (std::size_t i = 0; i + kBandValueSize <= data.mv_size; i += kBandValueSize) {
          int distance = std::popcount(get_be64(records + i) ^ simhash);
          if (distance > max_distance) continue;
          Id id;
          std::memcpy(id.data(), records + i + 8, 16);
          out.emplace_back(distance, id);
        }
        rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_NEXT_MULTIPLE);
      }
      if (rc != MDB_NOTFOUND) return rc;
    }
    // An entry sharing several bands was found once per band.
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.size() > kMaxCandidates) out.resize(kMaxCandidates);
    return MDB_SUCCESS;
  }

  // The closest indexed body within max_distance (MDB_NOTFOUND when none),
  // its duplicate_of followed to the story's first article.
  int nearest(std::uint64_t simhash, int max_distance, NearDuplicate& out) const {
    std::vector<std::pair<int, Id>> near;
    int rc = near_bodies(simhash, max_distance, near);
    if (rc != MDB_SUCCESS) return rc;
    if (near.empty()) return MDB_NOTFOUND;
    Stored match;
    if ((rc = get(near.front().second, match)) != MDB_SUCCESS) return rc;
    out.id = story_of(near.front().second, match);
    out.distance = near.front().first;
    return MDB_SUCCESS;
  }

  // Forgets up to `budget` entries, least recently seen first, while they
  // are older than `cutoff` or there are more than `max_entries`.
  int evict(std::int64_t cutoff, std::size_t max_entries, std::size_t budget, std::size_t& evicted) {
    std::size_t entries = 0;
    int rc = count(entries);
    if (rc != MDB_SUCCESS) return rc;
    while (evicted < budget) {
      Id oldest{};
      {
        Cursor cursor(txn_, by_time_);
        if (cursor.status() != MDB_SUCCESS) return cursor.status();
        MDB_val key, data;
        rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_FIRST);
        if (rc == MDB_NOTFOUND) return MDB_SUCCESS;
        if (rc != MDB_SUCCESS) return rc;
        if (key.mv_size != kTimeKeySize) return MDB_CORRUPTED;
        const auto* bytes = static_cast<const unsigned char*>(key.mv_data);
        auto seen = static_cast<std::int64_t>(get_be64(bytes) ^ (std::uint64_t{1} << 63));
        if (seen >= cutoff && entries <= max_entries) return MDB_SUCCESS;
        std::memcpy(oldest.data(), bytes + 8, 16);
        rc = mdb_cursor_del(cursor.get(), 0);
        if (rc != MDB_SUCCESS) return rc;
      }
      if ((rc = remove(oldest)) != MDB_SUCCESS) return rc;
      ++evicted;
      if (entries > 0) --entries;
    }
    return MDB_SUCCESS;
  }

 private:
  MDB_txn* txn_;
  MDB_dbi entries_;
  MDB_dbi bands_;
  MDB_dbi by_time_;
  MDB_dbi titles_;
};

bool headlines_agree(const Observation& o, const Stored& e, const DedupeOptions& options) {
  return o.title_digest == e.title_digest ||
         parsers::title_overlap(o.title_words, e.title_words) >= options.title_agreement;
}

// Which story a new article `o` belongs to, by the rules in the header: the
// first article of that story, or nothing. Flags furniture it finds (in the
// store, and in `fresh`, the new article's entry) as it goes.
int match_story(Store& store, const Observation& o, const DedupeOptions& options, Stored& fresh,
                std::optional<std::string>& story) {
  std::vector<std::pair<int, Id>> near;
  int rc = store.near_bodies(o.body_simhash, options.max_distance, near);
  if (rc != MDB_SUCCESS) return rc;
  for (const auto& [distance, id] : near) {
    Stored e;
    if ((rc = store.get(id, e)) == MDB_NOTFOUND) continue;
    if (rc != MDB_SUCCESS) return rc;
    if (headlines_agree(o, e, options)) {
      story = story_of(id, e);
      return MDB_SUCCESS;
    }
    if (e.source == o.source) {
      // One site, one body, two headlines: the body is the site's furniture.
      fresh.furniture = true;
      if (!e.furniture) {
        e.furniture = true;
        if ((rc = store.put(id, e)) != MDB_SUCCESS) return rc;
      }
      continue;
    }
    if (!e.furniture && !fresh.furniture && o.body_words >= options.specific_body_words &&
        e.body_words >= options.specific_body_words) {
      story = story_of(id, e);
      return MDB_SUCCESS;
    }
  }
  if (o.body_simhash == 0) return MDB_SUCCESS;
  std::vector<Id> same;
  if ((rc = store.same_title(o.title_digest, same)) != MDB_SUCCESS) return rc;
  for (const Id& id : same) {
    Stored e;
    if ((rc = store.get(id, e)) == MDB_NOTFOUND) continue;
    if (rc != MDB_SUCCESS) return rc;
    if (e.body_simhash != 0 && std::popcount(e.body_simhash ^ o.body_simhash) <= options.title_match_distance) {
      story = story_of(id, e);
      return MDB_SUCCESS;
    }
  }
  return MDB_SUCCESS;
}

// The verdict an entry repeats until its version is confirmed published.
Verdict pending_verdict(const Stored& e) {
  Verdict v;
  v.version = e.version;
  if (e.duplicate_of) v.duplicate_of = hex_id(e.duplicate_of->data());
  if (e.version > 1) {
    v.novelty = Novelty::updated;
  } else {
    v.novelty = e.duplicate_of ? Novelty::near_duplicate : Novelty::new_article;
  }
  return v;
}

// The batch's ids in binary, or nothing (logged) when one is not an article id.
std::optional<std::vector<Id>> parse_batch_ids(std::span<const Observation> batch) {
  std::vector<Id> ids;
  ids.reserve(batch.size());
  for (const auto& o : batch) {
    auto id = parse_id(o.id);
    if (!id) {
      spdlog::error("dedupe index: '{}' is not an article id (32 hex digits); batch of {} not recorded", o.id,
                    batch.size());
      return std::nullopt;
    }
    ids.push_back(*id);
  }
  return ids;
}

// First sighting: matched against known stories, then stored with its bands,
// title and time keys.
int observe_new(Store& store, const Id& id, const Observation& o, const DedupeOptions& options, std::int64_t now_s,
                std::vector<Verdict>& verdicts) {
  Stored e;
  Verdict v;
  std::optional<std::string> story;
  int rc;
  if ((rc = match_story(store, o, options, e, story)) != MDB_SUCCESS) return rc;
  if (story) {
    v.novelty = Novelty::near_duplicate;
    v.duplicate_of = *story;
    e.duplicate_of = parse_id(*story);
  }
  e.first_seen = e.last_seen = now_s;
  e.title_digest = o.title_digest;
  e.title_words = stored_title_words(o.title_words);
  e.body_simhash = o.body_simhash;
  e.body_words = o.body_words;
  e.content_digest = o.content_digest;
  e.source = std::string(o.source);
  if ((rc = store.put(id, e)) != MDB_SUCCESS || (rc = store.add_bands(id, e.body_simhash)) != MDB_SUCCESS ||
      (rc = store.add_title(id, e.title_digest)) != MDB_SUCCESS || (rc = store.add_time(id, now_s)) != MDB_SUCCESS)
    return rc;
  verdicts.push_back(std::move(v));
  return MDB_SUCCESS;
}

// Whether the observation changes the entry: only one from the entry's own
// source can, by a new title, a body further than max_distance away, or
// (pages, compared exactly) other content. An entry without a content
// digest yet (older, or seen in a feed first) takes the observation's.
bool is_change(const Observation& o, const Stored& e, const DedupeOptions& options) {
  if (o.source != e.source) return false;
  const bool body_changed = o.body_simhash != 0 && (e.body_simhash == 0 ||
                                                    std::popcount(o.body_simhash ^ e.body_simhash) > options.max_distance);
  const bool content_changed = o.content_digest != 0 && e.content_digest != 0 && o.content_digest != e.content_digest;
  return o.title_digest != e.title_digest || body_changed || content_changed;
}

// Moves the entry's title and band keys to the changed observation's.
int apply_change(Store& store, const Id& id, const Observation& o, Stored& e) {
  int rc;
  if (o.title_digest != e.title_digest) {
    if ((rc = store.remove_title(id, e.title_digest)) != MDB_SUCCESS ||
        (rc = store.add_title(id, o.title_digest)) != MDB_SUCCESS)
      return rc;
    e.title_digest = o.title_digest;
    e.title_words = stored_title_words(o.title_words);
  }
  if (o.body_words != 0) e.body_words = o.body_words;
  if (o.content_digest != 0) e.content_digest = o.content_digest;
  if (o.body_simhash != 0 && o.body_simhash != e.body_simhash) {
    if ((rc = store.remove_bands(id, e.body_simhash)) != MDB_SUCCESS ||
        (rc = store.add_bands(id, o.body_simhash)) != MDB_SUCCESS)
      return rc;
    e.body_simhash = o.body_simhash;
  }
  return MDB_SUCCESS;
}

// A known article seen again: a change bumps its version (unless the last
// one is still unpublished), and its last-seen time is refreshed at most
// every touch interval to spare writes.
int observe_known(Store& store, const Id& id, const Observation& o, const DedupeOptions& options, std::int64_t now_s,
                  Stored& e, std::vector<Verdict>& verdicts) {
  int rc;
  const bool pending = e.version > e.published_version;
  const bool changed = is_change(o, e, options);
  bool dirty = false;
  if (changed) {
    if (!pending) ++e.version;  // a change to a version not yet published replaces it
    if ((rc = apply_change(store, id, o, e)) != MDB_SUCCESS) return rc;
    dirty = true;
  } else if (o.content_digest != 0 && e.content_digest == 0 && o.source == e.source) {
    e.content_digest = o.content_digest;  // the first digest an entry gets is its baseline
    dirty = true;
  }
  if (changed || now_s - e.last_seen >= options.touch_interval.count()) {
    if ((rc = store.remove_time(id, e.last_seen)) != MDB_SUCCESS || (rc = store.add_time(id, now_s)) != MDB_SUCCESS)
      return rc;
    e.last_seen = now_s;
    dirty = true;
  }
  if (dirty && (rc = store.put(id, e)) != MDB_SUCCESS) return rc;
  if (e.version > e.published_version) {
    verdicts.push_back(pending_verdict(e));
  } else {
    Verdict v;
    v.novelty = Novelty::unchanged;
    v.version = e.version;
    if (e.duplicate_of) v.duplicate_of = hex_id(e.duplicate_of->data());
    verdicts.push_back(std::move(v));
  }
  return MDB_SUCCESS;
}

}  // namespace

DedupeIndex::DedupeIndex(const std::filesystem::path& dir, DedupeOptions options)
    : options_(options), map_size_(options.map_size) {
  env_ = open_lmdb_store(dir, map_size_, 8, "dedupe index");
  MDB_env* env = env_.get();
  MDB_envinfo info;
  check_lmdb(mdb_env_info(env, &info), "mdb_env_info");
  map_size_ = info.me_mapsize;  // an existing, larger file keeps its size
  Txn txn(env, 0);
  check_lmdb(txn.status(), "mdb_txn_begin");
  check_lmdb(mdb_dbi_open(txn.get(), "entries", MDB_CREATE, &dbis_.entries), "mdb_dbi_open entries");
  check_lmdb(mdb_dbi_open(txn.get(), "bands", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &dbis_.bands),
        "mdb_dbi_open bands");
  check_lmdb(mdb_dbi_open(txn.get(), "by_time", MDB_CREATE, &dbis_.by_time), "mdb_dbi_open by_time");
  check_lmdb(mdb_dbi_open(txn.get(), "titles", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &dbis_.titles),
             "mdb_dbi_open titles");
  check_lmdb(txn.commit(), "mdb_txn_commit");
}

DedupeIndex::~DedupeIndex() = default;

// Runs `work(Store&)` in a write transaction and commits it; when the map
// is full, doubles it and runs the work again (a few times at most).
template <typename Work>
int DedupeIndex::write(Work&& work) {
  constexpr int kMaxGrowths = 8;
  for (int attempt = 0;; ++attempt) {
    int rc;
    {
      Txn txn(env_.get(), 0);
      if (txn.status() != MDB_SUCCESS) return txn.status();
      Store store(txn.get(), dbis_.entries, dbis_.bands, dbis_.by_time, dbis_.titles);
      rc = work(store);
      if (rc == MDB_SUCCESS) rc = txn.commit();
    }
    if (rc != MDB_MAP_FULL || attempt == kMaxGrowths) return rc;
    if (mdb_env_set_mapsize(env_.get(), map_size_ * 2) != MDB_SUCCESS) return rc;
    map_size_ *= 2;
    spdlog::info("dedupe index: map grown to {} KiB", map_size_ >> 10);
  }
}

std::optional<std::vector<Verdict>> DedupeIndex::observe(std::span<const Observation> batch, Clock::time_point now) {
  const std::optional<std::vector<Id>> ids = parse_batch_ids(batch);
  if (!ids) return std::nullopt;
  const std::int64_t now_s = to_seconds(now);
  std::vector<Verdict> verdicts;
  int rc = write([&](Store& store) {
    verdicts.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Stored e;
      int rc = store.get((*ids)[i], e);
      if (rc == MDB_NOTFOUND) {
        rc = observe_new(store, (*ids)[i], batch[i], options_, now_s, verdicts);
      } else if (rc == MDB_SUCCESS) {
        rc = observe_known(store, (*ids)[i], batch[i], options_, now_s, e, verdicts);
      }
      if (rc != MDB_SUCCESS) return rc;
    }
    std::size_t evicted = 0;
    return store.evict(now_s - options_.ttl.count(), options_.max_entries, batch.size() + kEvictionSlack, evicted);
  });
  if (rc != MDB_SUCCESS) {
    spdlog::error("dedupe index: cannot record {} observations: {}", batch.size(), mdb_strerror(rc));
    return std::nullopt;
  }
  return verdicts;
}

std::optional<Verdict> DedupeIndex::observe(const Observation& observation, Clock::time_point now) {
  auto verdicts = observe(std::span<const Observation>(&observation, 1), now);
  if (!verdicts) return std::nullopt;
  return std::move(verdicts->front());
}

bool DedupeIndex::mark_published(std::span<const PublishedVersion> published) {
  if (published.empty()) return true;
  int rc = write([&](Store& store) {
    for (const auto& p : published) {
      auto id = parse_id(p.id);
      if (!id) continue;
      Stored e;
      int rc = store.get(*id, e);
      if (rc == MDB_NOTFOUND) continue;
      if (rc != MDB_SUCCESS) return rc;
      if (p.version <= e.published_version) continue;
      e.published_version = p.version;
      if ((rc = store.put(*id, e)) != MDB_SUCCESS) return rc;
    }
    return MDB_SUCCESS;
  });
  if (rc != MDB_SUCCESS) {
    spdlog::error("dedupe index: cannot mark {} versions published: {}", published.size(), mdb_strerror(rc));
    return false;
  }
  return true;
}

bool DedupeIndex::restore(std::span<const PublishedStory> stories, Clock::time_point now) {
  if (stories.empty()) return true;
  const std::int64_t now_s = to_seconds(now);
  int rc = write([&](Store& store) {
    for (const auto& story : stories) {
      const Observation& o = story.observation;
      auto id = parse_id(o.id);
      if (!id) continue;
      Stored e;
      int rc = store.get(*id, e);
      const bool existed = rc == MDB_SUCCESS;
      if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return rc;
      if (existed && e.published_version >= story.version) continue;
      if (existed) {
        if ((rc = store.remove_bands(*id, e.body_simhash)) != MDB_SUCCESS ||
            (rc = store.remove_title(*id, e.title_digest)) != MDB_SUCCESS ||
            (rc = store.remove_time(*id, e.last_seen)) != MDB_SUCCESS)
          return rc;
      } else {
        e.first_seen = now_s;
        e.source = std::string(o.source);
      }
      e.version = e.published_version = story.version;
      e.last_seen = now_s;
      e.title_digest = o.title_digest;
      e.title_words = stored_title_words(o.title_words);
      e.body_simhash = o.body_simhash;
      e.body_words = o.body_words;
      e.duplicate_of = story.duplicate_of.empty() ? std::nullopt : parse_id(story.duplicate_of);
      if ((rc = store.put(*id, e)) != MDB_SUCCESS || (rc = store.add_bands(*id, e.body_simhash)) != MDB_SUCCESS ||
          (rc = store.add_title(*id, e.title_digest)) != MDB_SUCCESS || (rc = store.add_time(*id, now_s)) != MDB_SUCCESS)
        return rc;
    }
    return MDB_SUCCESS;
  });
  if (rc != MDB_SUCCESS) {
    spdlog::error("dedupe index: cannot restore {} stories: {}", stories.size(), mdb_strerror(rc));
    return false;
  }
  return true;
}

std::optional<std::size_t> DedupeIndex::expire(Clock::time_point now) {
  std::size_t total = 0;
  while (true) {
    std::size_t evicted = 0;
    int rc = write([&](Store& store) {
      evicted = 0;
      return store.evict(to_seconds(now) - options_.ttl.count(), options_.max_entries, kExpireChunk, evicted);
    });
    if (rc != MDB_SUCCESS) {
      spdlog::error("dedupe index: cannot expire entries: {}", mdb_strerror(rc));
      return std::nullopt;
    }
    total += evicted;
    if (evicted < kExpireChunk) return total;
  }
}

std::optional<DedupeEntry> DedupeIndex::find(std::string_view id) const {
  auto key = parse_id(id);
  if (!key) return std::nullopt;
  Txn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return std::nullopt;
  Store store(txn.get(), dbis_.entries, dbis_.bands, dbis_.by_time, dbis_.titles);
  Stored e;
  if (store.get(*key, e) != MDB_SUCCESS) return std::nullopt;
  DedupeEntry out;
  out.version = e.version;
  out.published_version = e.published_version;
  out.first_seen = from_seconds(e.first_seen);
  out.last_seen = from_seconds(e.last_seen);
  out.title_digest = e.title_digest;
  out.body_simhash = e.body_simhash;
  out.body_words = e.body_words;
  out.furniture = e.furniture;
  if (e.duplicate_of) out.duplicate_of = hex_id(e.duplicate_of->data());
  out.source = std::move(e.source);
  return out;
}

std::optional<NearDuplicate> DedupeIndex::find_near_duplicate(std::uint64_t simhash) const {
  Txn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return std::nullopt;
  Store store(txn.get(), dbis_.entries, dbis_.bands, dbis_.by_time, dbis_.titles);
  NearDuplicate near;
  if (store.nearest(simhash, options_.max_distance, near) != MDB_SUCCESS) return std::nullopt;
  return near;
}

std::size_t DedupeIndex::size() const {
  Txn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return 0;
  MDB_stat stat;
  if (mdb_stat(txn.get(), dbis_.entries, &stat) != MDB_SUCCESS) return 0;
  return stat.ms_entries;
}

DedupeStats DedupeIndex::stats() const {
  DedupeStats out;
  MDB_envinfo info;
  MDB_stat env_stat;
  if (mdb_env_info(env_.get(), &info) != MDB_SUCCESS || mdb_env_stat(env_.get(), &env_stat) != MDB_SUCCESS) return out;
  const std::uint64_t page = env_stat.ms_psize;
  out.file_bytes = static_cast<std::uint64_t>(info.me_last_pgno + 1) * page;
  Txn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return out;
  auto pages = [&](MDB_dbi dbi) -> std::uint64_t {
    MDB_stat stat;
    if (mdb_stat(txn.get(), dbi, &stat) != MDB_SUCCESS) return 0;
    if (dbi == dbis_.entries) out.entries = stat.ms_entries;
    return (stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) * page;
  };
  out.entry_bytes = pages(dbis_.entries);
  out.band_bytes = pages(dbis_.bands);  // sub-pages of duplicates live inside these leaves
  out.time_bytes = pages(dbis_.by_time);
  // The free list (dbi 0): each record is a list of page numbers, its length first.
  Cursor cursor(txn.get(), 0);
  if (cursor.status() != MDB_SUCCESS) return out;
  MDB_val key, data;
  for (int rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cursor.get(), &key, &data, MDB_NEXT)) {
    std::size_t count = 0;
    if (data.mv_size >= sizeof count) std::memcpy(&count, data.mv_data, sizeof count);
    out.free_bytes += count * page;
  }
  return out;
}

}  // namespace newsd::sinks
