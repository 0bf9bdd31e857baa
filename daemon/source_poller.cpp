#include "daemon/source_poller.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <cctype>
#include <fstream>
#include <span>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "daemon/status_page.hpp"
#include "parsers/article_identity.hpp"
#include "daemon/article_pages.hpp"
#include "daemon/story_memory.hpp"
#include "parsers/feed_article.hpp"
#include "parsers/text_fingerprint.hpp"
#include "parsers/text_codec.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// "news.{source}", "news.{language}": a topic per source or per language.
std::string expand_topic(const std::string& topic, const std::string& source,
                         const std::string& language) {
  if (topic.find('{') == std::string::npos) return topic;
  std::string lang = language.substr(0, language.find('-'));
  std::string out;
  for (std::size_t i = 0; i < topic.size();) {
    if (topic.compare(i, 8, "{source}") == 0) {
      out += source;
      i += 8;
    } else if (topic.compare(i, 10, "{language}") == 0) {
      out += lang.empty() ? "unknown" : lang;
      i += 10;
    } else {
      out += topic[i++];
    }
  }
  // Kafka topic names allow [A-Za-z0-9._-] only.
  for (auto& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return out;
}

PollPolicy poll_policy(const SourceConfig& source) {
  PollPolicy policy;
  policy.interval = source.interval;
  policy.min_interval = source.min_interval;
  policy.max_interval = source.max_interval;
  return policy;
}

std::string host_of(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  return parsed ? std::string(parsed->host()) : std::string();
}

std::string file_path(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return {};
  return std::string(parsed->path());
}

}  // namespace

SourcePoller::SourcePoller(PollerContext& context, SourceConfig source)
    : context_(context),
      source_(std::move(source)),
      sleep_(context.io),
      series_(context.metrics.source(source_.id)),
      schedule_(poll_policy(source_), static_cast<std::uint32_t>(std::hash<std::string>{}(source_.id))) {}

void SourcePoller::stop() {
  stopping_ = true;
  sleep_.cancel();
}

asio::awaitable<void> SourcePoller::run() {
  // Sources started together are spread over the first seconds instead of
  // all polling at once (at most 10 s, so a quick start stays quick).
  constexpr std::chrono::milliseconds kStartSpread{10'000};
  auto first = schedule_.initial_delay();
  if (source_.interval > kStartSpread) first = first * kStartSpread.count() / source_.interval.count();
  stats_.next_poll = std::chrono::system_clock::now() + first;
  sleep_.expires_after(first);
  co_await sleep_.async_wait(use_tuple);
  while (!stopping_) {
    ++stats_.polls;
    series_.polls->inc();
    stats_.last_poll = std::chrono::system_clock::now();
    // Not a conditional expression: GCC 12 destroys the temporary of a
    // co_await inside ?: twice.
    Body body;
    if (source_.url.starts_with("file:"))
      body = co_await read_file();
    else
      body = co_await fetch();
    series_.bytes_fetched->inc(body.bytes.size());
    if (stopping_) break;
    if (body.failed) {
      context_.metrics.fetch_errors.with({source_.id, body.error_kind}).inc();
      record_failure(body.error_kind, body.error);
    } else if (body.not_modified) {
      ++stats_.not_modified;
      record_success();
    } else if (co_await publish(body)) {
      // Only a response whose every new item is safely in the outbox may be
      // skipped next time; otherwise its items would never be retried.
      etag_ = body.etag;
      last_modified_ = body.last_modified;
    } else {
      etag_.clear();
      last_modified_.clear();
    }
    if (stopping_) break;
    stats_.interval = next_delay();
    stats_.next_poll = std::chrono::system_clock::now() + stats_.interval;
    sleep_.expires_after(stats_.interval);
    co_await sleep_.async_wait(use_tuple);
    // Backpressure: no new articles while Kafka has not taken the last ones.
    if (!stopping_ && context_.outbox.full()) co_await context_.outbox.wait_for_room();
  }
}

asio::awaitable<SourcePoller::Body> SourcePoller::fetch() {
  fetchers::FetchRequest request;
  request.url = moved_to_.empty() ? source_.url : moved_to_;
  request.if_none_match = etag_;
  request.if_modified_since = last_modified_;
  // Its own configured host only: a permanent move elsewhere does not take the permission along.
  if (source_.allow_private_networks) request.private_host = fetchers::host_of_url(source_.url);
  request.proxy = source_.proxy;
  request.extra_headers = source_.headers;
  request.is_feed = source_.kind == SourceKind::feed;
  const std::string host = host_of(request.url);
  const auto asked_at = std::chrono::system_clock::now();
  auto response = co_await context_.fetcher.fetch(std::move(request));
  Body body;
  body.status = response.status;
  stats_.last_status = response.status;
  // Lateness: the timer and the outbox before the request, the host's queue inside it.
  if (stats_.next_poll != std::chrono::system_clock::time_point{} && response.error != fetchers::FetchError::cancelled) {
    stats_.last_lag = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                  asked_at - stats_.next_poll)) +
                      response.queued;
    if (context_.poll_lag == nullptr)
      context_.poll_lag = &context_.metrics.registry.histogram(
          "newsd_poll_lag_seconds", "How late polls went out against their schedule", {},
          {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
    context_.poll_lag->with().observe(static_cast<double>(stats_.last_lag.count()) / 1000.0);
  }
  facts_.retry_after = response.retry_after;
  facts_.cache_control = response.cache_control;
  facts_.expires = response.expires;
  facts_.date = response.date;
  const bool unreachable = response.status == 0 && (response.error == fetchers::FetchError::resolve ||
                                                    response.error == fetchers::FetchError::connect ||
                                                    response.error == fetchers::FetchError::timeout);
  if (response.error != fetchers::FetchError::cancelled && !host.empty()) {
    const auto change = context_.outage.record(host, !unreachable, std::chrono::steady_clock::now());
    if (change == NetworkOutageDetector::Change::began)
      spdlog::warn("network outage: {} hosts unreachable at once; their failures do not count against sources",
                   context_.outage.failing_hosts());
    else if (change == NetworkOutageDetector::Change::ended)
      spdlog::info("network outage over: {} answered", host);
  }
  network_outage_ = unreachable && context_.outage.outage();
  if (!response.permanent_redirect.empty() && response.ok() && response.status < 400 &&
      response.permanent_redirect != moved_to_ && response.permanent_redirect != source_.url) {
    // Once per move: the config still names the old URL, the operator should update it.
    spdlog::warn("source {}: {} moved permanently to {}; polling the new URL (update the config)", source_.id,
                 moved_to_.empty() ? source_.url : moved_to_, response.permanent_redirect);
    moved_to_ = response.permanent_redirect;
    stats_.effective_url = moved_to_;
  }
  if (response.status > 0)
    context_.metrics.http_responses.with({source_.id, std::to_string(response.status)}).inc();
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
  std::optional<std::vector<parsers::Article>> articles;
  if (source_.kind == SourceKind::html)
    articles = co_await articles_from_listing(body);
  else
    articles = co_await articles_from_feed(body);
  if (!articles) co_return false;
  const bool complete = co_await submit(*articles);
  // A quarter of a million articles take ~100 ms to free: not on the event loop.
  asio::post(context_.cpu, [done = std::move(*articles)] {});
  co_return complete;
}

asio::awaitable<std::optional<std::vector<parsers::Article>>> SourcePoller::articles_from_feed(
    const Body& body) {
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
          // The items live on as articles; a feed of 250,000 items would
          // otherwise be held twice for the whole poll.
          std::vector<parsers::FeedItem>().swap(result.feed->items);
        }
        co_return std::pair{std::move(result), std::move(articles)};
      };
  auto parsed = co_await asio::co_spawn(context_.cpu, std::move(task), asio::use_awaitable);
  const parsers::FeedResult& result = parsed.first;
  std::vector<parsers::Article>& articles = parsed.second;
  if (!result.feed) {
    context_.metrics.parse_failures.with({source_.id, std::string(parsers::to_string(result.error))})
        .inc();
    std::string kind = "not a usable feed (" + std::string(parsers::to_string(result.error)) + ")";
    // One dead letter when a source starts failing this way, as with the log line.
    if (stats_.error_streak == 0 || kind != last_error_kind_)
      dead_letter(body.url, body.status, body.content_type, body.bytes, kind + ": " + result.detail);
    record_failure(kind, kind + ": " + result.detail);
    co_return std::nullopt;
  }
  if (!result.feed->malformed.empty())
    spdlog::debug("source {}: feed not well formed, recovered: {}", source_.id,
                  result.feed->malformed);
  record_success();
  feed_ttl_ = result.feed->ttl_minutes;
  series_.articles_extracted->inc(articles.size());
  if (!source_.fetch_articles || !context_.pages) co_return std::move(articles);

  // The full body from each new item's page; what is already known is not fetched.
  for (auto& article : articles) {
    if (stopping_ || article.id.empty() || context_.outbox.known(article.id)) continue;
    auto outcome = co_await context_.pages->enrich(article, source_);
    if (!outcome.extracted) {
      // The feed's own text still makes a record; the page goes to the dead letters.
      spdlog::debug("source {}: page {} not extracted: {}", source_.id, article.url, outcome.error);
      if (outcome.fetched)
        dead_letter(article.url, outcome.status, outcome.content_type, outcome.body_sample,
                    "page not extracted: " + outcome.error);
    }
  }
  co_return std::move(articles);
}

asio::awaitable<std::optional<std::vector<parsers::Article>>> SourcePoller::articles_from_listing(
    const Body& body) {
  if (!context_.pages) co_return std::nullopt;
  const parsers::SiteTemplateSet& templates = context_.pages->templates();
  auto task = [&]() -> asio::awaitable<std::vector<std::string>> {
    co_return find_article_links(body.bytes, body.content_type, body.url, templates,
                                 source_.template_name);
  };
  auto links = co_await asio::co_spawn(context_.cpu, std::move(task), asio::use_awaitable);
  if (links.empty()) {
    record_failure("no article links", "no article links on the section page " + body.url);
    co_return std::nullopt;
  }
  record_success();
  std::vector<parsers::Article> articles;
  // Listings show the newest first; extract and produce oldest first.
  for (auto it = links.rbegin(); it != links.rend() && !stopping_; ++it) {
    std::string id = parsers::article_id_for_url(*it);
    if (context_.outbox.known(id)) continue;
    auto extracted = co_await context_.pages->extract(*it, source_);
    auto& article = extracted.first;
    const auto& outcome = extracted.second;
    if (!outcome.extracted) {
      spdlog::debug("source {}: page {} not extracted: {}", source_.id, *it, outcome.error);
      if (outcome.fetched)
        dead_letter(*it, outcome.status, outcome.content_type, outcome.body_sample,
                    "page not extracted: " + outcome.error);
      continue;
    }
    // The page's own canonical URL (<link rel=canonical>, og:url) names the
    // article when it stays on the same site; else the link that was found.
    article.url = parsers::canonical_url(parsers::choose_canonical(*it, article.url));
    article.id = parsers::article_id_for_url(article.url);
    article.source = source_.id;
    if (article.id != id && context_.outbox.known(article.id)) continue;
    articles.push_back(std::move(article));
  }
  series_.articles_extracted->inc(articles.size());
  co_return std::move(articles);
}

std::size_t record_value_limit(std::size_t message_max_bytes) {
  // Headroom for what else counts against message.max.bytes: the key (32
  // bytes), the headers (a few hundred at most) and the batch framing.
  constexpr std::size_t kHeadroom = 4096;
  return message_max_bytes > 2 * kHeadroom ? message_max_bytes - kHeadroom : message_max_bytes / 2;
}

std::string_view cut_text(std::string_view text, std::size_t keep) {
  if (keep >= text.size()) return text;
  // At the end of a paragraph when one ends in the last quarter of what may
  // be kept: a reader gets whole paragraphs, at the price of a little text.
  if (auto paragraph = text.rfind("\n\n", keep);
      paragraph != std::string_view::npos && paragraph > 0 && paragraph >= keep - keep / 4)
    return text.substr(0, paragraph);
  // Else at a character boundary: never half of a UTF-8 sequence.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return text.substr(0, keep);
}

std::string fit_article_record(parsers::Article& article, std::size_t max_bytes) {
  std::string value = boost::json::serialize(parsers::article_record(article));
  // Each pass cuts at least the excess from the body: JSON escaping only ever
  // makes the written body longer than the text, so the record shrinks by at
  // least as much. Usually one pass; a body of many escaped characters may
  // take a few.
  while (value.size() > max_bytes && !article.body.empty()) {
    const std::size_t excess = value.size() - max_bytes;
    const std::size_t keep = excess >= article.body.size() ? 0 : article.body.size() - excess;
    article.body = std::string(cut_text(article.body, keep));
    article.body_truncated = true;
    value = boost::json::serialize(parsers::article_record(article));
  }
  return value;
}

asio::awaitable<std::vector<parsers::Article*>> SourcePoller::candidates(
    std::vector<parsers::Article>& articles) {
  // Which articles are candidates: not in flight, and for sources whose
  // pages are not fetched again once published, not published either (their
  // feed text would look like an edit of the page's body).
  bool refetches_pages = source_.fetch_articles || source_.kind == SourceKind::html;
  std::vector<parsers::Article*> chosen;
  std::unordered_set<std::string_view> ids_this_poll;
  for (std::size_t i = 0; i < articles.size(); ++i) {
    // A huge feed is looked at over several turns of the event loop.
    if (i > 0 && i % kCandidateSlice == 0) co_await asio::post(context_.io, asio::use_awaitable);
    auto& article = articles[i];
    ++stats_.items_seen;
    if (article.id.empty()) {
      spdlog::debug("source {}: item without link, guid or title skipped", source_.id);
      continue;
    }
    // Items of one document with one identity (a live blog's updates, a feed
    // that links every item to its section page) are one story: the first
    // in document order stands, so one (id, version) never gets two values.
    if (!ids_this_poll.insert(article.id).second) {
      series_.item_collisions->inc();
      spdlog::debug("source {}: another item with the identity of {} ({}) merged into the first", source_.id,
                    article.id, article.url);
      continue;
    }
    if (context_.outbox.waiting(article.id) ||
        (refetches_pages && context_.outbox.known(article.id))) {
      series_.articles_deduplicated->inc();
      continue;
    }
    chosen.push_back(&article);
  }
  co_return chosen;
}

bool SourcePoller::wanted(parsers::Article& article, const sinks::Verdict& verdict) {
  // Kafka already acknowledged this version (an earlier run published it
  // before the story memory knew, or crashed between the two commits):
  // settle the story memory; producing it again would give the same
  // (id, version) a second value.
  if (verdict.novelty != sinks::Novelty::unchanged &&
      context_.outbox.published_version(article.id) >= verdict.version) {
    if (context_.stories) context_.stories->published(article.id, verdict.version);
    series_.articles_deduplicated->inc();
    return false;
  }
  bool skip = false;
  switch (verdict.novelty) {
    case sinks::Novelty::unchanged:
      skip = true;
      break;
    case sinks::Novelty::new_article:
      break;
    case sinks::Novelty::updated:
      article.version = static_cast<int>(verdict.version);
      spdlog::info("source {}: article {} changed; publishing version {}", source_.id,
                   article.id, verdict.version);
      break;
    case sinks::Novelty::near_duplicate:
      series_.near_duplicates->inc();
      spdlog::info("source {}: {} ({}) is the story of {}; {}", source_.id, article.id, article.url,
                   verdict.duplicate_of, source_.publish_duplicates ? "published with duplicate_of" : "dropped");
      if (!source_.publish_duplicates) {
        // Settled: the story memory stops asking, so it is counted and logged once.
        if (context_.stories) context_.stories->published(article.id, verdict.version);
        skip = true;
      }
      article.duplicate_of = verdict.duplicate_of;
      break;
  }
  if (skip) series_.articles_deduplicated->inc();
  return !skip;
}

sinks::OutRecord SourcePoller::record_of(parsers::Article& article, const sinks::Verdict& verdict,
                                         const std::string& topic) {
  // Kept below the producer's message.max.bytes by cutting the body; a
  // record still too large (a huge title) is refused by the sink and
  // dead-lettered by the outbox.
  std::string value = fit_article_record(article, context_.max_record_bytes);
  if (article.body_truncated)
    spdlog::warn("source {}: body of {} cut to {} bytes to fit Kafka's message.max.bytes", source_.id,
                 article.id, article.body.size());
  return sinks::OutRecord{expand_topic(topic, source_.id, article.language), article.id, std::move(value),
                          {{"schema", parsers::kArticleSchema},
                           {"source", source_.id},
                           {"version", std::to_string(verdict.version)},
                           {"content-type", "application/json"}}};
}

asio::awaitable<bool> SourcePoller::submit(std::vector<parsers::Article>& articles) {
  const std::vector<parsers::Article*> candidates = co_await this->candidates(articles);

  const std::string& topic = source_.topic.empty() ? context_.default_topic : source_.topic;
  // (The story memory learns of each acknowledged version from the outbox itself.)
  // Runs after Kafka's acknowledgement, maybe after a reload freed this
  // poller: what it touches outlives pollers, except the poller's own stats.
  Outbox::PublishedHandler on_published = [this, alive = std::weak_ptr<const bool>(alive_),
                                           published = series_.articles_published, &history = context_.history,
                                           source = source_.id](const std::string& id) {
    published->inc();
    history.published(id, source);
    if (alive.lock()) ++stats_.published;
  };
  // Candidates go in the order given (oldest first), in chunks: the story
  // memory and record building of a huge feed must not hold the event loop
  // for seconds, and each chunk takes no more than the outbox has room for.
  // What is left waits for the next poll, which fetches the whole feed again
  // (this poll is not complete, so its validators are not kept).
  bool complete = true;
  for (std::size_t start = 0; start < candidates.size(); start += kSubmitChunk) {
    if (start > 0) co_await asio::post(context_.io, asio::use_awaitable);
    if (stopping_) co_return false;
    std::size_t room = context_.outbox.room();
    if (room == 0) {
      complete = false;
      break;
    }
    const auto chunk = std::span(candidates).subspan(start, std::min(kSubmitChunk, candidates.size() - start));
    std::vector<sinks::Observation> observations;
    std::vector<parsers::TitleWords> title_words;  // the observations' views point here: no reallocation
    title_words.reserve(chunk.size());
    for (auto* article : chunk) {
      // content_hash is the body's SimHash, computed when the article was made.
      auto fingerprint = parsers::content_hash_value(article->content_hash);
      title_words.push_back(parsers::title_words(article->title));
      observations.push_back({article->id, source_.id, parsers::text_digest(article->title), fingerprint,
                              title_words.back(), article->body_words});
    }
    // Observing repeats a verdict that asks for publication until the version
    // is published, so candidates observed but not taken lose nothing.
    std::optional<std::vector<sinks::Verdict>> verdicts;
    if (context_.stories)
      verdicts = co_await context_.stories->observe(observations);
    else
      verdicts.emplace(observations.size());
    if (stopping_) co_return false;
    if (!verdicts) {
      // The story memory could not be written: nothing is produced, the poll is retried.
      spdlog::error("source {}: dedupe store write failed; the poll will be repeated", source_.id);
      co_return false;
    }
    room = context_.outbox.room();  // other pollers may have taken some meanwhile

    std::vector<std::pair<std::string, sinks::OutRecord>> records;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      // Building records (JSON) is also done in slices of the chunk.
      if (i > 0 && i % kBuildSlice == 0) co_await asio::post(context_.io, asio::use_awaitable);
      auto& article = *chunk[i];
      if (!wanted(article, (*verdicts)[i])) continue;
      if (records.size() == room) {
        complete = false;
        break;
      }
      records.emplace_back(article.id, record_of(article, (*verdicts)[i], topic));
      context_.history.submitted(article.id, article.title, article.url);
    }
    const auto count = records.size();
    // Once persisted in the outbox the records are safe (produced again after
    // a crash or a broker outage).
    auto taken = co_await context_.outbox.async_submit(std::move(records), on_published);
    if (!taken) co_return false;
    stats_.produced += *taken;
    series_.articles_produced->inc(*taken);
    if (*taken < count) complete = false;
    if (!complete) break;
  }
  if (!complete)
    spdlog::info("source {}: the outbox is full; the feed's other items wait for the next poll", source_.id);
  co_return complete;
}

void SourcePoller::dead_letter(const std::string& url, long status, const std::string& content_type,
                               std::string_view bytes, const std::string& error) {
  if (context_.dead_letter_topic.empty()) return;
  auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  bool truncated = bytes.size() > context_.dead_letter_max_body;
  boost::json::object letter{
      {"schema", "newsd.deadletter.v1"},
      {"source", source_.id},
      {"url", url},
      {"error", error},
      {"http_status", status},
      {"content_type", content_type},
      {"fetched_at", parsers::format_rfc3339(now)},
      {"body", parsers::sanitize_utf8(bytes.substr(0, context_.dead_letter_max_body))},
      {"body_truncated", truncated}};
  std::string id = parsers::hex_digest("deadletter\n" + source_.id + "\n" + url + "\n" +
                                       parsers::format_rfc3339(now));
  std::vector<std::pair<std::string, sinks::OutRecord>> records;
  records.emplace_back(id, sinks::OutRecord{context_.dead_letter_topic, id,
                                            boost::json::serialize(letter),
                                            {{"schema", "newsd.deadletter.v1"},
                                             {"source", source_.id},
                                             {"content-type", "application/json"}}});
  context_.outbox.submit(std::move(records));
}

void SourcePoller::record_failure(const std::string& kind, const std::string& error) {
  ++stats_.failures;
  ++stats_.error_streak;
  // One line when a source starts failing or fails in another way; not one per poll.
  if (stats_.error_streak == 1 || kind != last_error_kind_)
    spdlog::warn("source {}: {} (will retry)", source_.id, error);
  stats_.last_error = error;
  last_error_kind_ = kind;
  series_.error_streak->set(stats_.error_streak);
}

void SourcePoller::record_success() {
  if (stats_.error_streak > 0)
    spdlog::info("source {}: recovered after {} failed polls", source_.id, stats_.error_streak);
  stats_.error_streak = 0;
  series_.error_streak->set(0);
  stats_.last_error.clear();
  last_error_kind_.clear();
}

std::chrono::milliseconds SourcePoller::next_delay() {
  // What the poll since the last call did, read off the counters.
  const bool failed = stats_.failures > failures_seen_;
  const bool changed = stats_.produced > produced_seen_;
  failures_seen_ = stats_.failures;
  produced_seen_ = stats_.produced;
  PollOutcome outcome;
  outcome.kind = failed ? PollOutcome::Kind::failed : changed ? PollOutcome::Kind::changed : PollOutcome::Kind::unchanged;
  outcome.status = stats_.last_status;
  outcome.retry_after = facts_.retry_after;
  outcome.cache_control = facts_.cache_control;
  outcome.expires = facts_.expires;
  outcome.date = facts_.date;
  outcome.ttl_minutes = feed_ttl_;
  outcome.network_outage = failed && network_outage_;
  const auto delay = schedule_.on_poll(outcome, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  stats_.learned_interval = schedule_.current_interval();
  return delay;
}

}  // namespace newsd::daemon
