#include "daemon/pipeline/article_pages.hpp"

#include "daemon/config/bounded_read.hpp"
#include "daemon/config/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>
#include <set>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/identity/article_identity.hpp"
#include "parsers/text/text_fingerprint.hpp"
#include "parsers/html/html_document.hpp"
#include "parsers/articles/language_detector.hpp"
#include "parsers/identity/relative_url.hpp"

namespace newsd::daemon {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kDeadLetterSample = 64 * 1024;

// Path segments that name navigation, not an article.
constexpr std::array<std::string_view, 18> kNavigationSegments{
    "tag",   "tags",   "category", "categories", "author", "authors", "page",     "feed", "search",
    "login", "signup", "about",    "contact",    "privacy", "terms",  "wp-login.php", "topics", "section"};

constexpr std::array<std::string_view, 10> kShareHosts{
    "facebook.com", "twitter.com", "x.com",      "t.me",          "whatsapp.com",
    "linkedin.com", "pinterest.com", "reddit.com", "telegram.me", "instagram.com"};

std::vector<std::string_view> path_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

}  // namespace

bool looks_like_article_path(std::string_view url, std::string_view site_host) {
  // The canonical form: a fragment, spaces or non-ASCII do not hide a link.
  const std::string canonical = parsers::canonical_url(url);
  auto parsed = boost::urls::parse_uri(canonical);
  if (!parsed || (parsed->scheme_id() != boost::urls::scheme::http &&
                  parsed->scheme_id() != boost::urls::scheme::https))
    return false;
  std::string host = parsers::url_host(canonical);
  if (parsers::registrable_domain(host) != parsers::registrable_domain(std::string(site_host)))
    return false;
  std::string path(parsed->encoded_path());
  auto segments = path_segments(path);
  if (segments.empty()) return false;  // the front page
  for (auto segment : segments) {
    std::string lower(segment);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(kNavigationSegments.begin(), kNavigationSegments.end(), lower) !=
        kNavigationSegments.end())
      return false;
  }
  auto last = segments.back();
  static constexpr std::array<std::string_view, 8> kNotPages{".jpg", ".jpeg", ".png", ".gif",
                                                             ".pdf", ".xml",  ".css", ".js"};
  for (auto ext : kNotPages)
    if (last.size() > ext.size() && last.substr(last.size() - ext.size()) == ext) return false;
  // Articles carry an id or a long slug: digits, or several words.
  bool digits = std::any_of(path.begin(), path.end(), [](unsigned char c) { return std::isdigit(c); });
  bool long_slug = std::count(last.begin(), last.end(), '-') >= 2 || last.size() >= 24;
  return digits || long_slug;
}

std::vector<std::string> find_article_links(std::string_view page, std::string_view content_type,
                                            std::string_view page_url,
                                            const parsers::SiteTemplateSet& templates,
                                            std::string_view template_name) {
  std::vector<std::string> links;
  auto parsed = parsers::parse_html(page, content_type);
  if (!parsed.document) return links;
  const auto& dom = parsed.document->dom;
  std::string host = parsers::url_host(page_url);
  const parsers::SiteTemplate* site_template =
      template_name.empty() ? templates.match(page_url, dom) : templates.find(template_name);
  std::vector<std::string> hrefs;
  bool by_template = site_template && !site_template->article_links.empty();
  if (by_template) hrefs = parsers::template_article_links(*site_template, dom);
  // A page the template's listing selectors do not fit falls back to the heuristic.
  if (hrefs.empty()) {
    by_template = false;
    for (const auto& node : dom.select_nodes("//a[@href]")) {
      // Links inside navigation furniture are not articles.
      bool furniture = false;
      for (auto parent = node.node().parent(); parent && !furniture; parent = parent.parent()) {
        std::string_view name = parent.name();
        furniture = name == "nav" || name == "header" || name == "footer" || name == "aside";
      }
      if (!furniture) hrefs.emplace_back(node.node().attribute("href").value());
    }
  }
  std::set<std::string> seen;
  for (const auto& href : hrefs) {
    if (href.empty() || href.starts_with('#') || href.starts_with("mailto:") ||
        href.starts_with("javascript:"))
      continue;
    std::string absolute = parsers::resolve_relative_url(page_url, href);
    absolute = absolute.substr(0, absolute.find('#'));
    std::string link_host = parsers::url_host(absolute);
    bool share = std::any_of(kShareHosts.begin(), kShareHosts.end(), [&](std::string_view h) {
      return link_host == h || link_host.ends_with("." + std::string(h));
    });
    if (share) continue;
    if (!by_template && !looks_like_article_path(absolute, host)) continue;
    std::string canonical = parsers::canonical_url(absolute);
    if (canonical == parsers::canonical_url(page_url)) continue;
    if (seen.insert(canonical).second) links.push_back(absolute);
  }
  return links;
}

void merge_page_into_feed_article(parsers::Article& feed, const parsers::Article& page) {
  if (!page.body.empty()) {
    feed.body = page.body;
    feed.content_hash = page.content_hash;
    feed.body_words = page.body_words;
    // The record's language is its body's: the page text decides, what the
    // item said (its text or its feed's declaration) is the hint.
    feed.language = parsers::detect_language(feed.title + "\n\n" + feed.body,
                                             {.declared = !feed.language.empty() ? feed.language : page.language,
                                              .url = feed.url});
  }
  if (feed.title.empty()) feed.title = page.title;
  if (feed.authors.empty()) feed.authors = page.authors;
  if (!feed.published_at) feed.published_at = page.published_at;
  if (!feed.updated_at) feed.updated_at = page.updated_at;
  if (feed.language.empty()) feed.language = page.language;
  if (!page.section.empty()) feed.section = page.section;
  if (!page.breadcrumbs.empty()) feed.breadcrumbs = page.breadcrumbs;
  for (const auto& tag : page.tags)
    if (std::find(feed.tags.begin(), feed.tags.end(), tag) == feed.tags.end()) feed.tags.push_back(tag);
  if (!page.image.empty()) feed.image = page.image;
  if (!page.site_name.empty()) feed.site_name = page.site_name;
  if (feed.summary.empty()) feed.summary = page.summary;
  feed.extraction = page.extraction;
  feed.extraction.detail = "feed item merged with its page";
}

ArticlePages::ArticlePages(fetchers::HttpFetcher& fetcher, asio::thread_pool& cpu,
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
    const std::string& url, const SourceConfig& source) {
  std::pair<parsers::Article, PageOutcome> out;
  auto& [article, outcome] = out;
  fetchers::FetchRequest request;
  request.url = url;
  // The source's permission covers its own host, not every private host its pages link to.
  if (source.allow_private_networks) request.private_host = fetchers::host_of_url(source.url);
  auto response = co_await fetcher_.fetch(std::move(request));
  outcome.status = response.status;
  outcome.content_type = response.content_type;
  outcome.fetched = response.ok() && response.status >= 200 && response.status < 300;
  if (!outcome.fetched) {
    outcome.error = response.ok() ? "HTTP " + std::to_string(response.status)
                                  : std::string(fetchers::to_string(response.error)) + ": " +
                                        response.error_detail;
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
    if (!outcome.extracted)
      outcome.body_sample = response.body.substr(0, std::min(response.body.size(), kDeadLetterSample));
    if (result.article) article = std::move(*result.article);
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
    if (extracted.second.extracted) merge_page_into_feed_article(article, extracted.first);
    outcome = std::move(extracted.second);
  }
  co_return outcome;
}

}  // namespace newsd::daemon
