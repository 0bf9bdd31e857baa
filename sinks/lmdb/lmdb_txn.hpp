#pragma once
// RAII for LMDB's handles, shared by the stores in sinks/: a transaction
// that is aborted unless committed, a cursor closed at scope end, and the
// start-up check that turns an LMDB error into an exception.
#include <stdexcept>
#include <string>
#include <string_view>

#include <lmdb.h>

namespace newsd::sinks {

// Bytes as LMDB keys and values, both ways (LMDB does not write through mv_data).
inline MDB_val lmdb_val(std::string_view bytes) { return {bytes.size(), const_cast<char*>(bytes.data())}; }
inline std::string_view lmdb_view(const MDB_val& value) {
  return {static_cast<const char*>(value.mv_data), value.mv_size};
}

// Start-up only: an LMDB failure becomes std::runtime_error naming the call.
inline void check_lmdb(int rc, const char* what) {
  if (rc != MDB_SUCCESS) throw std::runtime_error(std::string(what) + ": " + mdb_strerror(rc));
}

class LmdbTxn {
 public:
  LmdbTxn(MDB_env* env, unsigned int flags) { rc_ = mdb_txn_begin(env, nullptr, flags, &txn_); }
  ~LmdbTxn() {
    if (txn_) mdb_txn_abort(txn_);
  }
  LmdbTxn(const LmdbTxn&) = delete;
  LmdbTxn& operator=(const LmdbTxn&) = delete;
  int status() const { return rc_; }  // of mdb_txn_begin
  MDB_txn* get() const { return txn_; }
  int commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    return rc;
  }

 private:
  MDB_txn* txn_ = nullptr;
  int rc_ = MDB_SUCCESS;
};

// Always inside its transaction's scope.
class LmdbCursor {
 public:
  LmdbCursor(MDB_txn* txn, MDB_dbi dbi) { rc_ = mdb_cursor_open(txn, dbi, &cursor_); }
  ~LmdbCursor() {
    if (cursor_) mdb_cursor_close(cursor_);
  }
  LmdbCursor(const LmdbCursor&) = delete;
  LmdbCursor& operator=(const LmdbCursor&) = delete;
  int status() const { return rc_; }
  MDB_cursor* get() const { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
  int rc_ = MDB_SUCCESS;
};

}  // namespace newsd::sinks
