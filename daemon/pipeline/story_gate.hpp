#pragma once
// StoryGate: the identity stage. It decides which of a poll's articles
// become records and as which version: one record per identity per poll,
// nothing that is already on its way to Kafka, and the story memory's
// verdict (new, unchanged, updated, near duplicate) for the rest. Per source,
// owned by its poller; event loop thread only.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "daemon/config/config.hpp"
#include "daemon/ops/metrics.hpp"
#include "parsers/articles/article.hpp"
#include "sinks/dedupe/story_memory.hpp"
#include "sinks/outbox/outbox.hpp"

namespace newsd::daemon {

// An article the gate let through: publish it as `version`.
struct Admitted {
  parsers::Article* article = nullptr;
  std::uint32_t version = 1;
};

class StoryGate {
 public:
  // `stories` may be null: then every candidate is new (ids only).
  StoryGate(const SourceConfig& source, Outbox& outbox, StoryMemory* stories, const metrics::SourceSeries& series)
      : source_(source), outbox_(outbox), stories_(stories), series_(series) {}

  // The poll's articles that may become records, in the order given: those
  // with an identity; of several with one identity (a live blog's updates,
  // a feed linking every item to its section) the first; none waiting in the
  // outbox; and, for sources whose pages are fetched, none already published
  // (their feed text would look like an edit of the page's body).
  // A huge poll is looked at kCandidateSlice articles per turn of the event loop.
  boost::asio::awaitable<std::vector<parsers::Article*>> candidates(std::vector<parsers::Article>& articles) const;
  static constexpr std::size_t kCandidateSlice = 5000;

  // The story memory's verdicts on `chunk`: the articles to publish and
  // their versions, in order. Unchanged stories, versions Kafka already
  // acknowledged and dropped near duplicates are settled and left out. A
  // verdict repeats until its version is published, so an admitted article
  // that is not submitted loses nothing. nullopt: the memory could not be
  // written, nothing may be produced.
  // The memory's reads and writes run on its writer thread; the event loop
  // goes on meanwhile.
  boost::asio::awaitable<std::optional<std::vector<Admitted>>> admit(std::span<parsers::Article* const> chunk) const;

  // Whether the source's articles come with their pages (fetch_articles, section pages, sitemaps).
  bool refetches_pages() const { return source_.fetch_articles || source_.kind != SourceKind::feed; }

 private:
  // Whether the verdict asks for `article` to be published; settles the rest.
  bool wanted(parsers::Article& article, const sinks::Verdict& verdict) const;

  const SourceConfig& source_;
  Outbox& outbox_;
  StoryMemory* stories_;
  metrics::SourceSeries series_;
};

}  // namespace newsd::daemon
