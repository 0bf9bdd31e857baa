#include "parsers/articles/article_extractor.hpp"

#include <algorithm>
#include <optional>

#include "parsers/text/ascii.hpp"
#include "parsers/identity/article_identity.hpp"
#include "parsers/text/text_fingerprint.hpp"
#include "parsers/articles/content_scorer.hpp"
#include "parsers/html/html_elements.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/articles/language_detector.hpp"
#include "parsers/articles/page_date.hpp"
#include "parsers/identity/relative_url.hpp"
#include "parsers/articles/structured_metadata.hpp"

namespace newsd::parsers {
namespace {

std::string join_paragraphs(const std::vector<std::string>& paragraphs) {
  std::string out;
  for (const auto& p : paragraphs) {
    if (!out.empty()) out += "\n\n";
    out += p;
  }
  return out;
}

constexpr std::string_view kTitleSeparators[] = {" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " · ", " • ", " / ", " ㅣ "};
// Written without spaces, these separate a suffix only when it is the site's
// name itself: "Headline|Site", Korean "헤드라인ㅣ사이트" (ㅣ, a bare jamo, never
// occurs inside Korean words). An unspaced "-" is too common inside words to
// cut on anything less.
constexpr std::string_view kTightTitleSeparators[] = {"ㅣ", "|", "-"};

// "Headline - Site Name" -> "Headline" when the tail names the site (or, with
// no site name known, when it is a short tail after a long headline).
std::string strip_site_suffix(std::string title, std::string_view site_name) {
  std::string site_lower = lower_ascii(site_name);
  for (auto separator : kTitleSeparators) {
    auto pos = title.rfind(separator);
    if (pos == std::string::npos || pos == 0) continue;
    std::string_view head(title.data(), pos);
    std::string_view tail = std::string_view(title).substr(pos + separator.size());
    std::string tail_lower = lower_ascii(tail);
    bool names_site = !site_lower.empty() && (tail_lower == site_lower || site_lower.find(tail_lower) != std::string::npos ||
                                              tail_lower.find(site_lower) != std::string::npos);
    bool short_tail = site_name.empty() && visible_length(tail) * 3 < visible_length(head) && visible_length(tail) < 40;
    if (names_site || short_tail) return normalize_whitespace(head);
  }
  for (auto separator : kTightTitleSeparators) {
    auto pos = title.rfind(separator);
    if (pos == std::string::npos || pos == 0 || site_lower.empty()) continue;
    if (lower_ascii(normalize_whitespace(std::string_view(title).substr(pos + separator.size()))) == site_lower)
      return normalize_whitespace(std::string_view(title).substr(0, pos));
  }
  // "Site Name | Headline"
  for (auto separator : kTitleSeparators) {
    auto pos = title.find(separator);
    if (pos == std::string::npos || site_name.empty()) continue;
    if (lower_ascii(std::string_view(title).substr(0, pos)) == site_lower)
      return normalize_whitespace(std::string_view(title).substr(pos + separator.size()));
  }
  return title;
}

// Class names that hide an element from readers (screen-reader-only text,
// separators shown only to assistive technology, collapsed copies).
constexpr std::string_view kHiddenClasses[] = {"sr-only",  "visually-hidden", "visuallyhidden", "screen-reader-text",
                                               "h-offscreen", "offscreen",    "is-hidden",      "hide",
                                               "hidden",   "displaynone",     "d-none",         "element-invisible"};

bool is_hidden(pugi::xml_node node) {
  if (node.attribute("hidden") || iequals_ascii(node.attribute("aria-hidden").value(), "true")) return true;
  std::string_view classes = node.attribute("class").value();
  std::size_t start = 0;
  while (start < classes.size()) {
    auto end = classes.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = classes.size();
    std::string_view token = classes.substr(start, end - start);
    for (auto hidden : kHiddenClasses)
      if (iequals_ascii(token, hidden)) return true;
    start = end + 1;
  }
  return false;
}

// "breadcrumb", "BreadCrumbs", "crumbs": a find for the tail first keeps this
// fast on every ancestor of every heading candidate.
bool names_crumb(std::string_view value) {
  for (std::string_view tail : {"rumb", "RUMB"})
    for (auto pos = value.find(tail, 1); pos != std::string_view::npos; pos = value.find(tail, pos + 1))
      if (ascii_lower(value[pos - 1]) == 'c') return true;
  return false;
}

// Headings there belong to other pages or to the site, not to this article:
// navigation and breadcrumb trails (where many sites put an SEO copy of the
// title in an <h1>), asides, footers, forms, links (teasers), hidden copies
// and <template>/<noscript> content.
bool is_page_furniture(pugi::xml_node node) {
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    std::string_view name = n.name();
    if (n != node && (name == "nav" || name == "aside" || name == "footer" || name == "a" || name == "form" ||
                      name == "button" || is_non_content_element(name)))
      return true;
    if (names_crumb(n.attribute("class").value()) || names_crumb(n.attribute("id").value())) return true;
    if (n.attribute("hidden") || iequals_ascii(n.attribute("aria-hidden").value(), "true")) return true;
  }
  return is_hidden(node);
}

// The words of a title, normalised (case, accents, punctuation), as a sorted set.
std::vector<std::string> title_words(std::string_view title) {
  std::string normalized = normalize_text(title);
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < normalized.size()) {
    auto end = normalized.find_first_of(" \n", start);
    if (end == std::string::npos) end = normalized.size();
    if (end > start) words.emplace_back(normalized, start, end - start);
    start = end + 1;
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  return words;
}

// The headline as the page prints it, and its parts when the markup splits
// it into a kicker (overline, topic label) and the headline proper:
// <h1><span class="kicker">Topic</span><span>Headline</span></h1>.
struct VisibleHeadline {
  std::string text;    // the whole element's text; empty when the page has no headline element
  std::string main;    // its last part when it has several, else empty
  std::string kicker;  // the parts before `main`
};

void split_kicker(pugi::xml_node element, VisibleHeadline& headline) {
  std::vector<std::string> parts;
  for (pugi::xml_node child = element.first_child(); child; child = child.next_sibling()) {
    std::string text;
    if (child.type() == pugi::node_element) {
      if (is_non_content_element(child.name()) || is_hidden(child)) continue;
      text = dom_text(child);
    } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text = normalize_whitespace(child.value());
    }
    if (normalize_text(text).empty()) continue;  // empty, or a separator (":", "–") between the parts
    parts.push_back(std::move(text));
  }
  if (parts.size() < 2) return;
  headline.main = std::move(parts.back());
  parts.pop_back();
  for (auto& part : parts) headline.kicker += (headline.kicker.empty() ? "" : " ") + part;
}

constexpr double kMinHeadlineOverlap = 0.5;

// The page's headline element, out of the <h1>, <h2> and itemprop=headline
// elements outside page furniture: the one sharing most words with one of
// the metadata titles (at least half, by the Dice coefficient; a teaser, a
// section heading or a logo shares few). On equal overlap an <h1> or
// itemprop=headline beats an <h2>, and the first beats later ones. Without
// titles to compare, the first <h1> or itemprop=headline; no <h2>.
VisibleHeadline find_visible_headline(const std::vector<pugi::xml_node>& heading_elements,
                                      const std::vector<std::string>& titles, std::string_view site_name) {
  // <h1> and itemprop=headline ("strong") first; the <h2>s need looking at
  // only when no strong one matches a title outright.
  std::vector<pugi::xml_node> strong_candidates, h2_candidates;
  for (pugi::xml_node node : heading_elements) {
    bool marked = (" " + std::string(node.attribute("itemprop").value()) + " ").find(" headline ") != std::string::npos;
    (std::string_view(node.name()) == "h2" && !marked ? h2_candidates : strong_candidates).push_back(node);
  }

  std::string site = lower_ascii(site_name);
  std::vector<std::vector<std::string>> title_word_sets;
  for (const auto& title : titles) title_word_sets.push_back(title_words(title));
  pugi::xml_node best;
  std::string best_text;
  double best_score = -1;
  auto consider = [&](pugi::xml_node node) {
    if (is_page_furniture(node)) return;
    std::string text = dom_text(node);
    if (text.empty() || visible_length(text) > 400) return;
    std::string lowered = lower_ascii(text);
    if (!site.empty() && (lowered == site || site.find(lowered) != std::string::npos)) return;
    double score = 1;
    if (!title_word_sets.empty()) {
      auto words = title_words(text);
      score = 0;
      for (const auto& title : title_word_sets) score = std::max(score, dice_coefficient(words, title));
      if (score < kMinHeadlineOverlap) return;
    }
    // A later candidate needs a better score: the first of equals wins, and
    // the <h2>s, looked at after, lose ties to a strong one.
    if (score > best_score) {
      best = node;
      best_text = std::move(text);
      best_score = score;
    }
  };
  for (auto node : strong_candidates) consider(node);
  if (best_score < 1 && !title_word_sets.empty())
    for (auto node : h2_candidates) consider(node);
  VisibleHeadline headline;
  if (!best) return headline;
  headline.text = std::move(best_text);
  split_kicker(best, headline);
  return headline;
}

// "Headline | Section", "Headline - Site", "Headline..." -> true for "Headline".
bool is_head_of(std::string_view head, std::string_view title) {
  if (head.empty() || title.size() <= head.size() || title.substr(0, head.size()) != head) return false;
  std::string_view rest = title.substr(head.size());
  for (auto separator : kTitleSeparators)
    if (rest.substr(0, separator.size()) == separator) return true;
  return rest == "..." || rest == "…";
}

// "Kicker: Headline" -> "Kicker" for main "Headline"; nullopt when `title` is not main after a separator.
std::optional<std::string_view> prefix_before(std::string_view title, std::string_view main) {
  if (main.empty() || title.size() <= main.size() || title.substr(title.size() - main.size()) != main) return std::nullopt;
  std::string_view rest = title.substr(0, title.size() - main.size());
  for (std::string_view separator : {": ", " - ", " – ", " — ", " | ", " / "})
    if (rest.size() > separator.size() && rest.substr(rest.size() - separator.size()) == separator)
      return rest.substr(0, rest.size() - separator.size());
  return std::nullopt;
}

// The headline. The page states it in its metadata (the JSON-LD headline or
// <meta name=headline>, og:title; twitter:title or dc.title when neither is
// there), site name removed, and prints it in a headline element. Sources
// disagree on about one page in five (fundus corpus: an SEO headline in
// JSON-LD, a social one in og:title, the printed one in neither, a kicker in
// some), so the printed headline arbitrates:
//   - a stated title that the page prints, whole or without its kicker, wins;
//   - a printed headline that is a stated title without its suffix ("| Section",
//     "- Site", "...") wins over it;
//   - when all metadata agree on "Kicker: Headline" and the page prints
//     Headline under another kicker, the kicker is a label: Headline;
//   - otherwise the most trusted stated title, kicker included: a page that
//     prints only Headline under a separate kicker line still calls the
//     story "Kicker: Headline" everywhere else.
// With no stated title, the printed headline, else <title> without the site name.
std::string choose_title(const StructuredMetadata& meta) {
  std::vector<std::string> stated;
  auto state = [&](const std::string& title) {
    if (title.empty()) return;
    std::string stripped = strip_site_suffix(title, meta.site_name);
    if (std::find(stated.begin(), stated.end(), stripped) == stated.end()) stated.push_back(std::move(stripped));
  };
  state(meta.headline);
  state(meta.og_title);
  if (stated.empty()) state(meta.twitter_title);
  if (stated.empty()) state(meta.title);
  std::string document_title = meta.document_title.empty() ? std::string{} : strip_site_suffix(meta.document_title, meta.site_name);
  if (stated.empty()) {
    VisibleHeadline printed = find_visible_headline(meta.heading_elements, {}, meta.site_name);
    return !printed.text.empty() ? printed.text : document_title;
  }
  std::vector<std::string> references = stated;
  if (!document_title.empty()) references.push_back(document_title);
  VisibleHeadline printed = find_visible_headline(meta.heading_elements, references, meta.site_name);
  if (printed.text.empty()) return stated.front();
  for (const auto& title : stated)
    if (title == printed.text) return title;
  if (!printed.main.empty())
    for (const auto& title : stated)
      if (title == printed.main) return title;
  for (const auto& title : stated)
    if (is_head_of(printed.text, title)) return printed.text;
  if (stated.size() == 1 && !printed.main.empty()) {
    auto kicker = prefix_before(stated.front(), printed.main);
    if (kicker && normalize_text(*kicker) != normalize_text(printed.kicker)) return printed.main;
  }
  return stated.front();
}

// The first printed date on the page that parses, for pages whose metadata has none.
std::optional<StatedTime> visible_date(const StructuredMetadata& meta, const PageDateContext& context) {
  for (pugi::xml_node element : meta.date_elements) {
    auto text = dom_text(element);
    if (text.empty() || visible_length(text) > 80) continue;
    if (auto date = parse_page_date(text, context)) return date;
  }
  return std::nullopt;
}

// A date in the article's URL (/2021/05/19/, /2021-05-19-, _20210519), the
// last resort when the page prints none: midnight in the site's zone.
std::optional<StatedTime> url_date(std::string_view url, const PageDateContext& context) {
  auto digits = [&](std::size_t at, std::size_t n) {
    if (at + n > url.size()) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (url[i] < '0' || url[i] > '9') return -1;
      v = v * 10 + (url[i] - '0');
    }
    return v;
  };
  for (std::size_t i = 0; i + 8 <= url.size(); ++i) {
    if (url[i] != '/' && url[i] != '-' && url[i] != '_') continue;
    int y = digits(i + 1, 4);
    if (y < 1995 || y > 2100) continue;
    std::size_t p = i + 5;
    bool separated = p < url.size() && (url[p] == '/' || url[p] == '-');
    if (separated) ++p;
    int m = digits(p, 2);
    std::size_t q = p + 2;
    if (separated) {
      if (q >= url.size() || url[q] != url[p - 1]) continue;
      ++q;
    }
    int d = digits(q, 2);
    if (m < 1 || m > 12 || d < 1 || d > 31) continue;
    std::size_t end = q + 2;
    if (end < url.size() && url[end] >= '0' && url[end] <= '9') continue;
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month(static_cast<unsigned>(m)),
                                    std::chrono::day(static_cast<unsigned>(d))};
    if (!ymd.ok()) continue;
    return StatedTime{std::chrono::sys_days(ymd) - context.utc_offset, context.utc_offset};
  }
  return std::nullopt;
}

// For pages with no marked-up date: the date printed by the headline or the
// one in the URL (midnight). Both naming the same day, the printed one is
// more precise; when they disagree the URL wins, being the publisher's record.
std::optional<StatedTime> printed_or_url_date(const StructuredMetadata& meta, std::string_view url,
                                              const PageDateContext& context) {
  auto from_url = url_date(url, context);
  auto h1 = std::find_if(meta.heading_elements.begin(), meta.heading_elements.end(),
                         [](pugi::xml_node node) { return std::string_view(node.name()) == "h1"; });
  auto printed = h1 != meta.heading_elements.end() ? date_near_headline(*h1, context) : std::nullopt;
  if (!from_url) return printed;
  if (printed && std::chrono::floor<std::chrono::days>(printed->utc + context.utc_offset) ==
                     std::chrono::floor<std::chrono::days>(from_url->utc + context.utc_offset))
    return printed;
  return from_url;
}

// Sets the article's URL (the page's <link rel=canonical> unless the fetched
// URL is final) and the id made from it; returns the URL that relative
// links on the page resolve against.
std::string set_article_url(Article& article, const PageInput& page, const StructuredMetadata& meta) {
  std::string canonical = meta.canonical_url.empty() ? std::string{} : resolve_relative_url(page.url, meta.canonical_url);
  std::string url = page.url;
  if (!page.url_is_final && has_url_scheme(canonical)) url = canonical;
  if (!url.empty()) {
    article.url = canonical_url(url);
    article.id = article_id_for_url(article.url);
  }
  return url.empty() ? page.url : url;
}

// The template the source names, else the first that matches the page; null
// without templates.
const SiteTemplate* site_template_for(const PageInput& page, const ExtractOptions& options, const std::string& base,
                                      const pugi::xml_document& dom) {
  if (options.templates == nullptr) return nullptr;
  return page.template_name.empty() ? options.templates->match(base, dom) : options.templates->find(page.template_name);
}

// The fields other than dates and body: what the template found, else the
// page's metadata.
void fill_described_fields(Article& article, const TemplateFields& fields, const StructuredMetadata& meta,
                           const std::string& base) {
  article.title = !fields.title.empty() ? fields.title : choose_title(meta);
  article.authors = !fields.authors.empty() ? fields.authors : meta.authors;
  article.breadcrumbs = !fields.breadcrumbs.empty() ? fields.breadcrumbs : meta.breadcrumbs;
  article.section = !fields.section.empty() ? fields.section : meta.section;
  article.tags = !fields.tags.empty() ? fields.tags : meta.tags;
  std::string image = !fields.image.empty() ? fields.image : meta.image;
  if (!image.empty()) article.image = resolve_relative_url(base, image);
  article.site_name = !fields.site_name.empty() ? fields.site_name : meta.site_name;
  article.summary = !fields.summary.empty() ? fields.summary : meta.description;
}

// Publication date: the template's, the metadata's, the first printed one,
// then the one by the headline or in the URL. Update date: the template's,
// then the metadata's.
void choose_dates(Article& article, const TemplateFields& fields, const StructuredMetadata& meta,
                  const PageInput& page, const PageDateContext& date_context) {
  if (!fields.published.empty()) article.published_at = parse_page_date(fields.published, date_context);
  if (!article.published_at) article.published_at = meta.published_at;
  if (!article.published_at) article.published_at = visible_date(meta, date_context);
  if (!article.published_at) article.published_at = printed_or_url_date(meta, article.url.empty() ? page.url : article.url, date_context);
  if (!fields.updated.empty()) article.updated_at = parse_page_date(fields.updated, date_context);
  if (!article.updated_at) article.updated_at = meta.updated_at;
}

// The body and how it was found: the template's when it found one, else the
// generic extractor's or JSON-LD's articleBody. Returns the start of the
// extraction detail.
std::string extract_body(Article& article, const pugi::xml_document& dom, const StructuredMetadata& meta,
                         const SiteTemplate* site_template, const TemplateFields& fields) {
  std::string detail;
  if (site_template != nullptr && !fields.body.empty()) {
    article.body = join_paragraphs(fields.body);
    article.extraction.method = "template:" + site_template->name;
  } else {
    if (site_template != nullptr) detail = "template " + site_template->name + " found no body; ";
    MainContent main = find_main_content(dom, {article.title});
    article.body = choose_body(main.paragraphs, meta.body);
    bool from_json_ld = !meta.body.empty() && article.body != join_paragraphs(main.paragraphs);
    article.extraction.method = from_json_ld ? "jsonld" : "generic";
    if (!from_json_ld && meta.has_article_jsonld) detail += "metadata from JSON-LD; ";
  }
  return detail;
}

// The rest of the extraction detail: a missing body, what parsing the page
// had to give up, and where its charset came from.
void finish_detail(std::string& detail, const Article& article, const HtmlDocument& document) {
  if (article.body.empty()) detail += "no article body found; ";
  if (document.flattened) detail += "nesting flattened; ";
  if (document.truncated) detail += "node limit reached, page truncated; ";
  detail += "charset " + document.charset.charset + " (" + std::string(to_string(document.charset.source)) + ")";
}

Article assemble(const HtmlDocument& document, const PageInput& page, const ExtractOptions& options) {
  const pugi::xml_document& dom = document.dom;
  StructuredMetadata meta = read_structured_metadata(dom);
  Article article;
  article.source = page.source;
  article.fetched_at = page.fetched_at;
  const std::string base = set_article_url(article, page, meta);

  const SiteTemplate* site_template = site_template_for(page, options, base, dom);
  TemplateFields fields;
  PageDateContext date_context{page.fetched_at, std::chrono::minutes(0)};
  if (site_template != nullptr) {
    fields = apply_site_template(*site_template, dom);
    date_context.utc_offset = site_template->utc_offset;
  }
  fill_described_fields(article, fields, meta, base);
  choose_dates(article, fields, meta, page, date_context);

  std::string detail = extract_body(article, dom, meta, site_template, fields);
  // The page's own text decides; <html lang> / og:locale is the hint.
  article.language = detect_language(article.title + "\n\n" + (!article.body.empty() ? article.body : article.summary),
                                     {.declared = meta.language, .url = article.url.empty() ? page.url : article.url});
  finish_detail(detail, article, document);
  article.extraction.detail = std::move(detail);
  fingerprint_body(article);
  return article;
}

}  // namespace

std::string_view to_string(ExtractError error) {
  switch (error) {
    case ExtractError::empty: return "empty";
    case ExtractError::too_large: return "too_large";
    case ExtractError::binary: return "binary";
    case ExtractError::unparsable: return "unparsable";
  }
  return "unparsable";
}

Article extract_article_from_dom(const HtmlDocument& document, const PageInput& page, const ExtractOptions& options) {
  return assemble(document, page, options);
}

ExtractResult extract_article(const PageInput& page, const ExtractOptions& options) {
  ExtractResult result;
  auto parsed = parse_html(page.bytes, page.content_type, options.html);
  if (!parsed.document) {
    switch (parsed.error) {
      case HtmlError::empty: result.error = ExtractError::empty; break;
      case HtmlError::too_large: result.error = ExtractError::too_large; break;
      case HtmlError::binary: result.error = ExtractError::binary; break;
      case HtmlError::unparsable: result.error = ExtractError::unparsable; break;
    }
    result.detail = std::move(parsed.detail);
    return result;
  }
  result.article = assemble(*parsed.document, page, options);
  result.detail = result.article->extraction.detail;
  return result;
}

}  // namespace newsd::parsers
