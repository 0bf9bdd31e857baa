#include "sinks/jsonl/json_lines_sink.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/spdlog.h>

#include "parsers/text/text_codec.hpp"

namespace newsd::sinks {
namespace asio = boost::asio;

namespace {

// A JSON string of `text`; bytes that are not UTF-8 become U+FFFD so that
// every line is valid JSON.
void append_json_string(std::string& out, std::string_view text) {
  if (parsers::utf8_census(text).invalid > 0)
    out += boost::json::serialize(std::string_view(parsers::sanitize_utf8(text)));
  else
    out += boost::json::serialize(text);
}

// The record's value as JSON: as given when it is JSON on one line (cheap,
// and exactly what a Kafka consumer would read), compacted when it is JSON
// over several lines, else a string.
void append_value(std::string& out, std::string_view value) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(value, ec);
  if (ec)
    append_json_string(out, value);
  else if (value.find_first_of("\r\n") == std::string_view::npos)
    out += value;
  else
    out += boost::json::serialize(parsed);
}

std::string errno_name(int error) {
  switch (error) {
    case ENOSPC: return "ENOSPC";
    case EPIPE: return "EPIPE";
    case EIO: return "EIO";
    case EFBIG: return "EFBIG";
    case EDQUOT: return "EDQUOT";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    default: return "errno " + std::to_string(error);
  }
}

// Writes all of `bytes`, through short writes and interruptions; 0 or errno.
int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// A write to a closed pipe (EPIPE) or past the file size limit (EFBIG) must be
// an error value, not a signal that ends the process: the writer thread keeps
// both signals blocked, and takes one such a write left pending.
void block_write_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigaddset(&set, SIGXFSZ);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void take_pending_write_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigaddset(&set, SIGXFSZ);
  timespec zero{};
  while (sigtimedwait(&set, nullptr, &zero) > 0) {
  }
}

}  // namespace

std::string json_line(const OutRecord& record) {
  std::string line;
  line.reserve(record.value.size() + record.key.size() + 64 * (record.headers.size() + 1));
  line += "{\"topic\":";
  append_json_string(line, record.topic);
  line += ",\"key\":";
  append_json_string(line, record.key);
  line += ",\"headers\":{";
  for (std::size_t i = 0; i < record.headers.size(); ++i) {
    if (i > 0) line += ',';
    append_json_string(line, record.headers[i].first);
    line += ':';
    append_json_string(line, record.headers[i].second);
  }
  line += "},\"value\":";
  if (record.null_value)
    line += "null";
  else
    append_value(line, record.value);
  line += "}\n";
  return line;
}

JsonLinesSink::JsonLinesSink(asio::io_context& io, JsonLinesSinkConfig config)
    : io_(io),
      linger_(config.linger),
      max_batch_bytes_(config.max_batch_bytes),
      queue_capacity_(config.queue_capacity),
      linger_timer_(io) {
  if (config.path == "-") {
    destination_ = "stdout";
    fd_ = STDOUT_FILENO;
  } else {
    destination_ = config.path.string();
    fd_ = ::open(config.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw std::runtime_error("jsonl sink: cannot open " + destination_ + " for appending: " +
                               std::strerror(errno));
    owns_fd_ = true;
  }
  struct stat st{};
  if (::fstat(fd_, &st) != 0) {
    int error = errno;
    if (owns_fd_) ::close(fd_);
    throw std::runtime_error("jsonl sink: " + destination_ + ": " + std::strerror(error));
  }
  if (S_ISDIR(st.st_mode)) {
    if (owns_fd_) ::close(fd_);
    throw std::runtime_error("jsonl sink: " + destination_ + " is a directory");
  }
  // Standard output redirected to a file gets the file's promise too.
  regular_file_ = S_ISREG(st.st_mode);
  asio::post(writer_, block_write_signals);
}

JsonLinesSink::~JsonLinesSink() {
  // A batch being written is finished first (its reports never run: those
  // records stay in the outbox and are written again on the next run).
  linger_timer_.cancel();
  writer_.join();
  if (owns_fd_) ::close(fd_);
}

std::size_t JsonLinesSink::outstanding() const {
  return filling_.records.size() + (writing_ ? writing_->records.size() : 0);
}

ProduceStatus JsonLinesSink::produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) {
  if (outstanding() >= queue_capacity_) {
    if (why) *why = "jsonl sink: " + std::to_string(outstanding()) + " records waiting for their flush";
    return ProduceStatus::queue_full;
  }
  filling_.lines += json_line(record);
  filling_.records.push_back({std::move(on_delivery), std::chrono::steady_clock::now()});
  schedule_write();
  return ProduceStatus::queued;
}

void JsonLinesSink::schedule_write() {
  // One batch at a time: what comes in while one is written waits for it.
  if (writing_ || filling_.records.empty()) return;
  if (filling_.lines.size() >= max_batch_bytes_) {
    linger_timer_.cancel();
    write_scheduled_ = false;
    start_write();
    return;
  }
  if (write_scheduled_) return;
  write_scheduled_ = true;
  linger_timer_.expires_after(linger_);
  linger_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    write_scheduled_ = false;
    if (!writing_) start_write();
  });
}

void JsonLinesSink::start_write() {
  if (filling_.records.empty()) return;
  writing_.emplace(std::move(filling_));
  filling_ = {};
  asio::post(writer_, [this, alive = std::weak_ptr<int>(alive_), lines = std::move(writing_->lines)] {
    Outcome outcome = write_batch(lines);
    {
      std::lock_guard lock(mutex_);
      outcome_ = std::move(outcome);
    }
    written_.notify_all();
    asio::post(io_, [this, alive] {
      if (!alive.expired()) collect();
    });
  });
}

JsonLinesSink::Outcome JsonLinesSink::write_batch(const std::string& lines) {
  off_t start = -1;
  if (regular_file_) {
    struct stat st{};
    if (::fstat(fd_, &st) == 0) start = st.st_size;
  }
  int error = 0;
  // A line a failed batch left half-written ends here, so this batch's
  // lines each stay whole and parseable.
  if (torn_) error = write_all(fd_, "\n");
  if (error == 0) error = write_all(fd_, lines);
  const char* step = "write";
  if (error == 0 && regular_file_ && ::fsync(fd_) != 0) {
    error = errno;
    step = "fsync";
  }
  if (error == 0) {
    torn_ = false;
    return {};
  }
  take_pending_write_signals();
  // Nothing of a failed batch stays: its records are written again by the
  // retry, and a partial line would corrupt the file.
  // (Standard output redirected with `>` has no O_APPEND: its offset goes
  // back too, or the next batch would leave a hole.)
  torn_ = !(start >= 0 && ::ftruncate(fd_, start) == 0 && ::lseek(fd_, start, SEEK_SET) == start);
  return {error, std::string(step) + " to " + destination_ + " failed: " + std::strerror(error)};
}

void JsonLinesSink::collect() {
  std::optional<Outcome> outcome;
  {
    std::lock_guard lock(mutex_);
    outcome.swap(outcome_);
  }
  if (!outcome || !writing_) return;
  Batch batch = std::move(*writing_);
  writing_.reset();
  finish(std::move(batch), *outcome);
  schedule_write();
}

void JsonLinesSink::finish(Batch batch, const Outcome& outcome) {
  DeliveryReport report;
  report.delivered = outcome.error == 0;
  if (report.delivered) {
    if (!write_error_.empty()) spdlog::info("jsonl: writing to {} again", destination_);
    write_error_.clear();
  } else {
    ++failed_batches_;
    if (write_error_ != outcome.what) spdlog::warn("jsonl: {}", outcome.what);
    write_error_ = outcome.what;
    report.error = outcome.what;
  }
  const std::string error_name = report.delivered ? std::string() : errno_name(outcome.error);
  const auto now = std::chrono::steady_clock::now();
  for (auto& record : batch.records) {
    if (observer_)
      observer_(std::chrono::duration_cast<std::chrono::microseconds>(now - record.since), error_name);
    if (record.on_delivery) record.on_delivery(report);
  }
}

bool JsonLinesSink::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  linger_timer_.cancel();
  write_scheduled_ = false;
  while (outstanding() > 0) {
    if (!writing_) start_write();
    {
      std::unique_lock lock(mutex_);
      if (!written_.wait_until(lock, deadline, [this] { return outcome_.has_value(); })) break;
    }
    collect();
  }
  return outstanding() == 0;
}

}  // namespace newsd::sinks
