#include "daemon/pipeline/source.hpp"

namespace newsd::daemon {

std::unique_ptr<Source> make_source(const SourceConfig& config, SourceTools tools) {
  switch (config.kind) {
    case SourceKind::html:
      return make_listing_source(config, std::move(tools));
    case SourceKind::sitemap:
      return make_sitemap_source(config, std::move(tools));
    case SourceKind::feed:
      break;
  }
  return make_feed_source(config, std::move(tools));
}

}  // namespace newsd::daemon
