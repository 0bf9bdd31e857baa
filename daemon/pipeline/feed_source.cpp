// kind = "feed": an RSS, Atom or JSON feed; each item an article, oldest
// first. With fetch_articles, each new item's page is fetched and extracted
// and what it says merged into the item's article; a cluster member hands
// the items whose pages are on another member's hosts over to it.
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/pipeline/source.hpp"
#include "parsers/articles/feed_article.hpp"
#include "parsers/feeds/feed.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

class FeedSource final : public Source {
 public:
  FeedSource(const SourceConfig& config, SourceTools tools) : config_(config), tools_(std::move(tools)) {}

  asio::awaitable<SourceRead> read(const Document& document) override {
    SourceRead read = co_await parse(document);
    if (read.usable() && config_.fetch_articles && tools_.pages) {
      if (tools_.elsewhere) hand_off(read);
      co_await enrich(read.articles);
    }
    co_return read;
  }

 private:
  // Parsing and article building are CPU work: off the event loop.
  asio::awaitable<SourceRead> parse(const Document& document) {
    auto task = [&document, id = config_.id]() -> asio::awaitable<SourceRead> {
      co_return articles_of(document, id);
    };
    co_return co_await asio::co_spawn(tools_.cpu, std::move(task), asio::use_awaitable);
  }

  static SourceRead articles_of(const Document& document, const std::string& source_id) {
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto result = parsers::parse_feed(document.bytes, {document.url, document.content_type, document.content_location});
    SourceRead read;
    if (!result.feed) {
      read.parse_error = parsers::to_string(result.error);
      read.failure_kind = "not a usable feed (" + read.parse_error + ")";
      read.failure = read.failure_kind + ": " + result.detail;
      read.dead_letter_document = true;
      return read;
    }
    if (!result.feed->malformed.empty())
      spdlog::debug("source {}: feed not well formed, recovered: {}", source_id, result.feed->malformed);
    read.ttl_minutes = result.feed->ttl_minutes;
    // Feeds list newest first; produce oldest first so a source's records
    // reach the topic in publication order.
    auto& items = result.feed->items;
    read.articles.reserve(items.size());
    for (auto it = items.rbegin(); it != items.rend(); ++it)
      read.articles.push_back(parsers::article_from_feed_item(*result.feed, *it, source_id, document.url, now));
    return read;
  }

  // Moves the new items whose pages another member fetches to `handed_off`.
  void hand_off(SourceRead& read) const {
    std::vector<parsers::Article> here;
    here.reserve(read.articles.size());
    for (auto& article : read.articles) {
      const bool away = !article.id.empty() && !tools_.known(article.id) && tools_.elsewhere(article.url);
      (away ? read.handed_off : here).push_back(std::move(article));
    }
    read.articles = std::move(here);
  }

  // The full body from each new item's page; what is already known is not fetched.
  asio::awaitable<void> enrich(std::vector<parsers::Article>& articles) {
    for (auto& article : articles) {
      if (tools_.stopping() || article.id.empty() || tools_.known(article.id)) continue;
      auto outcome = co_await tools_.pages->enrich(article, config_);
      // When the page yields nothing, the feed's own text still makes a record.
      tools_.page_fetched(article.url, outcome);
    }
  }

  const SourceConfig& config_;
  SourceTools tools_;
};

}  // namespace

std::unique_ptr<Source> make_feed_source(const SourceConfig& config, SourceTools tools) {
  return std::make_unique<FeedSource>(config, std::move(tools));
}

}  // namespace newsd::daemon
