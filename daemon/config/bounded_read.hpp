#pragma once
// Reading an input whole, with a cap: the config file and the one-shot
// commands' files and standard input. Without one, `newsd check-config
// /dev/zero` grows past 2 GB, and a FIFO where a file is expected blocks the
// event loop on SIGHUP. Expected failures are values with a message.
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

namespace newsd::daemon {

struct BoundedRead {
  std::optional<std::string> bytes;  // set on success
  std::string error;                 // why not: "is not a regular file", "is larger than ..."
};

// A regular file of at most max_bytes. A FIFO, device, socket or directory
// is refused without blocking on it.
BoundedRead read_regular_file(const std::filesystem::path& path, std::size_t max_bytes);

// A stream (standard input) to its end, failing once it passes max_bytes.
BoundedRead read_stream(std::istream& in, std::size_t max_bytes);

}  // namespace newsd::daemon
