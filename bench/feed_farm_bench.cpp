// feed_farm_bench: the real newsd binary, as a process, against a loopback
// farm of N feeds at interval T, with Kafka (a real broker or the embedded
// one) between them and a consumer here. Prints what an operator sizing a
// machine wants: newsd's CPU (% of one core, from /proc/PID/stat), peak RSS
// (VmHWM), polls/s (counted by the farm), p50/p99 lag of polls against their
// schedule (newsd_poll_lag_seconds from /metrics), and p50/p99 time from a
// new item appearing in a feed to its record arriving from Kafka.
//
// The farm: H "sites" on 127.0.1.x (each its own host to newsd's per-host
// politeness), N feeds spread over them, served by an Asio HTTP/1.1 server
// with keep-alive, ETag and Last-Modified (304 when unchanged). During the
// measurement a new item appears in a random feed R times a second; its
// creation time (ms) is in its link and guid.
//
//   feed_farm_bench --newsd build/daemon/newsd [--feeds 10000] [--interval 60]
//       [--hosts 100] [--items-per-second 2] [--warmup 90] [--measure 120]
//       [--brokers embedded|HOST:PORT]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <librdkafka/rdkafka.h>

extern char** environ;

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string http_date(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

// --- the farm ------------------------------------------------------------------------

struct Item {
  std::uint64_t seq;
  std::int64_t created_ms;
};

struct Feed {
  std::uint64_t version = 0;
  std::int64_t modified_ms = 0;
  std::vector<Item> items;  // newest last; at most kItemsPerFeed
};

class FeedFarm {
 public:
  static constexpr std::size_t kItemsPerFeed = 10;

  FeedFarm(asio::io_context& io, int hosts, int feeds) : io_(io), feeds_(static_cast<std::size_t>(feeds)) {
    const std::int64_t start = now_ms() - 3'600'000;
    for (std::size_t i = 0; i < feeds_.size(); ++i) {
      feeds_[i].items.push_back({0, start});
      feeds_[i].modified_ms = start;
    }
    for (int h = 0; h < hosts; ++h) {
      const std::string address = host_address(h);
      auto acceptor = std::make_unique<tcp::acceptor>(io_);
      tcp::endpoint endpoint(asio::ip::make_address(address), port_);
      acceptor->open(endpoint.protocol());
      acceptor->set_option(tcp::acceptor::reuse_address(true));
      acceptor->bind(endpoint);
      acceptor->listen(1024);
      if (port_ == 0) port_ = acceptor->local_endpoint().port();
      hosts_.push_back(address);
      asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
      acceptors_.push_back(std::move(acceptor));
    }
  }

  static std::string host_address(int h) { return "127.0.1." + std::to_string(h + 1); }

  std::string url(std::size_t feed) const {
    return "http://" + hosts_[feed % hosts_.size()] + ":" + std::to_string(port_) + "/feed/" + std::to_string(feed) +
           ".xml";
  }

  // A new item in a random feed; call on the farm's thread.
  void add_item(std::mt19937& random) {
    std::uniform_int_distribution<std::size_t> pick(0, feeds_.size() - 1);
    Feed& feed = feeds_[pick(random)];
    const std::int64_t created = now_ms();
    feed.items.push_back({feed.items.back().seq + 1, created});
    if (feed.items.size() > kItemsPerFeed) feed.items.erase(feed.items.begin());
    ++feed.version;
    feed.modified_ms = created;
    ++items_created;
  }

  std::atomic<std::uint64_t> full_responses{0};
  std::atomic<std::uint64_t> not_modified{0};
  std::atomic<std::uint64_t> items_created{0};

 private:
  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  std::string body(std::size_t index, const Feed& feed) const {
    const std::string base = url(index);
    const std::string site = base.substr(0, base.find("/feed/"));
    std::string out =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Farm feed " +
        std::to_string(index) + "</title><link>" + site + "/</link><description>feed farm</description>\n";
    for (auto it = feed.items.rbegin(); it != feed.items.rend(); ++it) {
      const std::string id = std::to_string(index) + "-" + std::to_string(it->seq) + "-" + std::to_string(it->created_ms);
      out += "<item><title>Item " + std::to_string(it->seq) + " of feed " + std::to_string(index) +
             "</title><link>" + site + "/feed/" + std::to_string(index) + "/item-" + id + "</link><guid isPermaLink=\"false\">farm-" +
             id + "</guid><pubDate>" + http_date(it->created_ms) +
             "</pubDate><description>A new item appeared in the farm.</description></item>\n";
    }
    out += "</channel></rss>\n";
    return out;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    std::string buffer;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                                     asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      const std::string head = buffer.substr(0, n);
      buffer.erase(0, n);
      const auto first_space = head.find(' ');
      const auto second_space = head.find(' ', first_space + 1);
      const std::string target = head.substr(first_space + 1, second_space - first_space - 1);
      std::string if_none_match;
      if (auto at = head.find("\r\nIf-None-Match: "); at != std::string::npos) {
        const auto start = at + 17;
        if_none_match = head.substr(start, head.find("\r\n", start) - start);
      }
      std::string response;
      std::size_t index = 0;
      if (target.starts_with("/feed/") &&
          (index = static_cast<std::size_t>(std::strtoull(target.c_str() + 6, nullptr, 10))) < feeds_.size()) {
        const Feed& feed = feeds_[index];
        const std::string etag = "\"" + std::to_string(index) + "-" + std::to_string(feed.version) + "\"";
        const std::string validators =
            "ETag: " + etag + "\r\nLast-Modified: " + http_date(feed.modified_ms) + "\r\n";
        if (if_none_match == etag) {
          ++not_modified;
          response = "HTTP/1.1 304 Not Modified\r\n" + validators + "\r\n";
        } else {
          ++full_responses;
          const std::string text = body(index, feed);
          response = "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=UTF-8\r\n" + validators +
                     "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
        }
      } else if (target == "/robots.txt") {
        response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
      } else {
        response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
      }
      auto [wec, written] = co_await asio::async_write(socket, asio::buffer(response), asio::as_tuple(asio::use_awaitable));
      (void)written;
      if (wec) co_return;
    }
  }

  asio::io_context& io_;
  std::vector<Feed> feeds_;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
  std::vector<std::string> hosts_;
  std::uint16_t port_ = 0;
};

// --- newsd as a process ----------------------------------------------------------------

struct ProcessSample {
  double cpu_seconds = 0;
  long hwm_kb = 0;
  long rss_kb = 0;
};

ProcessSample sample(pid_t pid) {
  ProcessSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(text.substr(close + 2));
    std::vector<std::string> values{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
    // After the command: state is field 3; utime and stime are fields 14 and 15.
    if (values.size() > 13)
      s.cpu_seconds = static_cast<double>(std::stoull(values[11]) + std::stoull(values[12])) /
                      static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) s.hwm_kb = std::stol(line.substr(6));
    if (line.starts_with("VmRSS:")) s.rss_kb = std::stol(line.substr(6));
  }
  return s;
}

std::string http_get(std::uint16_t port, const std::string& path) {
  try {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(request));
    std::string response;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(response), ec);
    const auto body = response.find("\r\n\r\n");
    return body == std::string::npos ? std::string() : response.substr(body + 4);
  } catch (const std::exception&) {
    return {};
  }
}

// Cumulative buckets of a histogram without labels, from the text format.
std::map<double, double> histogram(const std::string& metrics, const std::string& name) {
  std::map<double, double> buckets;
  std::istringstream in(metrics);
  const std::string prefix = name + "_bucket{le=\"";
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(prefix)) continue;
    const auto end = line.find('"', prefix.size());
    const std::string le = line.substr(prefix.size(), end - prefix.size());
    const double bound = le == "+Inf" ? 1e18 : std::stod(le);
    buckets[bound] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  return buckets;
}

// A quantile of the observations between two cumulative snapshots,
// interpolated linearly inside the bucket it falls in.
double quantile(const std::map<double, double>& before, const std::map<double, double>& after, double q) {
  std::vector<std::pair<double, double>> delta;
  for (const auto& [bound, count] : after) {
    auto old = before.find(bound);
    delta.emplace_back(bound, count - (old == before.end() ? 0 : old->second));
  }
  if (delta.empty() || delta.back().second <= 0) return -1;
  const double rank = q * delta.back().second;
  double lower_bound = 0, lower_count = 0;
  for (const auto& [bound, count] : delta) {
    if (count >= rank) {
      if (bound >= 1e18) return lower_bound;  // past the last bound: report it
      const double width = count - lower_count;
      return width <= 0 ? bound : lower_bound + (bound - lower_bound) * (rank - lower_count) / width;
    }
    lower_bound = bound;
    lower_count = count;
  }
  return lower_bound;
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(q * static_cast<double>(values.size())))];
}

// --- Kafka consumer ------------------------------------------------------------------------

class Consumer {
 public:
  Consumer(const std::string& brokers, const std::string& topic) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    const std::string group = "feed-farm-bench-" + std::to_string(::getpid());
    for (auto [key, value] : std::vector<std::pair<const char*, std::string>>{
             {"bootstrap.servers", brokers},
             {"group.id", group},
             {"auto.offset.reset", "earliest"},
             {"enable.auto.commit", "false"},
             {"topic.metadata.refresh.interval.ms", "1000"},
             {"fetch.wait.max.ms", "50"}}) {
      if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
        throw std::runtime_error(error);
    }
    handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (handle_ == nullptr) throw std::runtime_error(error);
    rd_kafka_poll_set_consumer(handle_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(handle_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    thread_ = std::thread([this] { loop(); });
  }

  ~Consumer() {
    stop_ = true;
    thread_.join();
    rd_kafka_consumer_close(handle_);
    rd_kafka_destroy(handle_);
  }

  // (created_ms, received_ms) of every record seen so far.
  std::vector<std::pair<std::int64_t, std::int64_t>> arrivals() {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  std::uint64_t records() const { return records_; }

 private:
  void loop() {
    while (!stop_) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(handle_, 100);
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->payload != nullptr) {
        const std::int64_t received = now_ms();
        ++records_;
        boost::system::error_code ec;
        auto value = boost::json::parse(
            std::string_view(static_cast<const char*>(message->payload), message->len), ec);
        if (!ec && value.is_object()) {
          // guid "farm-FEED-SEQ-CREATEDMS"
          const auto* feed = value.as_object().if_contains("feed");
          const auto* guid = feed && feed->is_object() ? feed->as_object().if_contains("guid") : nullptr;
          if (guid && guid->is_string()) {
            const std::string text(guid->as_string());
            const auto dash = text.rfind('-');
            if (text.starts_with("farm-") && dash != std::string::npos) {
              std::lock_guard lock(mutex_);
              arrivals_.emplace_back(std::stoll(text.substr(dash + 1)), received);
            }
          }
        }
      }
      rd_kafka_message_destroy(message);
    }
  }

  rd_kafka_t* handle_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> records_{0};
  std::mutex mutex_;
  std::vector<std::pair<std::int64_t, std::int64_t>> arrivals_;
};

struct Options {
  std::string newsd = "build/daemon/newsd";
  int feeds = 10'000;
  int interval = 60;
  int hosts = 100;
  double items_per_second = 2;
  int warmup = -1;   // default: 1.5 intervals
  int measure = -1;  // default: 2 intervals
  std::string brokers = "embedded";
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--newsd") o.newsd = value;
    else if (key == "--feeds") o.feeds = std::stoi(value);
    else if (key == "--interval") o.interval = std::stoi(value);
    else if (key == "--hosts") o.hosts = std::stoi(value);
    else if (key == "--items-per-second") o.items_per_second = std::stod(value);
    else if (key == "--warmup") o.warmup = std::stoi(value);
    else if (key == "--measure") o.measure = std::stoi(value);
    else if (key == "--brokers") o.brokers = value;
    else {
      std::cerr << "unknown option " << key << "\n";
      std::exit(2);
    }
  }
  if (o.warmup < 0) o.warmup = o.interval * 3 / 2;
  if (o.measure < 0) o.measure = o.interval * 2;
  o.hosts = std::clamp(o.hosts, 1, 250);
  return o;
}

std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  const std::string topic = "bench.articles";
  const auto dir = std::filesystem::temp_directory_path() / ("feed-farm-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "state");

  // The farm, on its own thread.
  asio::io_context farm_io;
  FeedFarm farm(farm_io, options.hosts, options.feeds);
  auto farm_work = asio::make_work_guard(farm_io);
  std::thread farm_thread([&] { farm_io.run(); });

  const std::uint16_t http_port = free_port();
  {
    std::ofstream config(dir / "newsd.toml");
    config << "state_dir = \"" << (dir / "state").string() << "\"\n"
           << "[http]\nlisten = \"127.0.0.1:" << http_port << "\"\n"
           << "[kafka]\nbrokers = \"" << options.brokers << "\"\ntopic = \"" << topic << "\"\n"
           << "[fetch]\nallow_private_networks = true\nmax_connections_per_host = 2\n"
           << "[log]\nlevel = \"warn\"\n";
    for (int i = 0; i < options.feeds; ++i) {
      config << "[[sources]]\nid = \"farm-" << i << "\"\nurl = \"" << farm.url(static_cast<std::size_t>(i))
             << "\"\ninterval = \"" << options.interval << "s\"\n";
    }
  }

  // newsd, its stderr to a file (the embedded broker's address is logged there).
  const std::string log_path = (dir / "newsd.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string config_path = (dir / "newsd.toml").string();
  char* child_argv[] = {const_cast<char*>(options.newsd.c_str()), const_cast<char*>("run"),
                        const_cast<char*>("--config"), const_cast<char*>(config_path.c_str()), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, options.newsd.c_str(), &actions, nullptr, child_argv, environ) != 0) {
    std::cerr << "cannot start " << options.newsd << "\n";
    return 1;
  }
  const auto started = Clock::now();
  std::cerr << "newsd pid " << pid << ", " << options.feeds << " feeds on " << options.hosts
            << " loopback hosts, interval " << options.interval << "s; config and log in " << dir << "\n";

  // Wait (deadline 60 s) for its metrics, and for the embedded broker's address.
  std::string brokers = options.brokers;
  for (auto deadline = Clock::now() + 60s; Clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
    if (brokers == "embedded") {
      std::ifstream log(log_path);
      for (std::string line; std::getline(log, line);) {
        if (auto at = line.find("embedded broker at "); at != std::string::npos) {
          brokers = line.substr(at + 19, line.find(' ', at + 19) - at - 19);
        }
      }
    }
    if (brokers != "embedded" && !http_get(http_port, "/metrics").empty()) break;
  }
  if (http_get(http_port, "/metrics").empty()) {
    std::cerr << "newsd did not answer /metrics within 60 s; see " << log_path << "\n";
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    return 1;
  }
  auto consumer_owner = std::make_unique<Consumer>(brokers, topic);
  Consumer& consumer = *consumer_owner;

  std::this_thread::sleep_until(started + std::chrono::seconds(options.warmup));
  const ProcessSample cpu_before = sample(pid);
  const auto lag_before = histogram(http_get(http_port, "/metrics"), "newsd_poll_lag_seconds");
  const auto polls_before = farm.full_responses.load() + farm.not_modified.load();
  const auto not_modified_before = farm.not_modified.load();
  const std::int64_t window_start_ms = now_ms();
  const auto window_start = Clock::now();

  // New items during the measurement, at the requested rate.
  std::atomic<bool> creating{true};
  std::thread creator([&] {
    std::mt19937 random(42);
    const auto period = std::chrono::duration<double>(1.0 / options.items_per_second);
    auto next = Clock::now();
    while (creating) {
      next += std::chrono::duration_cast<Clock::duration>(period);
      std::this_thread::sleep_until(next);
      asio::post(farm_io, [&] { farm.add_item(random); });
    }
  });
  std::this_thread::sleep_until(window_start + std::chrono::seconds(options.measure));
  creating = false;
  creator.join();
  const std::int64_t window_end_ms = now_ms();
  const auto window = std::chrono::duration<double>(Clock::now() - window_start).count();
  const ProcessSample cpu_after = sample(pid);
  const auto lag_after = histogram(http_get(http_port, "/metrics"), "newsd_poll_lag_seconds");
  const auto polls = farm.full_responses.load() + farm.not_modified.load() - polls_before;
  const auto not_modified = farm.not_modified.load() - not_modified_before;
  const std::uint64_t created = farm.items_created.load();

  // Every item of the window gets an interval and a bit to arrive.
  auto in_window = [&] {
    std::vector<double> latencies;
    for (const auto& [created_ms, received_ms] : consumer.arrivals()) {
      if (created_ms >= window_start_ms && created_ms <= window_end_ms)
        latencies.push_back(static_cast<double>(received_ms - created_ms) / 1000.0);
    }
    return latencies;
  };
  for (auto deadline = Clock::now() + std::chrono::seconds(options.interval * 2 + 10);
       Clock::now() < deadline && in_window().size() < created;)
    std::this_thread::sleep_for(250ms);
  const std::vector<double> latencies = in_window();
  consumer_owner.reset();  // before its broker goes away with newsd (embedded)

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  farm_work.reset();
  farm_io.stop();
  farm_thread.join();

  std::printf("feed_farm_bench: %d feeds on %d hosts, interval %ds, brokers %s, %.0f s measured after %d s warm-up\n",
              options.feeds, options.hosts, options.interval, options.brokers.c_str(), window, options.warmup);
  std::printf("  newsd CPU           %.1f %% of one core\n",
              100.0 * (cpu_after.cpu_seconds - cpu_before.cpu_seconds) / window);
  std::printf("  peak RSS (VmHWM)    %.1f MB (RSS at the end %.1f MB)\n", cpu_after.hwm_kb / 1024.0,
              cpu_after.rss_kb / 1024.0);
  std::printf("  polls/s             %.1f (%.1f %% answered 304)\n", static_cast<double>(polls) / window,
              polls ? 100.0 * static_cast<double>(not_modified) / static_cast<double>(polls) : 0.0);
  std::printf("  poll lag            p50 %.3f s, p99 %.3f s (newsd_poll_lag_seconds)\n",
              quantile(lag_before, lag_after, 0.5), quantile(lag_before, lag_after, 0.99));
  std::printf("  new item -> Kafka   p50 %.2f s, p99 %.2f s, max %.2f s (%zu of %llu items arrived; target p99 <= %d s)\n",
              percentile(latencies, 0.5), percentile(latencies, 0.99), percentile(latencies, 1.0),
              latencies.size(), static_cast<unsigned long long>(created), options.interval + 2);
  std::printf("  newsd exit status   %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::filesystem::remove_all(dir);
  return 0;
}
