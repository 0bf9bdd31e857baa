#pragma once
// Which shard of a cluster a source belongs to: the shard of its host's
// registrable domain, so that one host's sources (and its politeness
// budget) are always held by one instance. The hash is FNV-1a, fixed here:
// every instance, whatever its build, must agree.
#include <cstdint>
#include <string_view>

#include "daemon/config/config.hpp"

namespace newsd::daemon {

int shard_of_host(std::string_view host, std::int64_t shards);

// A source's shard; a `file:` source (no host) by its id.
int shard_of(const SourceConfig& source, std::int64_t shards);

}  // namespace newsd::daemon
