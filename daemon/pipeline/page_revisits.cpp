#include "daemon/pipeline/page_revisits.hpp"

#include <algorithm>
#include <iterator>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <spdlog/spdlog.h>

#include "daemon/ops/metrics.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t seconds(std::chrono::milliseconds delay) {
  return std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(delay).count());
}

// A path's segments, without empty ones ("/a//b/" is a, b).
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const auto segment = path.substr(0, slash);
    if (!segment.empty()) out.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

bool redirected_away(const std::string& original, const std::string& final) {
  if (final.empty() || final == original) return false;
  auto from = boost::urls::parse_uri(original);
  auto to = boost::urls::parse_uri(final);
  if (!from || !to) return false;
  const auto from_path = segments(from->encoded_path());
  const auto to_path = segments(to->encoded_path());
  // The home page of any host the site sends it to.
  if (to_path.empty()) return true;
  // A section above the page on the same host: /news/2026/story -> /news/.
  if (from->encoded_host() != to->encoded_host() || to_path.size() >= from_path.size()) return false;
  return std::equal(to_path.begin(), to_path.end(), from_path.begin());
}

bool PageRevisits::enabled() const {
  return tools_.store && tools_.pages && !source_.revisits.empty() && gate_.refetches_pages();
}

template <typename Work>
asio::awaitable<void> PageRevisits::write(Work work) {
  if (!tools_.writes) {
    work();
    co_return;
  }
  auto task = [work = std::move(work)]() mutable -> asio::awaitable<void> {
    work();
    co_return;
  };
  co_await asio::co_spawn(*tools_.writes, std::move(task), asio::use_awaitable);
}

void PageRevisits::schedule(std::span<const Admitted> published,
                            const std::unordered_map<std::string, PageValidators>& validators) {
  if (!enabled()) return;
  const auto now = unix_now();
  std::vector<sinks::Revisit> entries;
  for (const auto& [article, version] : published) {
    if (article->url.empty()) continue;
    sinks::Revisit entry;
    entry.id = article->id;
    entry.source = source_.id;
    entry.url = article->url;
    entry.topic = tools_.records->topic_for(*article, source_);
    entry.published = now;
    entry.due = now + seconds(source_.revisits.front());
    if (auto found = validators.find(article->url); found != validators.end()) {
      entry.etag = found->second.etag;
      entry.last_modified = found->second.last_modified;
    }
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) return;
  auto add = [store = tools_.store, entries = std::move(entries)] { store->add(entries); };
  if (tools_.writes)
    asio::post(*tools_.writes, std::move(add));
  else
    add();
}

asio::awaitable<void> PageRevisits::run_due(const std::function<bool()>& stopping) {
  if (!enabled()) co_return;
  // A read (LMDB readers never wait for the writer): on the loop, as the
  // outbox's published versions are; only the writes go to `writes`.
  auto due = tools_.store->due(source_.id, unix_now(), kPerPoll);
  for (auto& entry : due) {
    // New items first: a revisit never takes the room they need.
    if (stopping() || tools_.outbox->room() < tools_.records->records_per_story()) break;
    if (tools_.outbox->waiting(entry.id)) continue;  // its last version is still on its way: next time
    const sinks::Revisit before = entry;
    auto after = co_await revisit(std::move(entry));
    if (stopping()) break;
    co_await write([&] { tools_.store->replace(before, after); });
  }
}

asio::awaitable<std::optional<sinks::Revisit>> PageRevisits::revisit(sinks::Revisit entry) {
  const auto now = unix_now();
  const PageValidators validators{entry.etag, entry.last_modified};
  auto [page, outcome] = co_await tools_.pages->extract(entry.url, source_, &validators);
  if (outcome.not_modified) {
    count("not_modified");
    co_return next_step(std::move(entry), now);
  }
  if (outcome.status == 404 || outcome.status == 410) {
    // Once may be a glitch of the site; twice in a row, the story is gone.
    if (++entry.misses < 2) {
      count("missing");
      entry.due = now + std::min(seconds(kConfirmAfter), seconds(source_.revisits.front()));
      co_return entry;
    }
    if (!co_await retract(entry, "gone")) co_return entry;
    co_return std::nullopt;
  }
  if (outcome.fetched && redirected_away(entry.url, outcome.final_url)) {
    if (!co_await retract(entry, "redirected")) co_return entry;
    co_return std::nullopt;
  }
  if (!outcome.extracted) {
    count("failed");
    spdlog::debug("source {}: revisit of {} failed: {}", source_.id, entry.url, outcome.error);
    if (++entry.failures < kMaxFailures) {
      entry.due = now + seconds(kRetryAfter);
      co_return entry;
    }
    co_return next_step(std::move(entry), now);
  }
  if (!co_await publish_edit(page, entry)) co_return entry;  // tried again at the next run
  entry.etag = outcome.validators.etag;
  entry.last_modified = outcome.validators.last_modified;
  co_return next_step(std::move(entry), now);
}

asio::awaitable<bool> PageRevisits::publish_edit(parsers::Article& page, const sinks::Revisit& entry) {
  // The story keeps its identity whatever the page now calls itself.
  page.id = entry.id;
  page.url = entry.url;
  page.source = source_.id;
  parsers::Article* chunk[] = {&page};
  auto admitted = co_await gate_.admit(chunk);
  if (!admitted) co_return false;
  if (admitted->empty()) {
    count("unchanged");
    co_return true;
  }
  const auto version = admitted->front().version;
  auto records = tools_.records->version_entries(page, source_, version);
  const auto count_needed = records.size();
  auto taken = co_await tools_.outbox->async_submit(std::move(records), tools_.on_published());
  if (!taken || *taken != count_needed) co_return false;
  count("updated");
  spdlog::info("source {}: {} changed on its page: version {}", source_.id, entry.url, version);
  co_return true;
}

asio::awaitable<bool> PageRevisits::retract(const sinks::Revisit& entry, const std::string& reason) {
  const std::uint32_t version = std::max<std::uint32_t>(1, tools_.outbox->published_version(entry.id));
  Retraction story{entry.id, entry.url, entry.topic, version, reason};
  auto records = tools_.records->retraction_entries(story, source_.id, std::chrono::system_clock::now());
  const auto count_needed = records.size();
  auto taken = co_await tools_.outbox->async_submit(std::move(records), tools_.on_published());
  if (!taken || *taken != count_needed) co_return false;
  count("retracted");
  spdlog::info("source {}: {} is gone ({}): retracted at version {}", source_.id, entry.url, reason, version);
  co_return true;
}

std::optional<sinks::Revisit> PageRevisits::next_step(sinks::Revisit entry, std::int64_t now) const {
  entry.misses = 0;
  entry.failures = 0;
  // The next step still ahead: after a long stop, the steps missed are not made up one after another.
  do {
    ++entry.step;
  } while (entry.step < source_.revisits.size() && entry.published + seconds(source_.revisits[entry.step]) <= now);
  if (entry.step >= source_.revisits.size()) return std::nullopt;
  entry.due = entry.published + seconds(source_.revisits[entry.step]);
  return entry;
}

void PageRevisits::count(const char* outcome) const {
  tools_.metrics->page_revisits.with({source_.id, outcome}).inc();
}

}  // namespace newsd::daemon
