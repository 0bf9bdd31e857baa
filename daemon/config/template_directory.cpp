#include "daemon/config/template_directory.hpp"

#include <algorithm>

#include "daemon/config/bounded_read.hpp"
#include "daemon/config/config.hpp"

namespace newsd::daemon {

namespace fs = std::filesystem;

parsers::SiteTemplateSet load_template_directory(const fs::path& dir,
                                                 std::vector<std::string>& errors) {
  parsers::SiteTemplateSet set;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  if (ec) {
    errors.push_back(dir.string() + ": " + ec.message());
    return set;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    // Capped, and never a FIFO: the config check runs this on SIGHUP, on
    // the event loop.
    auto read = read_regular_file(file, kMaxConfigBytes);
    if (!read.bytes) {
      errors.push_back(file.string() + ": " + read.error);
      continue;
    }
    auto parsed = parsers::parse_site_template(*read.bytes, file.string());
    if (parsed.site_template) set.add(std::move(*parsed.site_template));
    errors.insert(errors.end(), parsed.errors.begin(), parsed.errors.end());
  }
  return set;
}

}  // namespace newsd::daemon
