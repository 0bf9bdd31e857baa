#include "daemon/pipeline/source_poller.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/config/shards.hpp"
#include "parsers/identity/article_identity.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

PollPolicy poll_policy(const SourceConfig& source) {
  PollPolicy policy;
  policy.interval = source.interval;
  policy.min_interval = source.min_interval;
  policy.max_interval = source.max_interval;
  return policy;
}

}  // namespace

SourcePoller::SourcePoller(PollerContext& context, SourceConfig source)
    : context_(context),
      source_(std::move(source)),
      series_(context.fetch.metrics.source(source_.id)),
      sleep_(context.io),
      fetch_(context.fetch, source_, stats_),
      reader_(make_source(source_, tools())),
      gate_(source_, context.outbox, context.stories, series_),
      revisits_(source_, gate_,
                RevisitTools{context.revisits, context.pages, &context.outbox, &context.records,
                             &context.fetch.metrics, context.writes, [this] { return on_published(); }}),
      schedule_(poll_policy(source_), static_cast<std::uint32_t>(std::hash<std::string>{}(source_.id))) {}

SourceTools SourcePoller::tools() {
  SourceTools tools{context_.cpu, context_.pages, &context_.fetch.fetcher};
  tools.room = [this] { return context_.outbox.room() / context_.records.records_per_story(); };
  tools.known = [this](const std::string& id) { return context_.outbox.known(id); };
  tools.page_fetched = [this](const std::string& url, const PageOutcome& page) {
    if (page.extracted) {
      if (revisits_.enabled()) page_validators_[url] = page.validators;
      return;
    }
    spdlog::debug("source {}: page {} not extracted: {}", source_.id, url, page.error);
    if (page.fetched)
      dead_letter({url, page.status, page.content_type, page.body_sample, page.body_size,
                   "page not extracted: " + page.error});
  };
  tools.stopping = [this] { return stopping_; };
  if (context_.checkpoints) {
    // A cluster member: a page on a host of another shard is that shard's
    // owner's to fetch, so each host's politeness budget has one holder.
    tools.elsewhere = [this, shards = context_.records.settings().shards,
                       own = shard_of(source_, context_.records.settings().shards)](const std::string& url) {
      const auto host = parsers::url_host(url);
      return !host.empty() && shard_of_host(host, shards) != own;
    };
  }
  return tools;
}

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
  co_await sleep(resume().value_or(first));
  while (!stopping_) {
    co_await poll();
    if (stopping_) break;
    co_await save_checkpoint();
    if (stopping_) break;
    co_await revisits_.run_due([this] { return stopping_; });
    if (stopping_) break;
    co_await sleep(next_delay());
    // Backpressure: no new articles while Kafka has not taken the last ones.
    if (!stopping_ && context_.outbox.full()) co_await context_.outbox.wait_for_room();
  }
}

std::optional<std::chrono::milliseconds> SourcePoller::resume() {
  if (!context_.checkpoints) return std::nullopt;
  auto checkpoint = context_.checkpoints(source_.id);
  if (!checkpoint) return std::nullopt;
  fetch_.resume(*checkpoint);
  saved_ = checkpoint;
  const auto due = checkpoint->polled_at + source_.interval;
  const auto now = std::chrono::system_clock::now();
  spdlog::debug("source {}: resuming from its checkpoint (etag {}, polled {} ms ago)", source_.id,
                checkpoint->etag.empty() ? "none" : checkpoint->etag,
                std::chrono::duration_cast<std::chrono::milliseconds>(now - checkpoint->polled_at).count());
  return due > now ? std::chrono::duration_cast<std::chrono::milliseconds>(due - now) : std::chrono::milliseconds(0);
}

asio::awaitable<void> SourcePoller::save_checkpoint() {
  if (!context_.checkpoints) co_return;
  SourceCheckpoint checkpoint = fetch_.checkpoint();
  checkpoint.polled_at = stats_.last_poll;
  if (saved_ && saved_->same_place(checkpoint)) co_return;
  auto entry = context_.records.checkpoint_entry(source_, checkpoint);
  // One checkpoint of a source in the outbox at a time; a later poll writes the newer one.
  if (!entry || context_.outbox.waiting(std::string(sinks::story_of(entry->first)))) co_return;
  std::vector<std::pair<std::string, sinks::OutRecord>> records;
  records.push_back(std::move(*entry));
  auto taken = co_await context_.outbox.async_submit(std::move(records));
  if (taken && *taken == 1) saved_ = checkpoint;
}

asio::awaitable<void> SourcePoller::sleep(std::chrono::milliseconds delay) {
  stats_.interval = delay;
  stats_.next_poll = std::chrono::system_clock::now() + delay;
  sleep_.expires_after(delay);
  co_await sleep_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> SourcePoller::poll() {
  ++stats_.polls;
  series_.polls->inc();
  stats_.last_poll = std::chrono::system_clock::now();
  page_validators_.clear();  // of the last poll's pages
  const Fetched fetched = co_await fetch_.next();
  series_.bytes_fetched->inc(fetched.document.bytes.size());
  if (stopping_) co_return;
  network_outage_ = fetched.network_outage;
  switch (fetched.verdict.kind) {
    case fetchers::FetchVerdict::Kind::failed:
      context_.fetch.metrics.fetch_errors.with({source_.id, fetched.verdict.error_kind}).inc();
      record_failure(fetched.verdict.error_kind, fetched.verdict.error);
      break;
    case fetchers::FetchVerdict::Kind::not_modified:
      ++stats_.not_modified;
      record_success();
      break;
    case fetchers::FetchVerdict::Kind::ok:
      // Only a response whose every new item is safely in the outbox may be
      // skipped next time; otherwise its items would never be retried.
      if (co_await use(fetched))
        fetch_.keep_validators(fetched);
      else
        fetch_.forget_validators();
      break;
  }
}

asio::awaitable<bool> SourcePoller::use(const Fetched& fetched) {
  SourceRead read = co_await reader_->read(fetched.document);
  if (!read.usable()) {
    if (!read.parse_error.empty()) context_.fetch.metrics.parse_failures.with({source_.id, read.parse_error}).inc();
    // One dead letter when a source starts failing this way, as with the log line.
    const bool new_failure = stats_.error_streak == 0 || read.failure_kind != last_error_kind_;
    const auto& document = fetched.document;
    if (read.dead_letter_document && new_failure)
      dead_letter({document.url, document.status, document.content_type, document.bytes, 0, read.failure});
    record_failure(read.failure_kind, read.failure);
    co_return false;
  }
  record_success();
  ttl_minutes_ = read.ttl_minutes;
  series_.articles_extracted->inc(read.articles.size());
  stats_.items_seen += read.articles.size();
  bool submitted = co_await submit(read.articles);
  if (!read.handed_off.empty()) submitted = co_await hand_off(read.handed_off) && submitted;
  // A quarter of a million articles take ~100 ms to free: not on the event loop.
  asio::post(context_.cpu, [done = std::move(read.articles)] {});
  co_return submitted && read.complete;
}

asio::awaitable<bool> SourcePoller::submit(std::vector<parsers::Article>& articles) {
  const auto candidates = co_await gate_.candidates(articles);
  // In chunks: the story memory and record building of a huge feed must not
  // hold the event loop for seconds, and each chunk takes no more than the
  // outbox has room for. What is left waits for the next poll, which
  // fetches the whole document again (its validators are not kept).
  for (std::size_t start = 0; start < candidates.size(); start += kSubmitChunk) {
    if (start > 0) co_await asio::post(context_.io, asio::use_awaitable);
    if (stopping_) co_return false;
    const auto chunk = std::span(candidates).subspan(start, std::min(kSubmitChunk, candidates.size() - start));
    const Taken taken = co_await submit_chunk(chunk);
    if (taken == Taken::failed) co_return false;
    if (taken == Taken::some) {
      spdlog::info("source {}: the outbox is full; the other items wait for the next poll", source_.id);
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<SourcePoller::Taken> SourcePoller::submit_chunk(std::span<parsers::Article* const> chunk) {
  if (context_.outbox.room() < context_.records.records_per_story()) co_return Taken::some;
  auto admitted = co_await gate_.admit(chunk);
  if (stopping_) co_return Taken::failed;
  if (!admitted) {
    // The story memory could not be written: nothing is produced, the poll is retried.
    spdlog::error("source {}: dedupe store write failed; the poll will be repeated", source_.id);
    co_return Taken::failed;
  }
  // Room in stories: each takes records_per_story() records (its copy on
  // the latest topic too), which go into the outbox together or not at all.
  const std::size_t per_story = context_.records.records_per_story();
  std::vector<std::pair<std::string, sinks::OutRecord>> records;
  std::size_t stories = 0;
  for (const auto& [article, version] : *admitted) {
    // Building records (JSON) is done in slices too; other pollers may take room meanwhile.
    if (stories > 0 && stories % kBuildSlice == 0) co_await asio::post(context_.io, asio::use_awaitable);
    if ((stories + 1) * per_story > context_.outbox.room()) break;
    auto entries = context_.records.version_entries(*article, source_, version);
    std::move(entries.begin(), entries.end(), std::back_inserter(records));
    context_.history.submitted(article->id, article->title, article->url);
    ++stories;
  }
  const bool all = stories == admitted->size();
  const auto count = records.size();
  // Once persisted in the outbox the records are safe (produced again after
  // a crash or a broker outage).
  auto taken = co_await context_.outbox.async_submit(std::move(records), on_published());
  if (!taken) co_return Taken::failed;
  if (*taken == count) revisits_.schedule(std::span(*admitted).first(stories), page_validators_);
  stats_.produced += stories;
  series_.articles_produced->inc(stories);
  co_return all && *taken == count ? Taken::all : Taken::some;
}

asio::awaitable<bool> SourcePoller::hand_off(const std::vector<parsers::Article>& articles) {
  const auto shards = context_.records.settings().shards;
  std::vector<std::pair<std::string, sinks::OutRecord>> entries;
  for (const auto& article : articles) {
    auto entry = context_.records.handoff_entry(article, shard_of_host(parsers::url_host(article.url), shards));
    // Handed over already and not taken yet: the page's owner has it.
    if (!context_.outbox.waiting(std::string(sinks::story_of(entry.first)))) entries.push_back(std::move(entry));
  }
  // All or none: the document's validators are kept only once every item is on its way.
  if (entries.size() > context_.outbox.room()) co_return false;
  const auto count = entries.size();
  auto taken = co_await context_.outbox.async_submit(std::move(entries));
  if (!taken || *taken != count) co_return false;
  stats_.handed_off += count;
  co_return true;
}

// Runs after Kafka's acknowledgement, maybe after a reload freed this
// poller: what it touches outlives pollers, except the poller's own stats.
Outbox::PublishedHandler SourcePoller::on_published() {
  return [this, alive = std::weak_ptr<const bool>(alive_), published = series_.articles_published,
          &history = context_.history, source = source_.id](const std::string& id) {
    published->inc();
    history.published(id, source);
    if (alive.lock()) ++stats_.published;
  };
}

void SourcePoller::dead_letter(const Unusable& what) {
  auto record = context_.records.dead_letter(source_.id, what, std::chrono::system_clock::now());
  if (!record) return;
  std::vector<std::pair<std::string, sinks::OutRecord>> records;
  records.emplace_back(record->key, std::move(*record));
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
  fetch_.describe(outcome);
  outcome.ttl_minutes = ttl_minutes_;
  outcome.network_outage = failed && network_outage_;
  const auto delay = schedule_.on_poll(outcome, std::chrono::steady_clock::now(), std::chrono::system_clock::now());
  stats_.learned_interval = schedule_.current_interval();
  return delay;
}

}  // namespace newsd::daemon
