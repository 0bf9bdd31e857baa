#include "daemon/config/shards.hpp"

#include <cctype>
#include <string>

#include "parsers/identity/article_identity.hpp"

namespace newsd::daemon {
namespace {

std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

int shard_of_key(std::string_view key, std::int64_t shards) {
  return shards <= 1 ? 0 : static_cast<int>(fnv1a(key) % static_cast<std::uint64_t>(shards));
}

}  // namespace

int shard_of_host(std::string_view host, std::int64_t shards) {
  std::string lower(host);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return shard_of_key(parsers::registrable_domain(lower), shards);
}

int shard_of(const SourceConfig& source, std::int64_t shards) {
  std::string host = parsers::url_host(source.url);
  return host.empty() ? shard_of_key(source.id, shards) : shard_of_host(host, shards);
}

}  // namespace newsd::daemon
