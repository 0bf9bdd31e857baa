// kind = "sitemap": a news sitemap (a urlset, with Google's news: extension
// for title, publication date, language and keywords) or a sitemap index.
// Each new URL's page is fetched and extracted like a fetch_articles feed
// item's; the sitemap's own fields are the item's. Of an index, the child
// sitemaps changed most recently are read (kChildrenPerPoll a poll).
#include <algorithm>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/pipeline/fetch_request.hpp"
#include "daemon/pipeline/source.hpp"
#include "parsers/articles/feed_article.hpp"
#include "parsers/feeds/sitemap_reader.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

// News sitemap indexes list a child per day or month, newest changed first
// or last; the newest few hold the news.
constexpr std::size_t kChildrenPerPoll = 5;

parsers::TimePoint when(const std::optional<parsers::FeedDate>& date) {
  return date && date->value ? date->value->utc : parsers::TimePoint{};
}

class SitemapSource final : public Source {
 public:
  SitemapSource(const SourceConfig& config, SourceTools tools) : config_(config), tools_(std::move(tools)) {}

  asio::awaitable<SourceRead> read(const Document& document) override {
    SourceRead read;
    auto parsed = co_await parse(document);
    if (!parsed.sitemap) {
      read.parse_error = parsers::to_string(parsed.error);
      read.failure_kind = "not a usable sitemap (" + read.parse_error + ")";
      read.failure = read.failure_kind + ": " + parsed.detail;
      read.dead_letter_document = true;
      co_return read;
    }
    std::vector<parsers::SitemapEntry> entries = std::move(parsed.sitemap->entries);
    if (parsed.sitemap->kind == parsers::Sitemap::Kind::index)
      entries = co_await children_entries(parsed.sitemap->children);
    co_await pages(entries, document.url, read);
    co_return read;
  }

 private:
  asio::awaitable<parsers::SitemapResult> parse(const Document& document) {
    auto task = [&document]() -> asio::awaitable<parsers::SitemapResult> {
      co_return parsers::parse_sitemap(document.bytes,
                                       {document.url, document.content_type, document.content_location});
    };
    co_return co_await asio::co_spawn(tools_.cpu, std::move(task), asio::use_awaitable);
  }

  // The entries of the index's most recently changed children.
  asio::awaitable<std::vector<parsers::SitemapEntry>> children_entries(std::vector<parsers::SitemapChild> children) {
    std::stable_sort(children.begin(), children.end(),
                     [](const auto& a, const auto& b) { return when(a.lastmod) > when(b.lastmod); });
    if (children.size() > kChildrenPerPoll) children.resize(kChildrenPerPoll);
    std::vector<parsers::SitemapEntry> entries;
    for (const auto& child : children) {
      if (tools_.stopping()) break;
      auto response = co_await tools_.fetcher->fetch(request_for(config_, child.loc));
      const auto verdict = fetchers::classify(response);
      if (!verdict.ok()) {
        spdlog::warn("source {}: child sitemap {}: {}", config_.id, child.loc, verdict.error);
        continue;
      }
      Document document{std::move(response.body), child.loc, response.content_type, response.content_location,
                        response.status};
      auto parsed = co_await parse(document);
      if (!parsed.sitemap) {
        spdlog::warn("source {}: child sitemap {}: {}", config_.id, child.loc, parsed.detail);
        continue;
      }
      for (auto& entry : parsed.sitemap->entries) entries.push_back(std::move(entry));
    }
    co_return entries;
  }

  // Each new entry's page, oldest first, no more than the outbox has room
  // for; an entry whose page yields no article is dead-lettered and left out.
  asio::awaitable<void> pages(std::vector<parsers::SitemapEntry>& entries, const std::string& sitemap_url,
                              SourceRead& read) {
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return when(a.publication_date ? a.publication_date : a.lastmod) <
             when(b.publication_date ? b.publication_date : b.lastmod);
    });
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    parsers::Feed feed;
    feed.format = "sitemap";
    const std::size_t room = tools_.room();
    for (const auto& entry : entries) {
      if (tools_.stopping()) break;
      auto article = parsers::article_from_feed_item(feed, parsers::sitemap_entry_as_item(entry), config_.id,
                                                     sitemap_url, now);
      if (article.id.empty() || tools_.known(article.id)) continue;
      if (read.articles.size() >= room) {
        read.complete = false;
        break;
      }
      auto outcome = co_await tools_.pages->enrich(article, config_);
      tools_.page_fetched(article.url, outcome);
      if (!outcome.extracted) continue;
      read.articles.push_back(std::move(article));
    }
  }

  const SourceConfig& config_;
  SourceTools tools_;
};

}  // namespace

std::unique_ptr<Source> make_sitemap_source(const SourceConfig& config, SourceTools tools) {
  return std::make_unique<SitemapSource>(config, std::move(tools));
}

}  // namespace newsd::daemon
