#include "sinks/kafka/transactional_sink.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <stdexcept>
#include <utility>

#include <boost/asio/post.hpp>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace newsd::sinks {
namespace asio = boost::asio;
namespace {

// Where a record's delivery report lands, on the transaction thread.
struct Slot {
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  bool reported = false;
};

// An error the group coordinator gives a member whose generation is over:
// the member was fenced, not the broker unwell.
bool group_moved_on(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || code == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
         code == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID || code == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS;
}

}  // namespace

struct TransactionalSink::Outcome {
  bool committed = false;
  bool fenced = false;  // the group had moved on
  bool fatal = false;   // the producer can never commit again
  std::string error;
  std::vector<Slot> slots;                // per record
  std::vector<PartitionOffset> offsets;   // committed with the transaction
};

void TransactionalSink::HandleDeleter::operator()(rd_kafka_s* handle) const { rd_kafka_destroy(handle); }

TransactionalSink::TransactionalSink(asio::io_context& io, const TransactionalSinkConfig& config)
    : io_(io), config_(config), worker_guard_(worker_io_.get_executor()), linger_(io) {
  const auto timeout = std::to_string(kafka_timeout_ms(config.transaction_timeout));
  rd_kafka_conf_t* conf = producer_conf(config.producer, {{"transactional.id", config.transactional_id},
                                                          {"transaction.timeout.ms", timeout},
                                                          // at most the transaction's: librdkafka requires it
                                                          {"message.timeout.ms", timeout},
                                                          {"statistics.interval.ms", "0"}});
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* slot = static_cast<Slot*>(m->_private);
    slot->error = m->err;
    slot->partition = m->partition;
    slot->offset = m->offset;
    slot->reported = true;
  });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int, const char* reason, void* o) {
    ++static_cast<TransactionalSink*>(o)->client_errors_;
    spdlog::warn("kafka (transactions): {}", reason);
  });
  std::array<char, 512> error{};
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka transactional producer: ") + error.data());
  }
  handle_.reset(handle);
  worker_ = std::thread([this] { worker_io_.run(); });
  // At once, not at the first transaction: initialising this transactional
  // id aborts what a previous process of this instance left open, which a
  // shard's restore (stable offsets) would otherwise wait out.
  asio::post(worker_io_, [this] {
    rd_kafka_error_t* error = rd_kafka_init_transactions(handle_.get(), kafka_timeout_ms(config_.transaction_timeout));
    if (!error) {
      initialized_ = true;
      return;
    }
    spdlog::warn("kafka: init_transactions: {} (tried again with the first transaction)", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  });
}

TransactionalSink::~TransactionalSink() {
  linger_.cancel();
  worker_guard_.reset();
  worker_io_.stop();
  if (worker_.joinable()) worker_.join();
  // What is not committed stays in the outbox; the broker aborts an open
  // transaction when this producer's id is next initialised, or at its timeout.
  handle_.reset();
}

CompactedTopic TransactionalSink::ensure_compacted_topic(const std::string& topic, std::chrono::milliseconds timeout) {
  return sinks::ensure_compacted_topic(handle_.get(), topic, timeout);
}

ProduceStatus TransactionalSink::produce(OutRecord record, DeliveryHandler on_delivery, std::string* why) {
  if (fatal_ || pending_.size() >= 4 * config_.max_records) {
    if (why) *why = fatal_ ? unready_ : "transaction queue full";
    return ProduceStatus::queue_full;
  }
  pending_.push_back({std::move(record), std::move(on_delivery), std::chrono::steady_clock::now()});
  ++outstanding_;
  schedule();
  return ProduceStatus::queued;
}

void TransactionalSink::schedule() {
  if (busy_ || lingering_ || pending_.empty()) return;
  if (pending_.size() >= config_.max_records || !settled_.empty()) return begin();
  lingering_ = true;
  linger_.expires_after(config_.linger);
  linger_.async_wait([this](boost::system::error_code ec) {
    lingering_ = false;
    if (!ec) begin();
  });
}

void TransactionalSink::begin() {
  if (busy_) return;
  if (pending_.empty()) {
    for (auto& done : std::exchange(settled_, {})) asio::post(io_, std::move(done));
    return;
  }
  if (lingering_) linger_.cancel();
  busy_ = true;
  const std::size_t count = std::min(pending_.size(), config_.max_records);
  auto batch = std::make_shared<std::vector<Pending>>();
  batch->reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    batch->push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  auto fence = std::make_shared<TransactionFence>(fence_ ? fence_() : TransactionFence{});
  asio::post(worker_io_, [this, batch, fence] {
    auto outcome = std::make_shared<Outcome>(run(*batch, *fence));
    asio::post(io_, [this, batch, outcome] { finish(std::move(*batch), std::move(*outcome)); });
  });
}

namespace {

// Takes `error` (may be null) into `out`; false when there was one.
template <typename Outcome>
bool no_error(rd_kafka_error_t* error, const char* step, Outcome& out) {
  if (!error) return true;
  out.error = std::string(step) + ": " + rd_kafka_error_string(error);
  out.fatal = out.fatal || rd_kafka_error_is_fatal(error);
  out.fenced = out.fenced || group_moved_on(rd_kafka_error_code(error));
  rd_kafka_error_destroy(error);
  return false;
}

}  // namespace

bool TransactionalSink::produce_all(const std::vector<Pending>& batch, Outcome& out) {
  rd_kafka_t* h = handle_.get();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& record = batch[i].record;
    rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size());
    for (const auto& [name, value] : record.headers)
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    rd_kafka_resp_err_t err;
    do {
      err = rd_kafka_producev(
          h, RD_KAFKA_V_TOPIC(record.topic.c_str()), RD_KAFKA_V_PARTITION(record.partition),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(record.null_value ? nullptr : const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(&out.slots[i]),
          RD_KAFKA_V_END);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && rd_kafka_poll(h, 100) >= 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(headers);  // ownership passes to librdkafka only on success
      out.slots[i].error = err;
      out.slots[i].reported = true;
      out.error = std::string("produce: ") + rd_kafka_err2str(err);
      break;
    }
  }
  rd_kafka_flush(h, kafka_timeout_ms(config_.transaction_timeout));
  for (const auto& slot : out.slots) {
    if (slot.reported && slot.error == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (out.error.empty())
      out.error = std::string("delivery: ") + (slot.reported ? rd_kafka_err2str(slot.error) : "no report in time");
    return false;
  }
  return true;
}

bool TransactionalSink::commit(const std::vector<Pending>& batch, const TransactionFence& fence, Outcome& out) {
  // The fence's offsets, each raised past what this transaction wrote to
  // its partition: the next owner reads the partition up to there.
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> offsets;
  for (const auto& o : fence.offsets) offsets[{o.topic, o.partition}] = o.offset;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto it = offsets.find({batch[i].record.topic, out.slots[i].partition});
    if (it != offsets.end()) it->second = std::max(it->second, out.slots[i].offset + 1);
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (const auto& [where, offset] : offsets) {
    rd_kafka_topic_partition_list_add(list, where.first.c_str(), where.second)->offset = offset;
    out.offsets.push_back({where.first, where.second, offset});
  }
  const int timeout = kafka_timeout_ms(config_.transaction_timeout);
  bool sent = no_error(rd_kafka_send_offsets_to_transaction(handle_.get(), list, fence.group.get(), timeout),
                       "send_offsets", out);
  rd_kafka_topic_partition_list_destroy(list);
  return sent && no_error(rd_kafka_commit_transaction(handle_.get(), timeout), "commit_transaction", out);
}

TransactionalSink::Outcome TransactionalSink::run(std::vector<Pending>& batch, const TransactionFence& fence) {
  Outcome out;
  out.slots.resize(batch.size());
  rd_kafka_t* h = handle_.get();
  const int timeout = kafka_timeout_ms(config_.transaction_timeout);
  if (!initialized_) {
    if (!no_error(rd_kafka_init_transactions(h, timeout), "init_transactions", out)) return out;
    initialized_ = true;
  }
  if (!fence.group) {
    out.error = "this instance holds no shard";
    return out;
  }
  if (!no_error(rd_kafka_begin_transaction(h), "begin_transaction", out)) return out;
  out.committed = produce_all(batch, out) && commit(batch, fence, out);
  if (!out.committed && !out.fatal) {
    rd_kafka_error_t* error = rd_kafka_abort_transaction(h, timeout);
    if (error) {
      out.fatal = rd_kafka_error_is_fatal(error);
      spdlog::warn("kafka: abort_transaction: {}", rd_kafka_error_string(error));
      rd_kafka_error_destroy(error);
    }
  }
  return out;
}

void TransactionalSink::finish(std::vector<Pending> batch, Outcome outcome) {
  busy_ = false;
  if (outcome.committed) {
    ++commits_;
    failures_in_a_row_ = 0;
    unready_.clear();
  } else {
    ++aborts_;
    fenced_ += outcome.fenced;
    ++failures_in_a_row_;
    last_failure_ = std::chrono::steady_clock::now();
    unready_ = "transaction not committed: " + outcome.error;
    // What was handed over after these records fails with them, so that the
    // outbox produces it all again in its order: a source's checkpoint must
    // never be committed ahead of the records of the poll it follows.
    while (!pending_.empty()) {
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
      outcome.slots.emplace_back();
    }
    spdlog::warn("kafka: transaction of {} records not committed{}: {}", batch.size(),
                 outcome.fenced ? " (this instance's group generation is over)" : "", outcome.error);
  }
  const auto now = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& slot = outcome.slots[i];
    DeliveryReport report;
    report.delivered = outcome.committed;
    if (!report.delivered) {
      const bool own = slot.reported && slot.error != RD_KAFKA_RESP_ERR_NO_ERROR;
      report.error = own ? rd_kafka_err2str(slot.error) : "transaction aborted: " + outcome.error;
      report.permanent = own && refused_for_good(slot.error);
      // The group moved on (a rebalance): the next transaction, with the new
      // generation, commits in a moment; a backoff of seconds would only
      // delay every source's new items.
      if (outcome.fenced && !report.permanent) report.retry_soon = std::chrono::milliseconds(250);
    }
    --outstanding_;
    if (observer_)
      observer_(std::chrono::duration_cast<std::chrono::microseconds>(now - batch[i].since),
                report.delivered ? "" : (slot.reported && slot.error ? rd_kafka_err2name(slot.error) : "_TXN_ABORTED"));
    if (batch[i].on_delivery) batch[i].on_delivery(report);
  }
  if (outcome.committed && committed_) committed_(outcome.offsets);
  if (outcome.fatal && !fatal_) {
    fatal_ = true;
    unready_ = "the transactional producer failed for good: " + outcome.error;
    spdlog::critical("kafka: {}", unready_);
    if (fatal_handler_) fatal_handler_(unready_);
  }
  if (!settled_.empty() && (pending_.empty() || fatal_)) {
    for (auto& done : std::exchange(settled_, {})) asio::post(io_, std::move(done));
    return;
  }
  schedule();
}

std::string TransactionalSink::unready_reason() const {
  if (fatal_) return unready_;
  // One transaction aborted at a rebalance is routine; failing again and
  // again (brokers away) is not, while it lasts.
  if (failures_in_a_row_ >= 3 && std::chrono::steady_clock::now() - last_failure_ < std::chrono::minutes(1))
    return unready_;
  return {};
}

void TransactionalSink::settle(std::function<void()> done) {
  settled_.push_back(std::move(done));
  if (!busy_) begin();
}

bool TransactionalSink::flush(std::chrono::milliseconds timeout) {
  // At shutdown, on the event loop: runs the loop here until the last
  // transaction ended. Its outcome is posted from the transaction thread,
  // so this loop sees it (unlike what a handler here posts itself).
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while ((busy_ || (!pending_.empty() && !fatal_)) && std::chrono::steady_clock::now() < deadline) {
    if (!busy_) begin();
    io_.run_one_for(std::chrono::milliseconds(50));
  }
  return outstanding_ == 0;
}

}  // namespace newsd::sinks
