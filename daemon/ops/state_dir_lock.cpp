#include "daemon/ops/state_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace newsd::daemon {
namespace {

std::string holder_pid(int fd) {
  char buffer[32] = {};
  ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  std::string pid(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}

}  // namespace

StateDirLock::StateDirLock(const std::filesystem::path& state_dir) : path_(state_dir / "lock") {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) throw std::runtime_error("state directory " + state_dir.string() + ": " + ec.message());
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd_ < 0)
    throw std::runtime_error("state directory lock " + path_.string() + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    std::string message = error == EWOULDBLOCK
                              ? "state directory " + state_dir.string() +
                                    " is in use by another newsd (pid " + holder_pid(fd_) +
                                    ", lock " + path_.string() +
                                    "); stop it first, or give this one its own state_dir"
                              : "state directory lock " + path_.string() + ": " + std::strerror(error);
    ::close(fd_);
    throw std::runtime_error(message);
  }
  // The PID is only a hint for the message above; the lock is the flock.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int error = errno;
    ::close(fd_);
    throw std::runtime_error("state directory lock " + path_.string() + ": " + std::strerror(error));
  }
}

StateDirLock::~StateDirLock() {
  // Closing drops the flock. The file stays: unlinking it would race with a
  // process that just opened it and is about to lock the old inode.
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace newsd::daemon
