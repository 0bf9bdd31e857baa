#include "sinks/lmdb/lmdb_env.hpp"

#include <setjmp.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include <lmdb.h>

#include "sinks/lmdb/lmdb_txn.hpp"

namespace newsd::sinks {
namespace {

namespace fs = std::filesystem;

// Not an LMDB code: reading the map faulted (SIGBUS / SIGSEGV).
constexpr int kFault = -1;

[[noreturn]] void throw_damaged(const fs::path& file, const std::string& why) {
  // Stores live in state_dir/<name>/data.mdb.
  const std::string state = file.parent_path().parent_path().string();
  throw std::runtime_error(
      file.string() + " is damaged (" + why +
      "). newsd cannot use it and does not repair it: stop newsd, move the state directory away "
      "(mv " + state + " " + state + ".damaged), rebuild it from Kafka with `newsd rebuild-state "
      "--config FILE` and start newsd again (without the rebuild it starts empty and may publish "
      "articles again that it published before).");
}

bool is_damage(int rc) {
  return rc == kFault || rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
         rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN || rc == MDB_INCOMPATIBLE;
}

// The walk below runs with these handlers; a fault on another thread finds
// no jump buffer and gets the default action, exactly as before.
thread_local sigjmp_buf* t_fault_jump = nullptr;

void on_fault(int signal) {
  if (t_fault_jump != nullptr) siglongjmp(*t_fault_jump, 1);
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigaction(signal, &fallback, nullptr);  // returning re-runs the fault, now fatal
}

int walk_table(MDB_txn* txn, MDB_dbi dbi, MDB_cursor** cursor) {
  int rc = mdb_cursor_open(txn, dbi, cursor);
  if (rc != MDB_SUCCESS) return rc;
  MDB_val key, value;
  for (rc = mdb_cursor_get(*cursor, &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(*cursor, &key, &value, MDB_NEXT)) {
  }
  mdb_cursor_close(*cursor);
  *cursor = nullptr;
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

// Reads every entry of the main table and of each named table in it. Plain
// C: it may be left by siglongjmp, which must skip no destructor. Handles
// are returned through the pointers so the caller can release them.
int walk_every_table(MDB_env* env, MDB_txn** txn, MDB_cursor** main_cursor, MDB_cursor** cursor) {
  int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, txn);
  if (rc != MDB_SUCCESS) return rc;
  MDB_dbi main_dbi;
  rc = mdb_dbi_open(*txn, nullptr, 0, &main_dbi);
  if (rc != MDB_SUCCESS) return rc;
  rc = mdb_cursor_open(*txn, main_dbi, main_cursor);
  if (rc != MDB_SUCCESS) return rc;
  MDB_val key, value;
  for (rc = mdb_cursor_get(*main_cursor, &key, &value, MDB_FIRST); rc == MDB_SUCCESS;
       rc = mdb_cursor_get(*main_cursor, &key, &value, MDB_NEXT)) {
    char name[256];
    if (key.mv_size == 0 || key.mv_size >= sizeof name) return MDB_CORRUPTED;
    std::memcpy(name, key.mv_data, key.mv_size);
    name[key.mv_size] = '\0';
    MDB_dbi dbi;
    int open_rc = mdb_dbi_open(*txn, name, 0, &dbi);
    if (open_rc != MDB_SUCCESS) return open_rc;
    if (int walk_rc = walk_table(*txn, dbi, cursor); walk_rc != MDB_SUCCESS) return walk_rc;
  }
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

// walk_every_table with SIGBUS and SIGSEGV turned into kFault for its
// duration. Start-up only: the handlers are process-wide.
int guarded_walk(MDB_env* env) {
  struct sigaction action {}, old_bus {}, old_segv {};
  action.sa_handler = on_fault;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &old_bus);
  sigaction(SIGSEGV, &action, &old_segv);
  sigjmp_buf jump;
  MDB_txn* txn = nullptr;
  MDB_cursor* main_cursor = nullptr;
  MDB_cursor* cursor = nullptr;
  // volatile: their values must survive a siglongjmp back here.
  MDB_txn* volatile* txn_slot = &txn;
  MDB_cursor* volatile* main_cursor_slot = &main_cursor;
  MDB_cursor* volatile* cursor_slot = &cursor;
  volatile int rc = MDB_SUCCESS;
  if (sigsetjmp(jump, 1) == 0) {
    t_fault_jump = &jump;
    rc = walk_every_table(env, &txn, &main_cursor, &cursor);
  } else {
    rc = kFault;
  }
  t_fault_jump = nullptr;
  sigaction(SIGBUS, &old_bus, nullptr);
  sigaction(SIGSEGV, &old_segv, nullptr);
  // Closing a read transaction's cursor only frees it: the damaged map is
  // not touched again, even after a fault.
  if (*cursor_slot) mdb_cursor_close(*cursor_slot);
  if (*main_cursor_slot) mdb_cursor_close(*main_cursor_slot);
  if (*txn_slot) mdb_txn_abort(*txn_slot);  // a read transaction: releases its reader slot only
  return rc;
}

std::uintmax_t size_of(const fs::path& file, bool& exists) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  exists = !ec;
  return ec ? 0 : size;
}

}  // namespace

void open_lmdb_env(MDB_env* env, const fs::path& dir, std::string_view what) {
  const std::string name(what);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(name + " " + dir.string() + ": " + ec.message());

  // LMDB writes its two meta pages when it creates a store; a data.mdb
  // shorter than that was cut, not created, and LMDB would start afresh.
  const fs::path file = dir / "data.mdb";
  const auto page = static_cast<std::uintmax_t>(::sysconf(_SC_PAGESIZE));
  bool exists = false;
  auto size = size_of(file, exists);
  if (exists && size < 2 * page)
    throw_damaged(file, std::to_string(size) + " bytes, shorter than the two meta pages every LMDB file starts with");

  int rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0640);
  if (is_damage(rc)) throw_damaged(file, mdb_strerror(rc));
  if (rc != MDB_SUCCESS) throw std::runtime_error(name + " " + dir.string() + ": " + mdb_strerror(rc));

  // No check of the file's size against the meta page's last page number:
  // LMDB counts pages a transaction allocated and freed again ("loose"
  // pages) without ever writing them, so a healthy file killed mid-run can
  // be shorter than that (seen after SIGKILL). What matters is that every
  // page the trees reference is readable: the guarded walk reads them all,
  // and a reference past the end of a cut file faults there.
  rc = guarded_walk(env);
  if (rc == kFault) throw_damaged(file, "reading it faulted: a damaged page points outside the file");
  if (is_damage(rc)) throw_damaged(file, mdb_strerror(rc));
  if (rc != MDB_SUCCESS) throw std::runtime_error(name + " " + dir.string() + ": " + mdb_strerror(rc));
}

void LmdbEnvDeleter::operator()(MDB_env* env) const { mdb_env_close(env); }

LmdbEnv open_lmdb_store(const fs::path& dir, std::size_t map_size, unsigned int max_dbs, std::string_view what) {
  MDB_env* created = nullptr;
  check_lmdb(mdb_env_create(&created), "mdb_env_create");
  LmdbEnv env(created);
  check_lmdb(mdb_env_set_mapsize(created, map_size), "mdb_env_set_mapsize");
  check_lmdb(mdb_env_set_maxdbs(created, max_dbs), "mdb_env_set_maxdbs");
  open_lmdb_env(created, dir, what);
  return env;
}

}  // namespace newsd::sinks
