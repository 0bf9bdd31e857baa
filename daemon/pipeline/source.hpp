#pragma once
// Source: the stage that turns a source's fetched document into articles,
// one implementation per `kind` behind make_source(): a feed (RSS, Atom,
// JSON Feed; with fetch_articles, each new item's page too), a section page
// listing articles ("html"), a sitemap. Adding a kind is a class here and a
// line in make_source(); the poller, the gate and the records stay as they
// are. Event loop thread; CPU work goes to the thread pool.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/config/config.hpp"
#include "daemon/pipeline/article_pages.hpp"
#include "parsers/articles/article.hpp"

namespace newsd::daemon {

// What the source's URL answered with (a 2xx response or a `file:` read).
struct Document {
  std::string bytes;
  std::string url;  // after redirects
  std::string content_type;
  std::string content_location;
  long status = 0;
};

// What a source made of its document.
struct SourceRead {
  std::vector<parsers::Article> articles;  // oldest first
  std::optional<int> ttl_minutes;          // the document's own hint for polling (RSS <ttl>)
  // Empty when the document was usable. Else the failure, without details
  // that vary per poll (to tell a new failure from the same one again), and
  // the whole message.
  std::string failure_kind;
  std::string failure;
  std::string parse_error;         // newsd_parse_failures_total's label, when the document did not parse
  bool dead_letter_document = false;  // the document itself belongs in the dead letters
  // False when the source left articles for the next poll (no room for
  // their pages): the document's validators must not be kept.
  bool complete = true;
  // A cluster member's articles whose pages another member fetches (their
  // host is in its shard): handed over to it, not fetched here. Oldest first.
  std::vector<parsers::Article> handed_off;

  bool usable() const { return failure_kind.empty(); }
};

// What sources use besides their document; everything outlives the source.
struct SourceTools {
  boost::asio::thread_pool& cpu;
  ArticlePages* pages = nullptr;  // null: no page is fetched (a feed's own text only)
  fetchers::Fetcher* fetcher = nullptr;  // further documents of the source (a sitemap index's children)
  // How many records the outbox has room for now: no more pages are worth fetching.
  std::function<std::size_t()> room;
  // Whether a story id is already published or on its way: its page is not fetched again.
  std::function<bool(const std::string& id)> known;
  // Every page fetched for an article: one that yielded none goes to the
  // dead letters; an extracted one's validators are kept for its revisits.
  std::function<void(const std::string& url, const PageOutcome& outcome)> page_fetched;
  // Set when the poller stops: no more pages are fetched.
  std::function<bool()> stopping;
  // A cluster member: whether the page at this URL is fetched by the owner
  // of another shard (its host's). Unset: every page is fetched here.
  std::function<bool(const std::string& url)> elsewhere;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual boost::asio::awaitable<SourceRead> read(const Document& document) = 0;
};

// The Source for `config.kind`.
std::unique_ptr<Source> make_source(const SourceConfig& config, SourceTools tools);

// One per kind (feed_source.cpp, listing_source.cpp, ...).
std::unique_ptr<Source> make_feed_source(const SourceConfig& config, SourceTools tools);
std::unique_ptr<Source> make_listing_source(const SourceConfig& config, SourceTools tools);
std::unique_ptr<Source> make_sitemap_source(const SourceConfig& config, SourceTools tools);

}  // namespace newsd::daemon
