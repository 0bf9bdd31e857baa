#include "daemon/config/bounded_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>

namespace newsd::daemon {
namespace {

std::string too_large(std::size_t max_bytes) {
  return "is larger than the limit of " + std::to_string(max_bytes) + " bytes";
}

}  // namespace

BoundedRead read_regular_file(const std::filesystem::path& path, std::size_t max_bytes) {
  BoundedRead result;
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; the
  // check on the opened file below then refuses it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int error = errno;
    result.error = error == ENOENT ? "does not exist"
                   : error == EACCES ? "cannot be read (permission denied)"
                                     : std::string("cannot be opened: ") + std::strerror(error);
    return result;
  }
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    result.error = S_ISDIR(status.st_mode) ? "is a directory" : "is not a regular file";
    ::close(fd);
    return result;
  }
  if (static_cast<std::uintmax_t>(status.st_size) > max_bytes) {
    result.error = too_large(max_bytes);
    ::close(fd);
    return result;
  }
  // The size may change while reading: the cap holds on what is read.
  std::string bytes;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.error = std::string("cannot be read: ") + std::strerror(errno);
      break;
    }
    if (n == 0) {
      result.bytes = std::move(bytes);
      break;
    }
    if (bytes.size() + static_cast<std::size_t>(n) > max_bytes) {
      result.error = too_large(max_bytes);
      break;
    }
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return result;
}

BoundedRead read_stream(std::istream& in, std::size_t max_bytes) {
  BoundedRead result;
  std::string bytes;
  char buffer[64 * 1024];
  while (in) {
    in.read(buffer, sizeof buffer);
    auto n = static_cast<std::size_t>(in.gcount());
    if (bytes.size() + n > max_bytes) {
      result.error = too_large(max_bytes);
      return result;
    }
    bytes.append(buffer, n);
  }
  if (in.bad()) {
    result.error = "cannot be read";
    return result;
  }
  result.bytes = std::move(bytes);
  return result;
}

}  // namespace newsd::daemon
