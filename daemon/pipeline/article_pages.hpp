#pragma once
// ArticlePages: the article-page half of the pipeline. For a feed item it
// fetches the item's page, extracts it off the event loop and merges page
// and feed metadata; for a section page (kind = "html") it finds the article
// links. Site templates are loaded once from the templates directory. Owned
// by the daemon; used from the event loop thread.
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/config/config.hpp"
#include "daemon/config/template_directory.hpp"
#include "fetchers/http_fetcher.hpp"
#include "parsers/articles/article.hpp"
#include "parsers/articles/site_template.hpp"

namespace newsd::daemon {

// Article links on a listing page: the template's article_links when one
// applies, else a heuristic (same site, article-like paths; no navigation,
// tag, category, author, pagination, feed or share links). Absolute URLs,
// each once, in page order. Pure.
std::vector<std::string> find_article_links(std::string_view page_utf8_or_bytes,
                                            std::string_view content_type,
                                            std::string_view page_url,
                                            const parsers::SiteTemplateSet& templates,
                                            std::string_view template_name);

// Whether a URL path looks like an article rather than navigation. Pure.
bool looks_like_article_path(std::string_view url, std::string_view site_host);

// What became of a page.
struct PageOutcome {
  bool fetched = false;      // an HTTP 2xx body was obtained
  bool extracted = false;    // the page yielded an article body
  long status = 0;
  std::string error;         // why not, when !extracted
  std::string body_sample;   // the raw body (capped), for a dead letter
  std::string content_type;
};

class ArticlePages {
 public:
  // Throws std::runtime_error when the templates directory has mistakes
  // (reported with file:line), a start-up error.
  ArticlePages(fetchers::HttpFetcher& fetcher, boost::asio::thread_pool& cpu,
               const std::filesystem::path& templates_dir, std::int64_t max_page_bytes);

  // Fetches and extracts `article.url`, merging what the page says into the
  // feed's article (the page wins for body, section, breadcrumbs and the
  // fields the feed lacks; the feed keeps id, url and its dates when it has
  // them). On failure the feed's article is left as it was.
  boost::asio::awaitable<PageOutcome> enrich(parsers::Article& article, const SourceConfig& source);

  // Fetches and extracts one page found on a section page.
  boost::asio::awaitable<std::pair<parsers::Article, PageOutcome>> extract(
      const std::string& url, const SourceConfig& source);

  const parsers::SiteTemplateSet& templates() const { return templates_; }

 private:
  fetchers::HttpFetcher& fetcher_;
  boost::asio::thread_pool& cpu_;
  parsers::SiteTemplateSet templates_;
  std::int64_t max_page_bytes_;
};

// Merges a page's article into the feed item's. Pure.
void merge_page_into_feed_article(parsers::Article& feed_article, const parsers::Article& page);

}  // namespace newsd::daemon
