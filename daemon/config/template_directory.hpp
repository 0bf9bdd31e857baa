#pragma once
// The site templates directory: every *.toml in it, parsed at start-up and
// by check-config (the same function, so both report the same mistakes).
#include <filesystem>
#include <string>
#include <vector>

#include "parsers/articles/site_template.hpp"

namespace newsd::daemon {

// Every *.toml in `dir`, in name order; mistakes collected in `errors`.
parsers::SiteTemplateSet load_template_directory(const std::filesystem::path& dir,
                                                 std::vector<std::string>& errors);

}  // namespace newsd::daemon
