#pragma once
// FakeSink: a sinks::Sink whose queue size, refusals and delivery reports a
// test controls, so the Outbox can be driven without Kafka.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "sinks/sink.hpp"
#include "tests/support/asio_helpers.hpp"

namespace newsd::daemon::testing {

class FakeSink final : public sinks::Sink {
 public:
  std::size_t queue_capacity = std::numeric_limits<std::size_t>::max();  // outstanding records it takes
  std::size_t max_value = std::numeric_limits<std::size_t>::max();       // larger values are rejected
  std::vector<sinks::OutRecord> produced;                                 // every record taken, in order

  sinks::ProduceStatus produce(sinks::OutRecord record, DeliveryHandler on_delivery, std::string* why) override {
    if (record.value.size() > max_value) {
      if (why) *why = "Broker: Message size too large";
      return sinks::ProduceStatus::rejected;
    }
    if (outstanding_.size() >= queue_capacity) return sinks::ProduceStatus::queue_full;
    produced.push_back(record);
    outstanding_.push_back(std::move(on_delivery));
    return sinks::ProduceStatus::queued;
  }

  // Runs the oldest outstanding record's delivery report.
  void report(sinks::DeliveryReport report = {true, {}, false}) {
    auto handler = std::move(outstanding_.front());
    outstanding_.pop_front();
    handler(report);
  }
  void deliver_all() {
    while (!outstanding_.empty()) report();
  }

  bool flush(std::chrono::milliseconds) override { return outstanding_.empty(); }
  std::size_t outstanding() const override { return outstanding_.size(); }
  std::string unready_reason() const override { return {}; }
  void observe_deliveries(DeliveryObserver) override {}
  std::uint64_t client_errors() const override { return 0; }

 private:
  std::deque<DeliveryHandler> outstanding_;
};

}  // namespace newsd::daemon::testing
