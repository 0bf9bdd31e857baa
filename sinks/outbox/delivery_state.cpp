#include "sinks/outbox/delivery_state.hpp"

#include "sinks/lmdb/lmdb_env.hpp"
#include "sinks/lmdb/length_prefixed.hpp"
#include "sinks/lmdb/lmdb_txn.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <lmdb.h>
#include <spdlog/spdlog.h>

namespace newsd::sinks {
namespace {

constexpr std::size_t kMapSize = std::size_t(16) << 30;  // address space only; the file grows as used

using Txn = LmdbTxn;

// Outbox keys are big-endian sequence numbers so that LMDB's byte order is
// persistence order.
std::array<unsigned char, 8> sequence_key(std::uint64_t sequence) {
  std::array<unsigned char, 8> key{};
  for (int i = 7; i >= 0; --i, sequence >>= 8) key[i] = static_cast<unsigned char>(sequence & 0xff);
  return key;
}

std::uint64_t sequence_of(const MDB_val& key) {
  std::uint64_t sequence = 0;
  const auto* bytes = static_cast<const unsigned char*>(key.mv_data);
  for (std::size_t i = 0; i < key.mv_size && i < 8; ++i) sequence = (sequence << 8) | bytes[i];
  return sequence;
}


}  // namespace

std::string_view story_of(std::string_view outbox_id) {
  return outbox_id.substr(0, outbox_id.find('#'));
}

std::string further_record_id(std::string_view story_id, std::string_view what) {
  std::string id(story_id);
  id += '#';
  id += what;
  return id;
}

std::string encode_outbox_record(std::string_view id, const OutRecord& record) {
  std::string out;
  out.reserve(id.size() + record.topic.size() + record.key.size() + record.value.size() + 64);
  // v1: id, topic, key, value, headers; v2 adds a last field of flags,
  // comma-separated ("null": a tombstone; "partition=N"). Records with
  // neither are still written as v1.
  std::string flags;
  if (record.null_value) flags = "null";
  if (record.partition >= 0) flags += (flags.empty() ? "" : ",") + ("partition=" + std::to_string(record.partition));
  put_field(out, flags.empty() ? "v1" : "v2");
  put_field(out, id);
  put_field(out, record.topic);
  put_field(out, record.key);
  put_field(out, record.value);
  put_field(out, std::to_string(record.headers.size()));
  for (const auto& [name, value] : record.headers) {
    put_field(out, name);
    put_field(out, value);
  }
  if (!flags.empty()) put_field(out, flags);
  return out;
}

std::optional<std::pair<std::string, OutRecord>> decode_outbox_record(std::string_view bytes) {
  std::string version, id, count;
  OutRecord record;
  if (!take_field(bytes, version) || (version != "v1" && version != "v2") || !take_field(bytes, id) ||
      !take_field(bytes, record.topic) || !take_field(bytes, record.key) ||
      !take_field(bytes, record.value) || !take_field(bytes, count))
    return std::nullopt;
  std::size_t headers = 0;
  try {
    headers = std::stoul(count);
  } catch (...) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < headers; ++i) {
    std::string name, value;
    if (!take_field(bytes, name) || !take_field(bytes, value)) return std::nullopt;
    record.headers.emplace_back(std::move(name), std::move(value));
  }
  if (version == "v2") {
    std::string flags;
    if (!take_field(bytes, flags)) return std::nullopt;
    for (std::size_t at = 0; at <= flags.size();) {
      auto end = std::min(flags.find(',', at), flags.size());
      std::string_view flag(flags.data() + at, end - at);
      if (flag == "null") record.null_value = true;
      if (flag.starts_with("partition=")) {
        flag.remove_prefix(10);
        std::int32_t partition = -1;
        auto [ptr, ec] = std::from_chars(flag.data(), flag.data() + flag.size(), partition);
        if (ec != std::errc() || ptr != flag.data() + flag.size() || partition < 0) return std::nullopt;
        record.partition = partition;
      }
      at = end + 1;
    }
  }
  return std::pair{std::move(id), std::move(record)};
}

DeliveryState::DeliveryState(const std::filesystem::path& dir)
    : env_(open_lmdb_store(dir, kMapSize, 8, "state directory")) {
  MDB_env* env = env_.get();
  Txn txn(env, 0);
  check_lmdb(txn.status(), "mdb_txn_begin");
  check_lmdb(mdb_dbi_open(txn.get(), "published", MDB_CREATE, &published_), "mdb_dbi_open published");
  check_lmdb(mdb_dbi_open(txn.get(), "outbox", MDB_CREATE, &outbox_), "mdb_dbi_open outbox");
  check_lmdb(mdb_dbi_open(txn.get(), "unapplied", MDB_CREATE, &unapplied_), "mdb_dbi_open unapplied");
  {
    LmdbCursor cursor(txn.get(), outbox_);
    check_lmdb(cursor.status(), "mdb_cursor_open");
    MDB_val key, value;
    if (mdb_cursor_get(cursor.get(), &key, &value, MDB_LAST) == MDB_SUCCESS)
      next_sequence_ = sequence_of(key) + 1;
  }
  check_lmdb(txn.commit(), "mdb_txn_commit");
}

DeliveryState::~DeliveryState() = default;

std::uint32_t record_version(const OutRecord& record) {
  for (const auto& [name, value] : record.headers) {
    if (name != "version") continue;
    std::uint32_t version = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), version);
    if (ec == std::errc{} && end == value.data() + value.size() && version > 0) return version;
  }
  return 1;
}

namespace {

// A published-set value: the acknowledgement time (seconds, 8 bytes) and
// the version (4 bytes). Stores written before versions were kept hold the
// time only: version 1.
struct PublishedValue {
  std::int64_t stamp = 0;
  std::uint32_t version = 1;
};

std::optional<PublishedValue> read_published(MDB_txn* txn, MDB_dbi dbi, std::string_view id) {
  MDB_val key = lmdb_val(id);
  MDB_val value;
  if (mdb_get(txn, dbi, &key, &value) != MDB_SUCCESS) return std::nullopt;
  PublishedValue out;
  if (value.mv_size >= sizeof out.stamp) std::memcpy(&out.stamp, value.mv_data, sizeof out.stamp);
  if (value.mv_size >= sizeof out.stamp + sizeof out.version)
    std::memcpy(&out.version, static_cast<const char*>(value.mv_data) + sizeof out.stamp, sizeof out.version);
  return out;
}

}  // namespace

namespace {

// A journal value: the version (4 bytes); 1 when it is not that.
std::uint32_t journal_version(const MDB_val& value) {
  std::uint32_t version = 1;
  if (value.mv_size == sizeof version) std::memcpy(&version, value.mv_data, sizeof version);
  return version;
}

// Calls visit(key, value) for every entry of `dbi`, in key order, in one read
// transaction.
template <typename Visit>
void for_each_entry(MDB_env* env, MDB_dbi dbi, Visit&& visit) {
  Txn txn(env, MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return;
  LmdbCursor cursor(txn.get(), dbi);
  if (cursor.status() != MDB_SUCCESS) return;
  MDB_val key, value;
  for (int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT))
    visit(key, value);
}

}  // namespace

std::optional<std::uint32_t> DeliveryState::published_version(std::string_view id) const {
  Txn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return std::nullopt;
  auto value = read_published(txn.get(), published_, id);
  if (!value) return std::nullopt;
  return value->version;
}

std::optional<std::vector<OutboxEntry>> DeliveryState::enqueue(
    std::vector<std::pair<std::string, OutRecord>> records) {
  std::vector<OutboxEntry> entries;
  entries.reserve(records.size());
  Txn txn(env_.get(), 0);
  int rc = txn.status();
  std::uint64_t sequence = next_sequence_;
  for (auto& [id, record] : records) {
    if (rc != MDB_SUCCESS) break;
    auto key_bytes = sequence_key(sequence);
    MDB_val key{key_bytes.size(), key_bytes.data()};
    std::string bytes = encode_outbox_record(id, record);
    MDB_val value = lmdb_val(bytes);
    rc = mdb_put(txn.get(), outbox_, &key, &value, MDB_APPEND);
    entries.push_back({sequence++, std::move(id), std::move(record)});
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) {
    spdlog::error("outbox: cannot persist {} records: {}", records.size(), mdb_strerror(rc));
    return std::nullopt;
  }
  next_sequence_ = sequence;
  return entries;
}

bool DeliveryState::acknowledge(std::span<const Acknowledgement> acks, std::chrono::system_clock::time_point when) {
  if (acks.empty()) return true;
  const std::int64_t stamp = std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
  Txn txn(env_.get(), 0);
  int rc = txn.status();
  for (const auto& ack : acks) {
    if (rc != MDB_SUCCESS) break;
    std::uint32_t version = ack.version;
    if (auto previous = read_published(txn.get(), published_, ack.id)) version = std::max(version, previous->version);
    char bytes[sizeof stamp + sizeof version];
    std::memcpy(bytes, &stamp, sizeof stamp);
    std::memcpy(bytes + sizeof stamp, &version, sizeof version);
    MDB_val key = lmdb_val(ack.id);
    MDB_val value{sizeof bytes, bytes};
    rc = mdb_put(txn.get(), published_, &key, &value, 0);
    if (rc != MDB_SUCCESS) break;
    MDB_val journal_value{sizeof version, &version};
    rc = mdb_put(txn.get(), unapplied_, &key, &journal_value, 0);
    if (rc != MDB_SUCCESS) break;
    auto key_bytes = sequence_key(ack.sequence);
    MDB_val outbox_key{key_bytes.size(), key_bytes.data()};
    rc = mdb_del(txn.get(), outbox_, &outbox_key, nullptr);
    if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;  // acknowledged twice (replayed): fine
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) {
    spdlog::error("delivery state: cannot record {} acknowledgements: {}", acks.size(), mdb_strerror(rc));
    return false;
  }
  return true;
}

std::vector<std::pair<std::string, std::uint32_t>> DeliveryState::unapplied() const {
  std::vector<std::pair<std::string, std::uint32_t>> out;
  for_each_entry(env_.get(), unapplied_, [&](const MDB_val& key, const MDB_val& value) {
    out.emplace_back(std::string(static_cast<const char*>(key.mv_data), key.mv_size), journal_version(value));
  });
  return out;
}

bool DeliveryState::applied(std::span<const std::pair<std::string, std::uint32_t>> versions) {
  if (versions.empty()) return true;
  Txn txn(env_.get(), 0);
  int rc = txn.status();
  for (const auto& [id, version] : versions) {
    if (rc != MDB_SUCCESS) break;
    MDB_val key = lmdb_val(id), value;
    rc = mdb_get(txn.get(), unapplied_, &key, &value);
    if (rc == MDB_NOTFOUND) {
      rc = MDB_SUCCESS;
      continue;
    }
    if (rc != MDB_SUCCESS) break;
    if (journal_version(value) <= version) rc = mdb_del(txn.get(), unapplied_, &key, nullptr);
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) {
    spdlog::error("delivery state: cannot clear {} applied acknowledgements: {}", versions.size(), mdb_strerror(rc));
    return false;
  }
  return true;
}

bool DeliveryState::discard(std::span<const std::uint64_t> sequences) {
  if (sequences.empty()) return true;
  Txn txn(env_.get(), 0);
  int rc = txn.status();
  for (auto sequence : sequences) {
    if (rc != MDB_SUCCESS) break;
    auto key_bytes = sequence_key(sequence);
    MDB_val key{key_bytes.size(), key_bytes.data()};
    rc = mdb_del(txn.get(), outbox_, &key, nullptr);
    if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) {
    spdlog::error("outbox: cannot discard {} entries: {}", sequences.size(), mdb_strerror(rc));
    return false;
  }
  return true;
}

std::vector<OutboxEntry> DeliveryState::outbox() const {
  std::vector<OutboxEntry> entries;
  for_each_entry(env_.get(), outbox_, [&](const MDB_val& key, const MDB_val& value) {
    auto decoded = decode_outbox_record(lmdb_view(value));
    if (!decoded) {
      spdlog::error("outbox: entry {} is unreadable; skipped", sequence_of(key));
      return;
    }
    entries.push_back({sequence_of(key), std::move(decoded->first), std::move(decoded->second)});
  });
  return entries;
}

std::size_t DeliveryState::entries(unsigned int dbi) const {
  Txn txn(env_.get(), MDB_RDONLY);
  MDB_stat stat;
  if (txn.status() != MDB_SUCCESS || mdb_stat(txn.get(), dbi, &stat) != MDB_SUCCESS) return 0;
  return stat.ms_entries;
}

std::size_t DeliveryState::outbox_size() const { return entries(outbox_); }
std::size_t DeliveryState::published_size() const { return entries(published_); }

}  // namespace newsd::sinks
