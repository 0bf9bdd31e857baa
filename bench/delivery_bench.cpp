// Delivery throughput into a real Kafka broker: article records of ~2 KB
// through newsd's Outbox (persisted in LMDB first) and KafkaSink (idempotent,
// acks=all, zstd), against kcat producing the same records in the same run.
//
//   tests/integration/kafka_broker.sh start /tmp/kb
//   build/bench/delivery_bench $(cat /tmp/kb/bootstrap) [records]
//
// Prints records/s, MB/s and CPU milliseconds per 1,000 records for each.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <boost/asio/io_context.hpp>

#include "sinks/outbox/outbox.hpp"
#include "sinks/outbox/delivery_state.hpp"
#include "sinks/kafka/kafka_sink.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string record_value(int n) {
  std::string body;
  while (body.size() < 1900) body += "Paragraph of article " + std::to_string(n) + " text. ";
  return "{\"schema\":\"newsd.article.v1\",\"id\":\"" + std::to_string(n) + "\",\"body\":\"" + body + "\"}";
}

struct Result {
  double seconds;
  double cpu;
};

void print(const char* name, int records, std::size_t bytes, const Result& r) {
  std::printf("%-28s %8d records %7.2f s %9.0f records/s %7.1f MB/s %7.1f ms CPU per 1000\n", name,
              records, r.seconds, records / r.seconds, bytes / r.seconds / 1e6,
              r.cpu * 1000.0 / (records / 1000.0));
}

Result run_newsd(const std::string& brokers, const std::string& topic, int records, bool outbox) {
  auto dir = std::filesystem::temp_directory_path() / ("newsd-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  boost::asio::io_context io;
  newsd::sinks::KafkaSink sink(io, {.brokers = brokers, .queue_capacity = std::size_t(records) + 1000});
  newsd::sinks::DeliveryState state(dir);
  newsd::daemon::Outbox box(io, state, sink, std::size_t(records) + 1);
  int delivered = 0;
  double cpu_before = cpu_seconds(RUSAGE_SELF);
  auto start = Clock::now();
  constexpr int kBatch = 500;  // one poll's worth of new articles
  for (int first = 0; first < records; first += kBatch) {
    std::vector<std::pair<std::string, newsd::sinks::OutRecord>> batch;
    for (int n = first; n < std::min(records, first + kBatch); ++n) {
      std::string id = topic + "-" + std::to_string(n);
      batch.emplace_back(id, newsd::sinks::OutRecord{topic, id, record_value(n),
                                                     {{"schema", "newsd.article.v1"}}});
    }
    if (outbox) {
      box.submit(std::move(batch), [&](const std::string&) { ++delivered; });
    } else {
      for (auto& [id, record] : batch)
        sink.produce(std::move(record), [&](const newsd::sinks::DeliveryReport& r) { delivered += r.delivered; },
                     nullptr);
    }
    io.poll();
  }
  while (delivered < records) io.run_one_for(std::chrono::milliseconds(50));
  io.poll();
  Result result{std::chrono::duration<double>(Clock::now() - start).count(),
                cpu_seconds(RUSAGE_SELF) - cpu_before};
  std::filesystem::remove_all(dir);
  return result;
}

Result run_kcat(const std::string& brokers, const std::string& topic, int records) {
  auto file = std::filesystem::temp_directory_path() / ("newsd-bench-kcat-" + std::to_string(getpid()));
  {
    std::ofstream out(file);
    for (int n = 0; n < records; ++n) out << topic << "-" << n << '\t' << record_value(n) << '\n';
  }
  std::string command = "kcat -b " + brokers + " -t " + topic +
                        " -P -K '\t' -X enable.idempotence=true -X acks=all"
                        " -X compression.codec=zstd -X linger.ms=5 -l " + file.string();
  double cpu_before = cpu_seconds(RUSAGE_CHILDREN);
  auto start = Clock::now();
  int rc = std::system(command.c_str());
  Result result{std::chrono::duration<double>(Clock::now() - start).count(),
                cpu_seconds(RUSAGE_CHILDREN) - cpu_before};
  std::filesystem::remove(file);
  if (rc != 0) std::cerr << "kcat failed: " << rc << '\n';
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: delivery_bench BROKERS [RECORDS]\n";
    return 2;
  }
  std::string brokers = argv[1];
  int records = argc > 2 ? std::stoi(argv[2]) : 50'000;
  std::size_t bytes = std::size_t(records) * record_value(records).size();
  std::string run = std::to_string(getpid());
  std::printf("%d records of %zu bytes, idempotent, acks=all, zstd, broker %s\n", records,
              record_value(records).size(), brokers.c_str());
  run_newsd(brokers, "bench-warmup-" + run, 1000, false);
  auto sink = run_newsd(brokers, "bench-sink-" + run, records, false);
  auto outbox = run_newsd(brokers, "bench-outbox-" + run, records, true);
  auto kcat = run_kcat(brokers, "bench-kcat-" + run, records);
  print("KafkaSink alone", records, bytes, sink);
  print("Outbox (LMDB) + KafkaSink", records, bytes, outbox);
  print("kcat -P (peer)", records, bytes, kcat);
  std::printf("newsd with outbox / kcat: %.2fx records/s\n", kcat.seconds / outbox.seconds);
  return 0;
}
