// JsonLinesSink: one parseable line per record, acknowledged only once the
// line is written and flushed, write failures (a full disk, a file size
// limit, a closed pipe) reported as failed deliveries that a later retry
// gets through, and standard output.
#include "sinks/jsonl/json_lines_sink.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "tests/support/fake_sink.hpp"
#include "tests/support/test_dir.hpp"

namespace newsd::sinks {
namespace {

using daemon::testing::run_until;
using namespace std::chrono_literals;

OutRecord article(const std::string& id, const std::string& value) {
  return {"news.articles", id, value, {{"schema", "newsd.article.v1"}, {"source", "s"}, {"version", "1"}}};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<boost::json::object> parse_lines(const std::string& text) {
  std::vector<boost::json::object> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(boost::json::parse(line).as_object());
  return lines;
}

// What a test sees of one record's delivery.
struct Delivery {
  bool reported = false;
  DeliveryReport report;
  Sink::DeliveryHandler handler() {
    return [this](const DeliveryReport& r) {
      reported = true;
      report = r;
    };
  }
};

class JsonLinesSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing_support::fresh_test_dir("newsd-jsonl-");
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "records.jsonl";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::filesystem::path path_;
  boost::asio::io_context io_;
};

TEST_F(JsonLinesSinkTest, EachRecordIsOneParseableLineWithItsTopicKeyHeadersAndValue) {
  JsonLinesSink sink(io_, {.path = path_});
  std::vector<Delivery> deliveries(4);
  const std::string record_json = R"({"schema":"newsd.article.v1","id":"a1","title":"خبر \"عاجل\"\nثاني","version":1})";
  ASSERT_EQ(sink.produce(article("a1", record_json), deliveries[0].handler(), nullptr), ProduceStatus::queued);
  ASSERT_EQ(sink.produce(article("a2", "not json {"), deliveries[1].handler(), nullptr), ProduceStatus::queued);
  ASSERT_EQ(sink.produce(article("a3", "{\n  \"pretty\": [1, 2]\n}\n"), deliveries[2].handler(), nullptr),
            ProduceStatus::queued);
  ASSERT_EQ(sink.produce({"t", "bad\xff key", "line\none", {}}, deliveries[3].handler(), nullptr),
            ProduceStatus::queued);
  ASSERT_TRUE(run_until(io_, [&] { return sink.outstanding() == 0; }));
  for (const auto& d : deliveries) EXPECT_TRUE(d.reported && d.report.delivered) << d.report.error;
  EXPECT_TRUE(sink.unready_reason().empty());

  const std::string text = read_file(path_);
  auto lines = parse_lines(text);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_EQ(lines[0].at("topic"), "news.articles");
  EXPECT_EQ(lines[0].at("key"), "a1");
  EXPECT_EQ(lines[0].at("headers"), (boost::json::object{{"schema", "newsd.article.v1"}, {"source", "s"}, {"version", "1"}}));
  EXPECT_EQ(lines[0].at("value"), boost::json::parse(record_json));  // an object, not a string
  // A value on one line is embedded as given, byte for byte.
  EXPECT_NE(text.find(",\"value\":" + record_json + "}\n"), std::string::npos);
  EXPECT_EQ(lines[1].at("value"), "not json {");
  EXPECT_EQ(lines[2].at("value"), boost::json::parse("{\"pretty\":[1,2]}"));
  EXPECT_EQ(lines[3].at("key"), "bad\xEF\xBF\xBD key");
  EXPECT_EQ(lines[3].at("value"), "line\none");
  EXPECT_TRUE(lines[3].at("headers").as_object().empty());
}

TEST_F(JsonLinesSinkTest, TheSameRecordGivesTheSameBytes) {
  auto record = article("a1", R"({"id":"a1","n":1.50})");
  EXPECT_EQ(json_line(record), json_line(record));
  EXPECT_EQ(json_line(record),
            R"({"topic":"news.articles","key":"a1","headers":{"schema":"newsd.article.v1","source":"s","version":"1"},"value":{"id":"a1","n":1.50}})"
            "\n");
}

TEST_F(JsonLinesSinkTest, ARecordIsAcknowledgedOnlyOnceItsLineIsInTheFile) {
  JsonLinesSink sink(io_, {.path = path_});
  std::string file_when_acknowledged;
  bool acknowledged = false;
  ASSERT_EQ(sink.produce(article("a1", "{}"),
                         [&](const DeliveryReport& report) {
                           acknowledged = report.delivered;
                           file_when_acknowledged = read_file(path_);
                         },
                         nullptr),
            ProduceStatus::queued);
  // Not before the event loop ran the write.
  EXPECT_FALSE(acknowledged);
  EXPECT_EQ(sink.outstanding(), 1u);
  ASSERT_TRUE(run_until(io_, [&] { return acknowledged; }));
  EXPECT_EQ(file_when_acknowledged, json_line(article("a1", "{}")));
}

TEST_F(JsonLinesSinkTest, RecordsProducedTogetherAreWrittenAsOneBatch) {
  // A long linger: nothing is written until flush() writes the whole batch.
  JsonLinesSink sink(io_, {.path = path_, .linger = 1h});
  int delivered = 0;
  for (int i = 0; i < 500; ++i)
    ASSERT_EQ(sink.produce(article("a" + std::to_string(i), "{}"),
                           [&](const DeliveryReport& r) { delivered += r.delivered; }, nullptr),
              ProduceStatus::queued);
  io_.run_for(20ms);
  EXPECT_EQ(delivered, 0);
  EXPECT_EQ(read_file(path_), "");
  EXPECT_TRUE(sink.flush(10s));
  EXPECT_EQ(delivered, 500);
  EXPECT_EQ(parse_lines(read_file(path_)).size(), 500u);
}

TEST_F(JsonLinesSinkTest, ABatchLargerThanTheLimitIsWrittenWithoutLingering) {
  JsonLinesSink sink(io_, {.path = path_, .linger = 1h, .max_batch_bytes = 1000});
  int delivered = 0;
  for (int i = 0; i < 20; ++i)
    sink.produce(article("a" + std::to_string(i), "{}"), [&](const DeliveryReport& r) { delivered += r.delivered; },
                 nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return delivered >= 5; }));
}

TEST_F(JsonLinesSinkTest, AFullQueueIsBackpressure) {
  JsonLinesSink sink(io_, {.path = path_, .linger = 1h, .queue_capacity = 2});
  std::string why;
  EXPECT_EQ(sink.produce(article("a1", "{}"), {}, &why), ProduceStatus::queued);
  EXPECT_EQ(sink.produce(article("a2", "{}"), {}, &why), ProduceStatus::queued);
  EXPECT_EQ(sink.produce(article("a3", "{}"), {}, &why), ProduceStatus::queue_full);
  EXPECT_FALSE(why.empty());
  EXPECT_TRUE(sink.flush(10s));
  EXPECT_EQ(sink.produce(article("a3", "{}"), {}, &why), ProduceStatus::queued);
}

TEST_F(JsonLinesSinkTest, AFullDiskIsAFailedDeliveryAndMakesTheSinkUnready) {
  JsonLinesSink sink(io_, {.path = "/dev/full"});
  Delivery delivery;
  std::string observed_error;
  sink.observe_deliveries([&](std::chrono::microseconds, std::string_view error) { observed_error = error; });
  sink.produce(article("a1", "{}"), delivery.handler(), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return delivery.reported; }));
  EXPECT_FALSE(delivery.report.delivered);
  EXPECT_FALSE(delivery.report.permanent);  // the outbox keeps it and retries
  EXPECT_NE(delivery.report.error.find("No space left on device"), std::string::npos) << delivery.report.error;
  EXPECT_EQ(observed_error, "ENOSPC");
  EXPECT_NE(sink.unready_reason().find("/dev/full"), std::string::npos);
  EXPECT_EQ(sink.client_errors(), 1u);
  EXPECT_EQ(sink.outstanding(), 0u);
}

// The file size limit stands in for a disk that fills up in the middle of a
// batch and has room again later.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

TEST_F(JsonLinesSinkTest, AFailedWriteLeavesNoPartialLineAndTheRetrySucceeds) {
  JsonLinesSink sink(io_, {.path = path_});
  Delivery first, failed, retried;
  sink.produce(article("a1", "{}"), first.handler(), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return first.reported; }));
  const std::string before = read_file(path_);
  const auto large = article("a2", "{\"body\":\"" + std::string(4096, 'x') + "\"}");
  {
    FileSizeLimit limit(before.size() + 100);  // part of the line fits
    sink.produce(large, failed.handler(), nullptr);
    ASSERT_TRUE(run_until(io_, [&] { return failed.reported; }));
  }
  EXPECT_FALSE(failed.report.delivered);
  EXPECT_NE(failed.report.error.find("File too large"), std::string::npos) << failed.report.error;
  EXPECT_FALSE(sink.unready_reason().empty());
  EXPECT_EQ(read_file(path_), before);  // cut back: no torn line

  // The outbox produces the record again after its backoff.
  sink.produce(large, retried.handler(), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return retried.reported; }));
  EXPECT_TRUE(retried.report.delivered) << retried.report.error;
  EXPECT_TRUE(sink.unready_reason().empty());
  EXPECT_EQ(read_file(path_), before + json_line(large));
}

TEST_F(JsonLinesSinkTest, AnExistingFileIsAppendedTo) {
  { std::ofstream(path_) << "{\"earlier\":true}\n"; }
  JsonLinesSink sink(io_, {.path = path_});
  Delivery delivery;
  sink.produce(article("a1", "{}"), delivery.handler(), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return delivery.reported; }));
  EXPECT_EQ(read_file(path_), "{\"earlier\":true}\n" + json_line(article("a1", "{}")));
}

TEST_F(JsonLinesSinkTest, AFileThatCannotBeOpenedIsAStartUpError) {
  EXPECT_THROW(JsonLinesSink(io_, {.path = dir_ / "missing" / "records.jsonl"}), std::runtime_error);
  EXPECT_THROW(JsonLinesSink(io_, {.path = dir_}), std::runtime_error);
}

// Standard output replaced by a pipe for the length of a test. Logs go to
// stderr meanwhile, as newsd's do.
class StdoutPipe {
 public:
  StdoutPipe() {
    saved_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(spdlog::stderr_logger_mt("jsonl-test-stderr"));
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_end_ = fds[0];
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[1]);
  }
  ~StdoutPipe() {
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
    close_reader();
    spdlog::drop("jsonl-test-stderr");
    spdlog::set_default_logger(saved_logger_);
  }
  std::string read_available() {
    std::string out;
    char buffer[4096];
    ::fcntl(read_end_, F_SETFL, O_NONBLOCK);
    for (ssize_t n; (n = ::read(read_end_, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }
  void close_reader() {
    if (read_end_ >= 0) ::close(read_end_);
    read_end_ = -1;
  }

 private:
  std::shared_ptr<spdlog::logger> saved_logger_;
  int saved_ = -1;
  int read_end_ = -1;
};

TEST_F(JsonLinesSinkTest, DashWritesToStandardOutput) {
  StdoutPipe pipe;
  JsonLinesSink sink(io_, {.path = "-"});
  EXPECT_EQ(sink.destination(), "stdout");
  Delivery a, b;
  sink.produce(article("a1", "{\"n\":1}"), a.handler(), nullptr);
  sink.produce(article("a2", "{\"n\":2}"), b.handler(), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return a.reported && b.reported; }));
  EXPECT_TRUE(a.report.delivered && b.report.delivered);
  EXPECT_EQ(pipe.read_available(), json_line(article("a1", "{\"n\":1}")) + json_line(article("a2", "{\"n\":2}")));
}

TEST_F(JsonLinesSinkTest, AClosedPipeIsAFailedDeliveryNotADeadProcess) {
  StdoutPipe pipe;
  JsonLinesSink sink(io_, {.path = "-"});
  pipe.close_reader();
  Delivery delivery;
  std::string observed_error;
  sink.observe_deliveries([&](std::chrono::microseconds, std::string_view error) { observed_error = error; });
  sink.produce(article("a1", "{}"), delivery.handler(), nullptr);
  ASSERT_TRUE(run_until(io_, [&] { return delivery.reported; }));
  EXPECT_FALSE(delivery.report.delivered);
  EXPECT_EQ(observed_error, "EPIPE");
  EXPECT_NE(sink.unready_reason().find("stdout"), std::string::npos);
}

}  // namespace
}  // namespace newsd::sinks
