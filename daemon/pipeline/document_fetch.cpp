#include "daemon/pipeline/document_fetch.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/pipeline/fetch_request.hpp"
#include "parsers/identity/article_identity.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

asio::awaitable<Fetched> DocumentFetch::next() {
  auto request = request_for(source_, moved_to_.empty() ? source_.url : moved_to_);
  request.if_none_match = etag_;
  request.if_modified_since = last_modified_;
  request.is_feed = source_.kind != SourceKind::html;
  const std::string host = parsers::url_host(request.url);
  const auto asked_at = std::chrono::system_clock::now();
  auto response = co_await shared_.fetcher.fetch(std::move(request));

  Fetched fetched;
  fetched.verdict = fetchers::classify(response);
  stats_.last_status = response.status;
  if (response.error != fetchers::FetchError::cancelled) {
    observe_lag(asked_at, response);
    fetched.network_outage = observe_reachability(host, response);
  }
  observe_move(response);
  retry_after_ = response.retry_after;
  cache_control_ = response.cache_control;
  expires_ = response.expires;
  date_ = response.date;
  if (response.status > 0)
    shared_.metrics.http_responses.with({source_.id, std::to_string(response.status)}).inc();
  if (fetched.verdict.ok()) {
    auto& document = fetched.document;
    document.bytes = std::move(response.body);
    document.url = response.effective_url.empty() ? source_.url : response.effective_url;
    document.content_type = std::move(response.content_type);
    document.content_location = std::move(response.content_location);
    document.status = response.status;
    fetched.etag = std::move(response.etag);
    fetched.last_modified = std::move(response.last_modified);
  }
  co_return fetched;
}

void DocumentFetch::keep_validators(const Fetched& fetched) {
  etag_ = fetched.etag;
  last_modified_ = fetched.last_modified;
}

void DocumentFetch::resume(const SourceCheckpoint& checkpoint) {
  etag_ = checkpoint.etag;
  last_modified_ = checkpoint.last_modified;
  moved_to_ = checkpoint.moved_to;
  if (!moved_to_.empty()) stats_.effective_url = moved_to_;
}

void DocumentFetch::forget_validators() {
  etag_.clear();
  last_modified_.clear();
}

void DocumentFetch::describe(PollOutcome& outcome) const {
  outcome.status = stats_.last_status;
  outcome.retry_after = retry_after_;
  outcome.cache_control = cache_control_;
  outcome.expires = expires_;
  outcome.date = date_;
}

// Lateness: the timer and the outbox before the request, the host's queue inside it.
void DocumentFetch::observe_lag(std::chrono::system_clock::time_point asked_at,
                                const fetchers::FetchResponse& response) {
  if (stats_.next_poll == std::chrono::system_clock::time_point{}) return;
  const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(asked_at - stats_.next_poll);
  stats_.last_lag = std::max(std::chrono::milliseconds(0), late) + response.queued;
  if (shared_.poll_lag == nullptr)
    shared_.poll_lag = &shared_.metrics.registry.histogram(
        "newsd_poll_lag_seconds", "How late polls went out against their schedule", {},
        {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300});
  shared_.poll_lag->with().observe(static_cast<double>(stats_.last_lag.count()) / 1000.0);
}

// Returns whether this failure happened during a whole-network outage.
bool DocumentFetch::observe_reachability(const std::string& host, const fetchers::FetchResponse& response) {
  const bool unreachable = fetchers::unreachable(response);
  if (host.empty()) return false;
  auto& outage = shared_.outage;
  const auto change = outage.record(host, !unreachable, std::chrono::steady_clock::now());
  if (change == NetworkOutageDetector::Change::began)
    spdlog::warn("network outage: {} hosts unreachable at once; their failures do not count against sources",
                 outage.failing_hosts());
  else if (change == NetworkOutageDetector::Change::ended)
    spdlog::info("network outage over: {} answered", host);
  return unreachable && outage.outage();
}

void DocumentFetch::observe_move(const fetchers::FetchResponse& response) {
  const auto& target = response.permanent_redirect;
  if (target.empty() || !response.ok() || response.status >= 400 || target == moved_to_ || target == source_.url)
    return;
  // Once per move: the config still names the old URL, the operator should update it.
  spdlog::warn("source {}: {} moved permanently to {}; polling the new URL (update the config)", source_.id,
               moved_to_.empty() ? source_.url : moved_to_, target);
  moved_to_ = target;
  stats_.effective_url = moved_to_;
}

}  // namespace newsd::daemon
