// DedupeIndex at scale: fills an index with N articles (default 1,000,000)
// through the public API in durable batches, then prints the time to open
// it, lookups and inserts per second, and bytes per entry. Figures only; no
// assertions (timings depend on the machine and its disk).
//
//   dedupe_bench [--entries N] [--dir PATH] [--keep]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "sinks/dedupe/dedupe_index.hpp"

namespace {

using newsd::sinks::DedupeIndex;
using newsd::sinks::DedupeOptions;
using newsd::sinks::Novelty;
using newsd::sinks::Observation;
using Clock = std::chrono::system_clock;
using Steady = std::chrono::steady_clock;

const Clock::time_point kT0 = Clock::time_point(std::chrono::seconds(1'705'300'000));

double seconds_since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

std::string random_id(std::mt19937_64& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  std::uint64_t a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    id[static_cast<std::size_t>(i)] = kHex[(a >> (4 * i)) & 0xf];
    id[static_cast<std::size_t>(16 + i)] = kHex[(b >> (4 * i)) & 0xf];
  }
  return id;
}

// One article of the generated store, kept so lookups can hit it.
struct Article {
  std::string id;
  std::uint64_t title = 0;
  std::uint64_t body = 0;
  int source = 0;
};

const std::vector<std::string> kSources = {"wafaamagazine", "aljazeera", "bbc-arabic", "annahar", "nna",
                                           "reuters",       "afp",       "almanar",    "lbci",    "mtv"};

Observation observation(const Article& a) {
  return Observation{a.id, kSources[static_cast<std::size_t>(a.source)], a.title, a.body};
}

std::uint64_t flip_bits(std::mt19937_64& rng, std::uint64_t value, int count) {
  for (int i = 0; i < count; ++i) value ^= std::uint64_t{1} << (rng() % 64);
  return value;
}

void report_size(const DedupeIndex& index, const std::filesystem::path& dir) {
  auto stats = index.stats();
  auto per_entry = [&](std::uint64_t bytes) { return static_cast<double>(bytes) / static_cast<double>(stats.entries); };
  auto mib = [](std::uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); };
  auto data_file = std::filesystem::file_size(dir / "data.mdb");
  std::printf("size:    %zu entries; data.mdb %.1f MiB = %.0f bytes/entry (of which free pages %.1f MiB)\n",
              stats.entries, mib(data_file), per_entry(data_file), mib(stats.free_bytes));
  std::printf("         live %.0f bytes/entry: entries %.0f, bands %.0f, by_time %.0f\n",
              per_entry(stats.file_bytes - stats.free_bytes), per_entry(stats.entry_bytes),
              per_entry(stats.band_bytes), per_entry(stats.time_bytes));
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t entries = 1'000'000;
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("newsd-dedupe-bench-" + std::to_string(::getpid()));
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--entries" && i + 1 < argc) {
      entries = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (arg == "--keep") {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: dedupe_bench [--entries N] [--dir PATH] [--keep]\n");
      return 2;
    }
  }
  std::filesystem::remove_all(dir);
  DedupeOptions options;
  options.max_entries = entries;  // at steady state every insert evicts the oldest
  std::mt19937_64 rng(20240115);

  std::vector<Article> articles(entries);
  for (auto& a : articles) {
    a.id = random_id(rng);
    a.title = rng() | 1;
    a.body = rng() | 1;
    a.source = static_cast<int>(rng() % kSources.size());
  }

  std::printf("dedupe_bench: %zu entries in %s\n", entries, dir.c_str());
  {
    DedupeIndex index(dir, options);
    constexpr std::size_t kFillBatch = 10'000;
    auto start = Steady::now();
    std::size_t near_duplicates = 0;
    std::vector<Observation> batch;
    for (std::size_t i = 0; i < entries; i += kFillBatch) {
      batch.clear();
      for (std::size_t j = i; j < std::min(entries, i + kFillBatch); ++j) batch.push_back(observation(articles[j]));
      auto verdicts = index.observe(batch, kT0 + std::chrono::seconds(i / kFillBatch));
      if (!verdicts) return 1;
      for (const auto& v : *verdicts) near_duplicates += v.novelty == Novelty::near_duplicate;
    }
    double fill = seconds_since(start);
    std::printf("fill:    %zu inserts in %.1f s = %.0f inserts/s (durable batches of %zu; %zu random near-dup hits)\n",
                entries, fill, static_cast<double>(entries) / fill, kFillBatch, near_duplicates);
    report_size(index, dir);
  }

  // Start-up: open the existing store and answer a first question.
  for (int round = 1; round <= 3; ++round) {
    auto start = Steady::now();
    DedupeIndex index(dir, options);
    std::size_t size = index.size();
    bool found = index.find(articles[entries / 2].id).has_value();
    std::printf("open #%d: %.2f ms (size %zu, first lookup %s)\n", round, seconds_since(start) * 1e3, size,
                found ? "hit" : "MISS");
  }

  DedupeIndex index(dir, options);
  constexpr std::size_t kLookups = 200'000;
  {
    auto start = Steady::now();
    std::size_t hits = 0;
    for (std::size_t i = 0; i < kLookups; ++i) hits += index.find(articles[rng() % entries].id).has_value();
    double t = seconds_since(start);
    std::printf("find(id):              %.0f lookups/s (%zu/%zu hits)\n", kLookups / t, hits, kLookups);
  }
  {
    auto start = Steady::now();
    std::size_t hits = 0;
    for (std::size_t i = 0; i < kLookups; ++i) {
      const auto& a = articles[rng() % entries];
      hits += index.find_near_duplicate(flip_bits(rng, a.body, 1 + static_cast<int>(rng() % 3))).has_value();
    }
    double t = seconds_since(start);
    std::printf("near-duplicate (1-3 bits off a stored body): %.0f lookups/s, recall %zu/%zu\n", kLookups / t, hits,
                kLookups);
  }
  {
    auto start = Steady::now();
    std::size_t hits = 0;
    for (std::size_t i = 0; i < kLookups; ++i) hits += index.find_near_duplicate(rng() | 1).has_value();
    double t = seconds_since(start);
    std::printf("near-duplicate (unrelated body):             %.0f lookups/s, false hits %zu/%zu\n", kLookups / t,
                hits, kLookups);
  }
  {
    // A poll re-reading known articles: read-mostly transactions (touch interval not reached).
    constexpr std::size_t kBatch = 1000;
    std::vector<Observation> batch;
    auto start = Steady::now();
    std::size_t unchanged = 0, total = 0;
    for (int round = 0; round < 100; ++round) {
      batch.clear();
      for (std::size_t i = 0; i < kBatch; ++i) batch.push_back(observation(articles[rng() % entries]));
      auto verdicts = index.observe(batch, kT0 + std::chrono::seconds(200));
      if (!verdicts) return 1;
      for (const auto& v : *verdicts) unchanged += v.novelty != Novelty::updated;
      total += kBatch;
    }
    double t = seconds_since(start);
    std::printf("observe(known):        %.0f observations/s (batches of %zu, %zu/%zu not updated)\n", total / t, kBatch,
                unchanged, total);
  }
  for (std::size_t batch_size : {std::size_t{1000}, std::size_t{100}, std::size_t{1}}) {
    // New articles into a full index: each insert also evicts the oldest.
    std::vector<Article> fresh(batch_size == 1 ? 200 : 20'000);
    for (auto& a : fresh) {
      a.id = random_id(rng);
      a.title = rng() | 1;
      a.body = rng() | 1;
    }
    std::vector<Observation> batch;
    auto start = Steady::now();
    for (std::size_t i = 0; i < fresh.size(); i += batch_size) {
      batch.clear();
      for (std::size_t j = i; j < std::min(fresh.size(), i + batch_size); ++j) batch.push_back(observation(fresh[j]));
      if (!index.observe(batch, kT0 + std::chrono::hours(1))) return 1;
    }
    double t = seconds_since(start);
    std::printf("observe(new), full index, durable batches of %4zu: %.0f inserts/s (%.2f ms per commit)\n", batch_size,
                static_cast<double>(fresh.size()) / t, t * 1e3 / static_cast<double>(fresh.size() / batch_size));
  }
  std::printf("after:   %zu entries (bound %zu)\n", index.size(), entries);
  report_size(index, dir);
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
