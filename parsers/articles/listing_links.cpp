#include "parsers/articles/listing_links.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <boost/url/parse.hpp>

#include "parsers/html/html_document.hpp"
#include "parsers/identity/article_identity.hpp"
#include "parsers/identity/relative_url.hpp"

namespace newsd::parsers {

namespace {

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
  const std::string canonical = canonical_url(url);
  auto parsed = boost::urls::parse_uri(canonical);
  if (!parsed || (parsed->scheme_id() != boost::urls::scheme::http &&
                  parsed->scheme_id() != boost::urls::scheme::https))
    return false;
  std::string host = url_host(canonical);
  if (registrable_domain(host) != registrable_domain(std::string(site_host)))
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
                                            const SiteTemplateSet& templates,
                                            std::string_view template_name) {
  std::vector<std::string> links;
  auto parsed = parse_html(page, content_type);
  if (!parsed.document) return links;
  const auto& dom = parsed.document->dom;
  std::string host = url_host(page_url);
  const SiteTemplate* site_template =
      template_name.empty() ? templates.match(page_url, dom) : templates.find(template_name);
  std::vector<std::string> hrefs;
  bool by_template = site_template && !site_template->article_links.empty();
  if (by_template) hrefs = template_article_links(*site_template, dom);
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
    std::string absolute = resolve_relative_url(page_url, href);
    absolute = absolute.substr(0, absolute.find('#'));
    std::string link_host = url_host(absolute);
    bool share = std::any_of(kShareHosts.begin(), kShareHosts.end(), [&](std::string_view h) {
      return link_host == h || link_host.ends_with("." + std::string(h));
    });
    if (share) continue;
    if (!by_template && !looks_like_article_path(absolute, host)) continue;
    std::string canonical = canonical_url(absolute);
    if (canonical == canonical_url(page_url)) continue;
    if (seen.insert(canonical).second) links.push_back(absolute);
  }
  return links;
}

}  // namespace newsd::parsers
