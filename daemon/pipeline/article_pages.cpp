#include "daemon/pipeline/article_pages.hpp"

#include "daemon/pipeline/fetch_request.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/articles/feed_article.hpp"
#include "parsers/text/stated_time.hpp"
#include "parsers/text/text_fingerprint.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kDeadLetterSample = 64 * 1024;

// What a reader of the page sees, exactly: any edit to it is a new version.
// Dates reckoned from the fetch time ("2 hours ago") are left out: they
// move with every fetch.
std::uint64_t page_digest(const parsers::Article& page) {
  std::string content = page.title + '\n' + page.body + '\n';
  for (const auto& author : page.authors) content += author + '\x1f';
  content += '\n';
  if (page.published_at && !page.published_at->relative) content += parsers::format_rfc3339(*page.published_at);
  content += '\n';
  if (page.updated_at && !page.updated_at->relative) content += parsers::format_rfc3339(*page.updated_at);
  // Never 0, which means "no page".
  return std::max<std::uint64_t>(1, parsers::text_digest(content));
}

fetchers::FetchRequest page_request(const SourceConfig& source, const std::string& url,
                                    const PageValidators* validators) {
  auto request = request_for(source, url);
  if (validators) {
    request.if_none_match = validators->etag;
    request.if_modified_since = validators->last_modified;
  }
  return request;
}

}  // namespace

ArticlePages::ArticlePages(fetchers::Fetcher& fetcher, asio::thread_pool& cpu,
                           const fs::path& templates_dir, std::int64_t max_page_bytes)
    : fetcher_(fetcher), cpu_(cpu), max_page_bytes_(max_page_bytes) {
  if (templates_dir.empty()) return;
  std::vector<std::string> errors;
  templates_ = load_template_directory(templates_dir, errors);
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += "\n  " + e;
    throw std::runtime_error("site templates in " + templates_dir.string() + ":" + all);
  }
}

// GCC 12 reports a false -Wmismatched-new-delete on the frame of this
// coroutine once the extraction task is inlined into it (asio's frame
// allocator pairs its own new and delete); the warning is off here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<std::pair<parsers::Article, PageOutcome>> ArticlePages::extract(
    const std::string& url, const SourceConfig& source, const PageValidators* validators) {
  std::pair<parsers::Article, PageOutcome> out;
  auto& [article, outcome] = out;
  // The source's proxy, headers and private-network permission, as for its own document.
  auto response = co_await fetcher_.fetch(page_request(source, url, validators));
  const auto verdict = fetchers::classify(response);
  outcome.status = response.status;
  outcome.content_type = response.content_type;
  outcome.final_url = response.effective_url.empty() ? url : response.effective_url;
  outcome.fetched = verdict.ok();
  outcome.not_modified = verdict.kind == fetchers::FetchVerdict::Kind::not_modified;
  if (outcome.fetched) outcome.validators = {response.etag, response.last_modified};
  if (!outcome.fetched) {
    outcome.error = verdict.kind == fetchers::FetchVerdict::Kind::not_modified ? "HTTP 304" : verdict.error;
  } else {
    auto fetched_at =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    std::string final_url = response.effective_url.empty() ? url : response.effective_url;
    // CPU work off the event loop; a named task (GCC 12 and temporaries in co_await).
    auto task = [&]() -> asio::awaitable<parsers::ExtractResult> {
      parsers::PageInput page{response.body, final_url, response.content_type, fetched_at,
                              source.id, source.template_name};
      parsers::ExtractOptions options;
      options.html.max_bytes = static_cast<std::size_t>(max_page_bytes_);
      options.templates = &templates_;
      co_return parsers::extract_article(page, options);
    };
    auto result = co_await asio::co_spawn(cpu_, std::move(task), asio::use_awaitable);
    if (!result.article)
      outcome.error = std::string(parsers::to_string(result.error)) + ": " + result.detail;
    else if (result.article->body.empty())
      outcome.error = "no article text on the page";
    else
      outcome.extracted = true;
    if (!outcome.extracted) {
      outcome.body_size = response.body.size();
      outcome.body_sample = response.body.substr(0, std::min(response.body.size(), kDeadLetterSample));
    }
    if (result.article) {
      article = std::move(*result.article);
      if (outcome.extracted) article.page_digest = page_digest(article);
    }
  }
  co_return out;
}
#pragma GCC diagnostic pop

asio::awaitable<PageOutcome> ArticlePages::enrich(parsers::Article& article,
                                                  const SourceConfig& source) {
  PageOutcome outcome;
  if (article.url.empty()) {
    outcome.error = "the item has no link";
  } else {
    auto extracted = co_await extract(article.url, source);
    if (extracted.second.extracted) parsers::merge_page_into_feed_article(article, extracted.first);
    outcome = std::move(extracted.second);
  }
  co_return outcome;
}

}  // namespace newsd::daemon
