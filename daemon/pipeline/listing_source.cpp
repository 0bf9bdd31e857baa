// kind = "html": a section page listing articles. Its article links
// (parsers/articles/listing_links) are fetched and extracted, oldest first;
// links already published are not fetched again.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/pipeline/source.hpp"
#include "parsers/articles/listing_links.hpp"
#include "parsers/identity/article_identity.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;

namespace {

class ListingSource final : public Source {
 public:
  ListingSource(const SourceConfig& config, SourceTools tools) : config_(config), tools_(std::move(tools)) {}

  asio::awaitable<SourceRead> read(const Document& document) override {
    SourceRead read;
    auto links = co_await links_on(document);
    if (links.empty()) {
      read.failure_kind = "no article links";
      read.failure = "no article links on the section page " + document.url;
      co_return read;
    }
    // Listings show the newest first; extract and produce oldest first.
    for (auto it = links.rbegin(); it != links.rend() && !tools_.stopping(); ++it)
      if (auto article = co_await extract(*it)) read.articles.push_back(std::move(*article));
    co_return read;
  }

 private:
  asio::awaitable<std::vector<std::string>> links_on(const Document& document) {
    const parsers::SiteTemplateSet& templates = tools_.pages->templates();
    auto task = [&]() -> asio::awaitable<std::vector<std::string>> {
      co_return parsers::find_article_links(document.bytes, document.content_type, document.url, templates,
                                            config_.template_name);
    };
    co_return co_await asio::co_spawn(tools_.cpu, std::move(task), asio::use_awaitable);
  }

  asio::awaitable<std::optional<parsers::Article>> extract(const std::string& link) {
    const std::string id = parsers::article_id_for_url(link);
    if (tools_.known(id)) co_return std::nullopt;
    auto [article, outcome] = co_await tools_.pages->extract(link, config_);
    tools_.page_fetched(link, outcome);
    if (!outcome.extracted) co_return std::nullopt;
    // The page's own canonical URL (<link rel=canonical>, og:url) names the
    // article when it stays on the same site; else the link that was found.
    article.url = parsers::canonical_url(parsers::choose_canonical(link, article.url));
    article.id = parsers::article_id_for_url(article.url);
    article.source = config_.id;
    if (article.id != id && tools_.known(article.id)) co_return std::nullopt;
    co_return std::move(article);
  }

  const SourceConfig& config_;
  SourceTools tools_;
};

}  // namespace

std::unique_ptr<Source> make_listing_source(const SourceConfig& config, SourceTools tools) {
  return std::make_unique<ListingSource>(config, std::move(tools));
}

}  // namespace newsd::daemon
