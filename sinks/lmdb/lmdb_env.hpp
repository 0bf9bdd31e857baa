#pragma once
// open_lmdb_env: the one way the stores in sinks/ open their LMDB
// environment, with the check that a damaged file is reported at start-up
// instead of killing newsd later. LMDB maps the file and trusts it: a
// data.mdb cut short makes the first read past its end die of SIGBUS, and
// an empty one is silently taken for a new store. So before anything reads
// the map, the file must be at least as long as its meta page says, and
// every table is walked once so that a damaged page is an error now.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string_view>

struct MDB_env;

namespace newsd::sinks {

struct LmdbEnvDeleter {
  void operator()(MDB_env* env) const;
};
using LmdbEnv = std::unique_ptr<MDB_env, LmdbEnvDeleter>;

// A store's environment: created with `map_size` bytes of address space
// (the file grows only as used) and room for `max_dbs` tables, then opened
// with open_lmdb_env(). Throws std::runtime_error as it does.
LmdbEnv open_lmdb_store(const std::filesystem::path& dir, std::size_t map_size, unsigned int max_dbs,
                        std::string_view what);

// Opens `env` (created by the caller, map size and table count set) on the
// store in `dir`, creating `dir` when needed. Throws std::runtime_error
// naming `what` when it cannot, and, when the store is damaged, naming the
// file and saying what to do. A new store starts only where no data.mdb is.
void open_lmdb_env(MDB_env* env, const std::filesystem::path& dir, std::string_view what);

}  // namespace newsd::sinks
