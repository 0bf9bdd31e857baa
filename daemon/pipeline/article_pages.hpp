#pragma once
// ArticlePages: the article-page half of the pipeline. For a feed or sitemap
// item it fetches the item's page, extracts it off the event loop and merges
// page and feed metadata; for a link on a section page it extracts the page.
// Site templates are loaded once from the templates directory. Owned by the
// daemon; used from the event loop thread.
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "daemon/config/config.hpp"
#include "daemon/config/template_directory.hpp"
#include "fetchers/fetcher.hpp"
#include "parsers/articles/article.hpp"
#include "parsers/articles/site_template.hpp"

namespace newsd::daemon {

// What became of a page.
// A page's validators: sent back to ask whether it changed (conditional GET).
struct PageValidators {
  std::string etag;
  std::string last_modified;
};

struct PageOutcome {
  bool fetched = false;      // an HTTP 2xx body was obtained
  bool not_modified = false; // 304: the page is as it was when `validators` were given
  std::string final_url;     // after redirects
  PageValidators validators; // of the 2xx response
  bool extracted = false;    // the page yielded an article body
  long status = 0;
  std::string error;         // why not, when !extracted
  std::string body_sample;   // the raw body (capped), for a dead letter
  std::size_t body_size = 0; // the whole body's size, when body_sample was kept
  std::string content_type;
};

class ArticlePages {
 public:
  // Throws std::runtime_error when the templates directory has mistakes
  // (reported with file:line), a start-up error.
  ArticlePages(fetchers::Fetcher& fetcher, boost::asio::thread_pool& cpu,
               const std::filesystem::path& templates_dir, std::int64_t max_page_bytes);

  // Fetches and extracts `article.url`, merging what the page says into the
  // feed's article (the page wins for body, section, breadcrumbs and the
  // fields the feed lacks; the feed keeps id, url and its dates when it has
  // them). On failure the feed's article is left as it was.
  boost::asio::awaitable<PageOutcome> enrich(parsers::Article& article, const SourceConfig& source);

  // Fetches and extracts one page found on a section page (or revisited:
  // with the validators of its last fetch, a conditional GET).
  boost::asio::awaitable<std::pair<parsers::Article, PageOutcome>> extract(
      const std::string& url, const SourceConfig& source, const PageValidators* validators = nullptr);

  const parsers::SiteTemplateSet& templates() const { return templates_; }

 private:
  fetchers::Fetcher& fetcher_;
  boost::asio::thread_pool& cpu_;
  parsers::SiteTemplateSet templates_;
  std::int64_t max_page_bytes_;
};

}  // namespace newsd::daemon
