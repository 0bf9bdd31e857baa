#include "daemon/pipeline/story_gate.hpp"

#include <string_view>
#include <unordered_set>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "parsers/text/text_fingerprint.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

asio::awaitable<std::vector<parsers::Article*>> StoryGate::candidates(std::vector<parsers::Article>& articles) const {
  std::vector<parsers::Article*> out;
  std::unordered_set<std::string_view> ids_this_poll;
  for (std::size_t i = 0; i < articles.size(); ++i) {
    if (i > 0 && i % kCandidateSlice == 0) co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    auto& article = articles[i];
    if (article.id.empty()) {
      spdlog::debug("source {}: item without link, guid or title skipped", source_.id);
      continue;
    }
    // The first in document order stands, so one (id, version) never gets two values.
    if (!ids_this_poll.insert(article.id).second) {
      series_.item_collisions->inc();
      spdlog::debug("source {}: another item with the identity of {} ({}) merged into the first", source_.id,
                    article.id, article.url);
      continue;
    }
    if (outbox_.waiting(article.id) || (refetches_pages() && outbox_.known(article.id))) {
      series_.articles_deduplicated->inc();
      continue;
    }
    out.push_back(&article);
  }
  co_return out;
}

asio::awaitable<std::optional<std::vector<Admitted>>> StoryGate::admit(
    std::span<parsers::Article* const> chunk) const {
  std::vector<sinks::Observation> observations;
  std::vector<parsers::TitleWords> title_words;  // the observations' views point here: no reallocation
  title_words.reserve(chunk.size());
  for (auto* article : chunk) {
    // content_hash is the body's SimHash, computed when the article was made.
    title_words.push_back(parsers::title_words(article->title));
    observations.push_back({article->id, source_.id, parsers::text_digest(article->title),
                            parsers::content_hash_value(article->content_hash), title_words.back(),
                            article->body_words, article->page_digest});
  }
  std::optional<std::vector<sinks::Verdict>> verdicts;
  if (stories_)
    verdicts = co_await stories_->observe(observations);
  else
    verdicts.emplace(observations.size());
  if (!verdicts) co_return std::nullopt;
  std::vector<Admitted> admitted;
  for (std::size_t i = 0; i < chunk.size(); ++i)
    if (wanted(*chunk[i], (*verdicts)[i])) admitted.push_back({chunk[i], (*verdicts)[i].version});
  co_return admitted;
}

bool StoryGate::wanted(parsers::Article& article, const sinks::Verdict& verdict) const {
  const bool publish = verdict.novelty != sinks::Novelty::unchanged;
  // Kafka already acknowledged this version (an earlier run published it
  // before the story memory knew, or crashed between the two commits):
  // settle the memory; producing it again would give the same (id,
  // version) a second value.
  if (publish && outbox_.published_version(article.id) >= verdict.version) {
    if (stories_) stories_->published(article.id, verdict.version);
    series_.articles_deduplicated->inc();
    return false;
  }
  if (verdict.novelty == sinks::Novelty::updated)
    spdlog::info("source {}: article {} changed; publishing version {}", source_.id, article.id, verdict.version);
  if (verdict.novelty == sinks::Novelty::near_duplicate) {
    series_.near_duplicates->inc();
    spdlog::info("source {}: {} ({}) is the story of {}; {}", source_.id, article.id, article.url,
                 verdict.duplicate_of, source_.publish_duplicates ? "published with duplicate_of" : "dropped");
    article.duplicate_of = verdict.duplicate_of;
    // A dropped duplicate is settled: the story memory stops asking, so it is counted and logged once.
    if (!source_.publish_duplicates && stories_) stories_->published(article.id, verdict.version);
  }
  const bool dropped = verdict.novelty == sinks::Novelty::near_duplicate && !source_.publish_duplicates;
  if (!publish || dropped) {
    series_.articles_deduplicated->inc();
    return false;
  }
  article.version = static_cast<int>(verdict.version);
  return true;
}

}  // namespace newsd::daemon
