#pragma once
// PublishedStore: the persistent set of article ids that Kafka acknowledged,
// in an LMDB environment under the state directory. Every batch of marks is
// one durable transaction, so a crash at any instant loses nothing that was
// acknowledged before it and never corrupts the store. Owned by the daemon;
// used from the event loop thread only.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct MDB_env;

namespace newsd::sinks {

class PublishedStore {
 public:
  // Opens (creating if needed) the store in `dir`. Throws std::runtime_error
  // when it cannot: a start-up mistake (bad path, permissions, disk).
  explicit PublishedStore(const std::filesystem::path& dir);
  ~PublishedStore();
  PublishedStore(const PublishedStore&) = delete;
  PublishedStore& operator=(const PublishedStore&) = delete;

  bool contains(std::string_view id) const;

  // Marks ids published in one durable transaction. Returns false (and logs
  // why) when the write failed; the ids then stay unpublished.
  bool mark_published(std::span<const std::string> ids, std::chrono::system_clock::time_point when);

  std::size_t size() const;

 private:
  struct EnvDeleter {
    void operator()(MDB_env* env) const;
  };
  std::unique_ptr<MDB_env, EnvDeleter> env_;
  unsigned int dbi_ = 0;
};

}  // namespace newsd::sinks
