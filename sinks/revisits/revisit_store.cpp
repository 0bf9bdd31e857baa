#include "sinks/revisits/revisit_store.hpp"

#include "sinks/lmdb/length_prefixed.hpp"
#include "sinks/lmdb/lmdb_env.hpp"
#include "sinks/lmdb/lmdb_txn.hpp"

#include <charconv>

#include <lmdb.h>
#include <spdlog/spdlog.h>

namespace newsd::sinks {

namespace {

// Address space, not disk: the file grows only as used. A revisit entry is
// a few hundred bytes; a million of them fit many times over.
constexpr std::size_t kMapSize = std::size_t(4) << 30;


// source \0 due (big-endian, so keys sort by time within a source) id
std::string due_key(std::string_view source, std::int64_t due, std::string_view id) {
  std::string key(source);
  key.push_back('\0');
  auto when = static_cast<std::uint64_t>(due);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((when >> shift) & 0xff));
  key += id;
  return key;
}

std::int64_t due_of(std::string_view key, std::size_t source_size) {
  std::uint64_t when = 0;
  for (std::size_t i = 0; i < 8; ++i)
    when = (when << 8) | static_cast<unsigned char>(key[source_size + 1 + i]);
  return static_cast<std::int64_t>(when);
}

void put_number(std::string& out, std::int64_t value) { put_field(out, std::to_string(value)); }

template <typename Number>
bool take_number(std::string_view& in, Number& out) {
  std::string text;
  if (!take_field(in, text)) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

int put_entry(MDB_txn* txn, unsigned int due, unsigned int by_id, const Revisit& revisit) {
  const std::string key = due_key(revisit.source, revisit.due, revisit.id);
  const std::string bytes = encode_revisit(revisit);
  MDB_val k = lmdb_val(key), v = lmdb_val(bytes);
  int rc = mdb_put(txn, due, &k, &v, 0);
  if (rc != MDB_SUCCESS) return rc;
  MDB_val id = lmdb_val(revisit.id);
  return mdb_put(txn, by_id, &id, &k, 0);
}

}  // namespace

std::string encode_revisit(const Revisit& r) {
  std::string out;
  put_field(out, "r1");
  put_field(out, r.id);
  put_field(out, r.source);
  put_field(out, r.url);
  put_field(out, r.topic);
  put_number(out, r.published);
  put_number(out, r.due);
  put_number(out, r.step);
  put_number(out, r.misses);
  put_number(out, r.failures);
  put_field(out, r.etag);
  put_field(out, r.last_modified);
  return out;
}

std::optional<Revisit> decode_revisit(std::string_view in) {
  std::string format;
  Revisit r;
  if (!take_field(in, format) || format != "r1" || !take_field(in, r.id) || !take_field(in, r.source) ||
      !take_field(in, r.url) || !take_field(in, r.topic) || !take_number(in, r.published) ||
      !take_number(in, r.due) || !take_number(in, r.step) || !take_number(in, r.misses) ||
      !take_number(in, r.failures) || !take_field(in, r.etag) || !take_field(in, r.last_modified))
    return std::nullopt;
  return r;
}

RevisitStore::RevisitStore(const std::filesystem::path& dir)
    : env_(open_lmdb_store(dir, kMapSize, 4, "revisit schedule")) {
  LmdbTxn txn(env_.get(), 0);
  check_lmdb(txn.status(), "mdb_txn_begin");
  check_lmdb(mdb_dbi_open(txn.get(), "due", MDB_CREATE, &due_), "mdb_dbi_open due");
  check_lmdb(mdb_dbi_open(txn.get(), "by_id", MDB_CREATE, &by_id_), "mdb_dbi_open by_id");
  check_lmdb(txn.commit(), "mdb_txn_commit");
}

RevisitStore::~RevisitStore() = default;

bool RevisitStore::add(std::span<const Revisit> revisits) {
  if (revisits.empty()) return true;
  LmdbTxn txn(env_.get(), 0);
  int rc = txn.status();
  for (const auto& revisit : revisits) {
    if (rc != MDB_SUCCESS) break;
    MDB_val id = lmdb_val(revisit.id), existing;
    rc = mdb_get(txn.get(), by_id_, &id, &existing);
    if (rc == MDB_SUCCESS) continue;  // already scheduled
    if (rc == MDB_NOTFOUND) rc = put_entry(txn.get(), due_, by_id_, revisit);
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) spdlog::error("revisits: cannot schedule {} pages: {}", revisits.size(), mdb_strerror(rc));
  return rc == MDB_SUCCESS;
}

std::vector<Revisit> RevisitStore::due(std::string_view source, std::int64_t now, std::size_t limit) const {
  std::vector<Revisit> out;
  LmdbTxn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return out;
  LmdbCursor cursor(txn.get(), due_);
  if (cursor.status() != MDB_SUCCESS) return out;
  const std::string first = due_key(source, 0, "");
  MDB_val key = lmdb_val(first), value;
  int rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_SET_RANGE);
  for (; rc == MDB_SUCCESS && out.size() < limit; rc = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
    const auto k = lmdb_view(key);
    if (k.size() < first.size() || k.compare(0, source.size() + 1, first, 0, source.size() + 1) != 0) break;
    if (due_of(k, source.size()) > now) break;
    if (auto revisit = decode_revisit(lmdb_view(value)))
      out.push_back(std::move(*revisit));
    else
      spdlog::error("revisits: an unreadable entry of source {} is skipped", source);
  }
  return out;
}

bool RevisitStore::replace(const Revisit& before, const std::optional<Revisit>& after) {
  LmdbTxn txn(env_.get(), 0);
  int rc = txn.status();
  const std::string old_key = due_key(before.source, before.due, before.id);
  MDB_val k = lmdb_val(old_key), id = lmdb_val(before.id);
  if (rc == MDB_SUCCESS) {
    rc = mdb_del(txn.get(), due_, &k, nullptr);
    if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;
  }
  if (rc == MDB_SUCCESS) {
    rc = after ? put_entry(txn.get(), due_, by_id_, *after) : mdb_del(txn.get(), by_id_, &id, nullptr);
    if (rc == MDB_NOTFOUND) rc = MDB_SUCCESS;
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) spdlog::error("revisits: cannot reschedule {}: {}", before.url, mdb_strerror(rc));
  return rc == MDB_SUCCESS;
}

std::optional<std::size_t> RevisitStore::retain_sources(const std::set<std::string>& sources) {
  LmdbTxn txn(env_.get(), 0);
  int rc = txn.status();
  std::size_t forgotten = 0;
  if (rc == MDB_SUCCESS) {
    LmdbCursor cursor(txn.get(), due_);
    rc = cursor.status();
    MDB_val key, value;
    int at = rc == MDB_SUCCESS ? mdb_cursor_get(cursor.get(), &key, &value, MDB_FIRST) : rc;
    for (; at == MDB_SUCCESS && rc == MDB_SUCCESS; at = mdb_cursor_get(cursor.get(), &key, &value, MDB_NEXT)) {
      const auto k = lmdb_view(key);
      if (sources.contains(std::string(k.substr(0, k.find('\0'))))) continue;
      auto revisit = decode_revisit(lmdb_view(value));
      if ((rc = mdb_cursor_del(cursor.get(), 0)) != MDB_SUCCESS) break;
      if (revisit) {
        MDB_val id = lmdb_val(revisit->id);
        if ((rc = mdb_del(txn.get(), by_id_, &id, nullptr)) == MDB_NOTFOUND) rc = MDB_SUCCESS;
      }
      ++forgotten;
    }
  }
  if (rc == MDB_SUCCESS) rc = txn.commit();
  if (rc != MDB_SUCCESS) {
    spdlog::error("revisits: cannot forget the entries of removed sources: {}", mdb_strerror(rc));
    return std::nullopt;
  }
  return forgotten;
}

std::optional<Revisit> RevisitStore::find(std::string_view id) const {
  LmdbTxn txn(env_.get(), MDB_RDONLY);
  if (txn.status() != MDB_SUCCESS) return std::nullopt;
  MDB_val key = lmdb_val(id), where, value;
  if (mdb_get(txn.get(), by_id_, &key, &where) != MDB_SUCCESS) return std::nullopt;
  if (mdb_get(txn.get(), due_, &where, &value) != MDB_SUCCESS) return std::nullopt;
  return decode_revisit(lmdb_view(value));
}

std::size_t RevisitStore::size() const {
  LmdbTxn txn(env_.get(), MDB_RDONLY);
  MDB_stat stat;
  if (txn.status() != MDB_SUCCESS || mdb_stat(txn.get(), by_id_, &stat) != MDB_SUCCESS) return 0;
  return stat.ms_entries;
}

}  // namespace newsd::sinks
