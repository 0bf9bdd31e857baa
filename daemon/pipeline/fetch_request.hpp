#pragma once
// The one place a source's settings become a request: its proxy, its extra
// headers and its permission for private networks apply to the source's own
// document and to every article page found through it alike.
#include <string>

#include "daemon/config/config.hpp"
#include "fetchers/fetcher.hpp"
#include "parsers/identity/article_identity.hpp"

namespace newsd::daemon {

// A request for `url` on behalf of `source`. The source's
// allow_private_networks covers its own configured host only, never the
// hosts its pages link to or a permanent redirect moved it to.
fetchers::FetchRequest request_for(const SourceConfig& source, std::string url);

}  // namespace newsd::daemon
