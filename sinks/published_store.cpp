#include "sinks/published_store.hpp"

#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <lmdb.h>
#include <spdlog/spdlog.h>

namespace newsd::sinks {
namespace {

constexpr std::size_t kMapSize = std::size_t(4) << 30;  // address space only; the file grows as used

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw std::runtime_error(std::string(what) + ": " + mdb_strerror(rc));
}

// A read transaction that is always ended.
class ReadTxn {
 public:
  explicit ReadTxn(MDB_env* env) { check(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_), "mdb_txn_begin"); }
  ~ReadTxn() { mdb_txn_abort(txn_); }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

}  // namespace

void PublishedStore::EnvDeleter::operator()(MDB_env* env) const { mdb_env_close(env); }

PublishedStore::PublishedStore(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("state directory " + dir.string() + ": " + ec.message());
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "mdb_env_create");
  env_.reset(env);
  check(mdb_env_set_mapsize(env, kMapSize), "mdb_env_set_mapsize");
  check(mdb_env_set_maxdbs(env, 8), "mdb_env_set_maxdbs");
  int rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0640);
  if (rc != MDB_SUCCESS)
    throw std::runtime_error("state directory " + dir.string() + ": " + mdb_strerror(rc));
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
  rc = mdb_dbi_open(txn, "published", MDB_CREATE, &dbi_);
  if (rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    check(rc, "mdb_dbi_open");
  }
  check(mdb_txn_commit(txn), "mdb_txn_commit");
}

PublishedStore::~PublishedStore() = default;

bool PublishedStore::contains(std::string_view id) const {
  ReadTxn txn(env_.get());
  MDB_val key{id.size(), const_cast<char*>(id.data())};
  MDB_val value;
  return mdb_get(txn.get(), dbi_, &key, &value) == MDB_SUCCESS;
}

bool PublishedStore::mark_published(std::span<const std::string> ids,
                                    std::chrono::system_clock::time_point when) {
  if (ids.empty()) return true;
  std::int64_t stamp =
      std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_.get(), nullptr, 0, &txn);
  for (std::size_t i = 0; rc == MDB_SUCCESS && i < ids.size(); ++i) {
    MDB_val key{ids[i].size(), const_cast<char*>(ids[i].data())};
    MDB_val value{sizeof stamp, &stamp};
    rc = mdb_put(txn, dbi_, &key, &value, 0);
  }
  if (rc == MDB_SUCCESS) {
    rc = mdb_txn_commit(txn);
  } else if (txn) {
    mdb_txn_abort(txn);
  }
  if (rc != MDB_SUCCESS) {
    spdlog::error("published store: cannot record {} ids: {}", ids.size(), mdb_strerror(rc));
    return false;
  }
  return true;
}

std::size_t PublishedStore::size() const {
  ReadTxn txn(env_.get());
  MDB_stat stat;
  if (mdb_stat(txn.get(), dbi_, &stat) != MDB_SUCCESS) return 0;
  return stat.ms_entries;
}

}  // namespace newsd::sinks
