#pragma once
// JsonLinesSink: writes each record as one line of JSON to a file (appended
// to, created if missing) or to standard output, for trying newsd and
// debugging site templates without a broker. Same promise as KafkaSink: a
// record is reported delivered only once its line is written and flushed
// (fsync for a regular file, the write itself for a pipe or terminal).
//
// Records are written in batches by one writer thread of its own, so a slow
// disk or a reader that does not keep up never stalls the event loop: the
// records produced while a batch is being written and synced form the next
// batch (one fsync per batch, not per record). A failed write or sync
// (disk full, EPIPE) fails the whole batch's deliveries, and the file is cut
// back to where the batch began when it is a regular file, so a retry never
// leaves a torn or repeated line. Owned by the daemon; its methods run on the
// event loop thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "sinks/sink.hpp"

namespace newsd::sinks {

struct JsonLinesSinkConfig {
  std::filesystem::path path;                    // "-" = standard output
  std::chrono::milliseconds linger{5};           // how long a batch waits for more records
  std::size_t max_batch_bytes = 8 << 20;         // a batch this large is written at once
  std::size_t queue_capacity = 100'000;          // records waiting for their flush
};

// The line a record becomes: {"topic", "key", "headers": {name: value},
// "value"}, with "\n". The value is embedded as JSON when it is JSON (as
// given when it is on one line), else as a string; invalid UTF-8 in strings
// becomes U+FFFD. The same record always gives the same bytes.
std::string json_line(const OutRecord& record);

class JsonLinesSink final : public Sink {
 public:
  // Throws std::runtime_error when the file cannot be opened for appending:
  // a start-up mistake, reported before anything runs.
  JsonLinesSink(boost::asio::io_context& io, JsonLinesSinkConfig config);
  ~JsonLinesSink() override;
  JsonLinesSink(const JsonLinesSink&) = delete;
  JsonLinesSink& operator=(const JsonLinesSink&) = delete;

  ProduceStatus produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) override;
  // Writes what is pending and waits for it, up to `timeout`; runs the
  // delivery reports before it returns.
  bool flush(std::chrono::milliseconds timeout) override;
  std::size_t outstanding() const override;
  std::string unready_reason() const override { return write_error_; }
  // Error names are errno's ("ENOSPC", "EPIPE").
  void observe_deliveries(DeliveryObserver observer) override { observer_ = std::move(observer); }
  // Failed batches so far.
  std::uint64_t client_errors() const override { return failed_batches_; }

  // Where the lines go, for logs: the path, or "stdout".
  const std::string& destination() const { return destination_; }

 private:
  struct Waiting {
    DeliveryHandler on_delivery;
    std::chrono::steady_clock::time_point since;
  };
  struct Batch {
    std::string lines;
    std::vector<Waiting> records;
  };
  // What the writer thread reports for a batch.
  struct Outcome {
    int error = 0;  // errno; 0 = written and flushed
    std::string what;
  };

  void schedule_write();
  void start_write();
  Outcome write_batch(const std::string& lines);  // writer thread
  void collect();
  void finish(Batch batch, const Outcome& outcome);

  boost::asio::io_context& io_;
  std::string destination_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool regular_file_ = false;   // fsync, and cut back on failure
  bool torn_ = false;           // a failed batch could not be cut back: start the next on a new line (writer thread)
  std::chrono::milliseconds linger_;
  std::size_t max_batch_bytes_;
  std::size_t queue_capacity_;

  Batch filling_;
  std::optional<Batch> writing_;  // handed to the writer thread
  boost::asio::steady_timer linger_timer_;
  bool write_scheduled_ = false;

  std::mutex mutex_;
  std::condition_variable written_;
  std::optional<Outcome> outcome_;  // set by the writer thread, taken by collect()

  std::string write_error_;  // the last failure, cleared by a batch written
  std::uint64_t failed_batches_ = 0;
  DeliveryObserver observer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // guards completions posted after destruction
  boost::asio::thread_pool writer_{1};  // last: joined first
};

}  // namespace newsd::sinks
