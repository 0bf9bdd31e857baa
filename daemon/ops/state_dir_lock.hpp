#pragma once
// StateDirLock: the exclusive claim of one newsd process on its state
// directory. Two processes on one directory would reuse outbox sequence
// numbers and publish keys twice, so the second one must not start. An
// flock(2) on `state_dir/lock`, held for the owner's life (the kernel drops
// it when the process dies, so a crash never leaves a stale lock); the file
// holds the holder's PID for the message the next one prints. Owned by the
// daemon, acquired before any store is opened.
#include <filesystem>

namespace newsd::daemon {

class StateDirLock {
 public:
  // Creates the directory when needed and takes the lock. Throws
  // std::runtime_error when it cannot, naming the PID of the process that
  // holds it.
  explicit StateDirLock(const std::filesystem::path& state_dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace newsd::daemon
