#include "daemon/config/shards.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace newsd::daemon {
namespace {

SourceConfig source_at(std::string id, std::string url) {
  SourceConfig source;
  source.id = std::move(id);
  source.url = std::move(url);
  return source;
}

TEST(Shards, AllHostsOfOneRegistrableDomainShareAShard) {
  EXPECT_EQ(shard_of_host("www.bbc.co.uk", 64), shard_of_host("feeds.bbc.co.uk", 64));
  EXPECT_EQ(shard_of_host("WAFAAMAGAZINE.COM", 64), shard_of_host("wafaamagazine.com", 64));
  EXPECT_EQ(shard_of(source_at("a", "https://www.example.org/feed"), 64),
            shard_of(source_at("b", "http://news.example.org/sitemap.xml"), 64));
  // An address is its own domain: 127.0.0.2 and 127.0.0.3 are two hosts.
  EXPECT_EQ(shard_of_host("127.0.0.2", 1'000), shard_of_host("127.0.0.2", 1'000));
  EXPECT_NE(shard_of_host("127.0.0.2", 1'000), shard_of_host("127.0.0.3", 1'000));
}

// Every instance, whatever its build, must put a source in the same shard:
// the hash is FNV-1a of the registrable domain, fixed here.
TEST(Shards, TheShardOfADomainIsFixed) {
  EXPECT_EQ(shard_of_host("example.com", 64), 6);  // FNV-1a 64, as Python computes it too
  EXPECT_EQ(shard_of_host("wafaamagazine.com", 64), 2);
  EXPECT_EQ(shard_of_host("anything.example", 1), 0);
}

TEST(Shards, AFileSourceGoesByItsIdAndDomainsSpreadOverTheShards) {
  auto file = source_at("local-feed", "file:///var/lib/feeds/a.xml");
  EXPECT_EQ(shard_of(file, 64), shard_of(source_at("local-feed", "file:///elsewhere.xml"), 64));
  std::map<int, int> per_shard;
  for (int i = 0; i < 1'600; ++i) ++per_shard[shard_of_host("site" + std::to_string(i) + ".com", 16)];
  EXPECT_EQ(per_shard.size(), 16u);
  for (const auto& [shard, count] : per_shard) {
    EXPECT_GT(count, 50) << "shard " << shard;
    EXPECT_LT(count, 150) << "shard " << shard;
  }
}

}  // namespace
}  // namespace newsd::daemon
