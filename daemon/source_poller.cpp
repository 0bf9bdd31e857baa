#include "daemon/source_poller.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "parsers/feed_article.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kMaxBackoff = std::chrono::milliseconds(std::chrono::hours(1));

std::string file_path(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return {};
  return std::string(parsed->path());
}

// The acknowledgements of one poll's records, awaited together.
struct DeliveryBatch {
  explicit DeliveryBatch(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;
  std::size_t outstanding = 0;
  std::size_t failed = 0;

  void settle() {
    if (--outstanding == 0) done.cancel();
  }
};

}  // namespace

SourcePoller::SourcePoller(PollerContext& context, SourceConfig source)
    : context_(context),
      source_(std::move(source)),
      sleep_(context.io),
      jitter_(static_cast<unsigned>(std::hash<std::string>{}(source_.id))) {}

void SourcePoller::stop() {
  stopping_ = true;
  sleep_.cancel();
}

asio::awaitable<void> SourcePoller::run() {
  while (!stopping_) {
    ++stats_.polls;
    // Not a conditional expression: GCC 12 destroys the temporary of a
    // co_await inside ?: twice.
    Body body;
    if (source_.url.starts_with("file:"))
      body = co_await read_file();
    else
      body = co_await fetch();
    if (stopping_) break;
    if (body.failed) {
      record_failure(body.error_kind, body.error);
    } else if (body.not_modified) {
      ++stats_.not_modified;
      record_success();
    } else if (co_await publish(body)) {
      // Only a response whose every new item Kafka acknowledged may be
      // skipped next time; otherwise its items would never be retried.
      etag_ = body.etag;
      last_modified_ = body.last_modified;
    } else {
      etag_.clear();
      last_modified_.clear();
    }
    if (stopping_) break;
    sleep_.expires_after(next_delay());
    co_await sleep_.async_wait(use_tuple);
  }
}

asio::awaitable<SourcePoller::Body> SourcePoller::fetch() {
  fetchers::FetchRequest request;
  request.url = source_.url;
  request.if_none_match = etag_;
  request.if_modified_since = last_modified_;
  request.allow_private_networks = source_.allow_private_networks;
  auto response = co_await context_.fetcher.fetch(std::move(request));
  Body body;
  body.status = response.status;
  stats_.last_status = response.status;
  if (!response.ok()) {
    body.failed = true;
    body.error_kind = fetchers::to_string(response.error);
    body.error = body.error_kind +
                 (response.error_detail.empty() ? "" : ": " + response.error_detail);
  } else if (response.status == 304) {
    body.not_modified = true;
  } else if (response.status < 200 || response.status >= 300) {
    body.failed = true;
    body.error_kind = "HTTP " + std::to_string(response.status);
    body.error = body.error_kind;
  } else {
    body.bytes = std::move(response.body);
    body.url = response.effective_url.empty() ? source_.url : response.effective_url;
    body.content_type = std::move(response.content_type);
    body.content_location = std::move(response.content_location);
    body.etag = std::move(response.etag);
    body.last_modified = std::move(response.last_modified);
  }
  co_return body;
}

SourcePoller::Body SourcePoller::read_file_body(const std::string& path) {
  Body body;
  body.url = "file://" + path;
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path, ec);
  auto size = ec ? 0 : std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) {
    body.failed = true;
    body.error_kind = "unreadable file";
    body.error = "cannot read " + path + (ec ? ": " + ec.message() : "");
    return body;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  body.bytes = bytes.str();
  // Replayed feeds on disk: the file's size and mtime act as its validator.
  body.etag = std::to_string(size) + "-" + std::to_string(mtime.time_since_epoch().count());
  return body;
}

asio::awaitable<SourcePoller::Body> SourcePoller::read_file() {
  // A named task, not a temporary lambda inside the co_await expression:
  // GCC 12 destroys such temporaries twice.
  auto task = [path = file_path(source_.url)]() -> asio::awaitable<Body> {
    co_return read_file_body(path);
  };
  Body result = co_await asio::co_spawn(context_.cpu, std::move(task), asio::use_awaitable);
  if (!result.failed && !etag_.empty() && result.etag == etag_) result.not_modified = true;
  co_return result;
}

asio::awaitable<bool> SourcePoller::publish(const Body& body) {
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  parsers::FeedSource feed_source{body.url, body.content_type, body.content_location};
  std::string source_id = source_.id;
  // Parsing and record building are CPU work: off the event loop.
  auto task =
      [&]() -> asio::awaitable<std::pair<parsers::FeedResult, std::vector<parsers::Article>>> {
        auto result = parsers::parse_feed(body.bytes, feed_source);
        std::vector<parsers::Article> articles;
        if (result.feed) {
          // Feeds list newest first; produce oldest first so a source's
          // records reach the topic in publication order.
          for (auto it = result.feed->items.rbegin(); it != result.feed->items.rend(); ++it)
            articles.push_back(
                parsers::article_from_feed_item(*result.feed, *it, source_id, body.url, now));
        }
        co_return std::pair{std::move(result), std::move(articles)};
      };
  auto parsed = co_await asio::co_spawn(context_.cpu, std::move(task), asio::use_awaitable);
  const parsers::FeedResult& result = parsed.first;
  const std::vector<parsers::Article>& articles = parsed.second;
  if (!result.feed) {
    std::string kind = "not a usable feed (" + std::string(parsers::to_string(result.error)) + ")";
    record_failure(kind, kind + ": " + result.detail);
    co_return false;
  }
  if (!result.feed->malformed.empty())
    spdlog::debug("source {}: feed not well formed, recovered: {}", source_.id,
                  result.feed->malformed);
  record_success();

  auto batch = std::make_shared<DeliveryBatch>(context_.io);
  bool all_handed_over = true;
  const std::string& topic = source_.topic.empty() ? context_.default_topic : source_.topic;
  for (const auto& article : articles) {
    ++stats_.items_seen;
    if (article.id.empty()) {
      spdlog::debug("source {}: item without link, guid or title skipped", source_.id);
      continue;
    }
    if (context_.ledger.known(article.id)) continue;
    sinks::OutRecord record{topic, article.id,
                            boost::json::serialize(parsers::article_record(article)),
                            {{"schema", parsers::kArticleSchema},
                             {"source", source_.id},
                             {"content-type", "application/json"}}};
    std::string why;
    auto status = context_.sink.produce(
        std::move(record),
        [this, batch, id = article.id](const sinks::DeliveryReport& report) {
          if (report.delivered) {
            context_.ledger.acknowledged(id);
            ++stats_.published;
          } else {
            context_.ledger.failed(id);
            ++stats_.delivery_failures;
            ++batch->failed;
            spdlog::warn("source {}: record {} not delivered: {}", source_.id, id, report.error);
          }
          batch->settle();
        },
        &why);
    if (status != sinks::ProduceStatus::queued) {
      spdlog::warn("source {}: record {} not handed to kafka: {}", source_.id, article.id, why);
      all_handed_over = false;
      continue;
    }
    context_.ledger.begin(article.id);
    ++batch->outstanding;
    ++stats_.produced;
  }
  if (batch->outstanding > 0) {
    batch->done.expires_after(context_.delivery_wait);
    co_await batch->done.async_wait(use_tuple);
  }
  co_return all_handed_over && batch->outstanding == 0 && batch->failed == 0;
}

void SourcePoller::record_failure(const std::string& kind, const std::string& error) {
  ++stats_.failures;
  ++stats_.error_streak;
  // One line when a source starts failing or fails in another way; not one per poll.
  if (stats_.error_streak == 1 || kind != last_error_kind_)
    spdlog::warn("source {}: {} (will retry)", source_.id, error);
  stats_.last_error = error;
  last_error_kind_ = kind;
}

void SourcePoller::record_success() {
  if (stats_.error_streak > 0)
    spdlog::info("source {}: recovered after {} failed polls", source_.id, stats_.error_streak);
  stats_.error_streak = 0;
  stats_.last_error.clear();
  last_error_kind_.clear();
}

std::chrono::milliseconds SourcePoller::next_delay() {
  auto delay = source_.interval;
  if (stats_.error_streak > 0) {
    // Exponential backoff for a failing source, never giving up entirely.
    int doublings = std::min(stats_.error_streak - 1, 6);
    delay = std::min(delay * (1 << doublings), std::max(source_.interval, kMaxBackoff));
  }
  // ±10 % jitter so that sources configured alike do not poll in lockstep.
  auto spread = std::max<std::int64_t>(delay.count() / 10, 1);
  std::uniform_int_distribution<std::int64_t> jitter(-spread, spread);
  return std::max(delay + std::chrono::milliseconds(jitter(jitter_)), 100ms);
}

}  // namespace newsd::daemon
