#include "parsers/article_extractor.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "parsers/article_identity.hpp"
#include "parsers/text_fingerprint.hpp"
#include "parsers/content_scorer.hpp"
#include "parsers/html_text.hpp"
#include "parsers/page_date.hpp"
#include "parsers/relative_url.hpp"
#include "parsers/structured_metadata.hpp"

namespace newsd::parsers {
namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string join_paragraphs(const std::vector<std::string>& paragraphs) {
  std::string out;
  for (const auto& p : paragraphs) {
    if (!out.empty()) out += "\n\n";
    out += p;
  }
  return out;
}

constexpr std::string_view kTitleSeparators[] = {" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " · ", " • ", " / "};

// "Headline - Site Name" -> "Headline" when the tail names the site (or, with
// no site name known, when it is a short tail after a long headline).
std::string strip_site_suffix(std::string title, std::string_view site_name) {
  for (auto separator : kTitleSeparators) {
    auto pos = title.rfind(separator);
    if (pos == std::string::npos || pos == 0) continue;
    std::string_view head(title.data(), pos);
    std::string_view tail = std::string_view(title).substr(pos + separator.size());
    std::string tail_lower = lower_ascii(tail);
    std::string site_lower = lower_ascii(site_name);
    bool names_site = !site_lower.empty() && (tail_lower == site_lower || site_lower.find(tail_lower) != std::string::npos ||
                                              tail_lower.find(site_lower) != std::string::npos);
    bool short_tail = site_name.empty() && visible_length(tail) * 3 < visible_length(head) && visible_length(tail) < 40;
    if (names_site || short_tail) return normalize_whitespace(head);
  }
  // "Site Name | Headline"
  for (auto separator : kTitleSeparators) {
    auto pos = title.find(separator);
    if (pos == std::string::npos || site_name.empty()) continue;
    if (lower_ascii(std::string_view(title).substr(0, pos)) == lower_ascii(site_name))
      return normalize_whitespace(std::string_view(title).substr(pos + separator.size()));
  }
  return title;
}

// The first <h1> that is not the site's logo.
std::string first_heading(const pugi::xml_document& dom, std::string_view site_name) {
  std::string site = lower_ascii(site_name);
  for (const auto& selected : dom.select_nodes("//h1")) {
    auto text = dom_text(selected.node());
    if (text.empty() || visible_length(text) > 400) continue;
    std::string lowered = lower_ascii(text);
    if (!site.empty() && (lowered == site || site.find(lowered) != std::string::npos)) continue;
    return text;
  }
  return {};
}

// The headline as the page states it: the JSON-LD headline, else og:title,
// else twitter:title, with the site's name removed; an <h1> that equals it or is it without a prefix or
// suffix wins, being the visible form. Else the first <h1>, else <title>.
// Sources disagree on about one page in five (fundus corpus); no fixed order
// does better than this one there, see parsers/EXTRACTION_STATUS.md.
std::string choose_title(const StructuredMetadata& meta, const pugi::xml_document& dom) {
  std::string h1 = first_heading(dom, meta.site_name);
  std::string stated;
  for (const std::string* candidate : {&meta.headline, &meta.og_title, &meta.twitter_title, &meta.title}) {
    if (candidate->empty()) continue;
    stated = strip_site_suffix(*candidate, meta.site_name);
    break;
  }
  if (stated.empty()) return !h1.empty() ? h1 : strip_site_suffix(meta.document_title, meta.site_name);
  if (!h1.empty() && (h1 == stated || (stated.find(h1) != std::string::npos && visible_length(h1) * 2 >= visible_length(stated))))
    return h1;
  return stated;
}

// The first printed date on the page that parses, for pages whose metadata has none.
std::optional<TimePoint> visible_date(const StructuredMetadata& meta, const PageDateContext& context) {
  for (pugi::xml_node element : meta.date_elements) {
    auto text = dom_text(element);
    if (text.empty() || visible_length(text) > 80) continue;
    if (auto date = parse_page_date(text, context)) return date;
  }
  return std::nullopt;
}

// A date in the article's URL (/2021/05/19/, /2021-05-19-, _20210519), the
// last resort when the page prints none: midnight in the site's zone.
std::optional<TimePoint> url_date(std::string_view url, const PageDateContext& context) {
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
    return std::chrono::sys_days(ymd) - context.utc_offset;
  }
  return std::nullopt;
}

struct StopWords {
  std::string_view language;
  std::array<std::string_view, 12> words;
};

constexpr StopWords kStopWords[] = {
    {"en", {"the", "and", "of", "to", "is", "that", "for", "with", "was", "said", "have", "this"}},
    {"de", {"der", "die", "und", "das", "nicht", "ist", "mit", "sich", "auf", "ein", "eine", "dem"}},
    {"fr", {"le", "les", "des", "est", "une", "dans", "pour", "qui", "que", "sur", "pas", "avec"}},
    {"es", {"el", "los", "las", "del", "por", "una", "con", "para", "que", "como", "pero", "fue"}},
    {"it", {"il", "della", "che", "per", "una", "sono", "con", "del", "gli", "non", "alla", "nel"}},
    {"pt", {"os", "das", "que", "não", "uma", "para", "com", "dos", "foi", "como", "mais", "ao"}},
    {"nl", {"het", "een", "van", "en", "niet", "zijn", "voor", "met", "op", "dat", "ook", "werd"}},
};

// For pages with no marked-up date: the date printed by the headline or the
// one in the URL (midnight). Both naming the same day, the printed one is
// more precise; when they disagree the URL wins, being the publisher's record.
std::optional<TimePoint> printed_or_url_date(const pugi::xml_document& dom, std::string_view url,
                                             const PageDateContext& context) {
  auto from_url = url_date(url, context);
  auto printed = date_near_headline(dom, context);
  if (!from_url) return printed;
  if (printed && std::chrono::floor<std::chrono::days>(*printed + context.utc_offset) ==
                     std::chrono::floor<std::chrono::days>(*from_url + context.utc_offset))
    return printed;
  return from_url;
}

Article assemble(const HtmlDocument& document, const PageInput& page, const ExtractOptions& options) {
  const pugi::xml_document& dom = document.dom;
  StructuredMetadata meta = read_structured_metadata(dom);
  Article article;
  article.source = page.source;
  article.fetched_at = page.fetched_at;

  std::string canonical = meta.canonical_url.empty() ? std::string{} : resolve_relative_url(page.url, meta.canonical_url);
  std::string url = page.url;
  if (!page.url_is_final && has_url_scheme(canonical)) url = canonical;
  if (!url.empty()) {
    article.url = canonical_url(url);
    article.id = article_id_for_url(article.url);
  }
  std::string base = url.empty() ? page.url : url;

  const SiteTemplate* site_template = nullptr;
  if (options.templates != nullptr) {
    site_template = page.template_name.empty() ? options.templates->match(base, dom)
                                               : options.templates->find(page.template_name);
  }
  TemplateFields fields;
  PageDateContext date_context{page.fetched_at, std::chrono::minutes(0)};
  if (site_template != nullptr) {
    fields = apply_site_template(*site_template, dom);
    date_context.utc_offset = site_template->utc_offset;
  }

  article.title = !fields.title.empty() ? fields.title : choose_title(meta, dom);
  article.authors = !fields.authors.empty() ? fields.authors : meta.authors;
  if (!fields.published.empty()) article.published_at = parse_page_date(fields.published, date_context);
  if (!article.published_at) article.published_at = meta.published_at;
  if (!article.published_at) article.published_at = visible_date(meta, date_context);
  if (!article.published_at) article.published_at = printed_or_url_date(dom, article.url.empty() ? page.url : article.url, date_context);
  if (!fields.updated.empty()) article.updated_at = parse_page_date(fields.updated, date_context);
  if (!article.updated_at) article.updated_at = meta.updated_at;
  article.breadcrumbs = !fields.breadcrumbs.empty() ? fields.breadcrumbs : meta.breadcrumbs;
  article.section = !fields.section.empty() ? fields.section : meta.section;
  article.tags = !fields.tags.empty() ? fields.tags : meta.tags;
  std::string image = !fields.image.empty() ? fields.image : meta.image;
  if (!image.empty()) article.image = resolve_relative_url(base, image);
  article.site_name = !fields.site_name.empty() ? fields.site_name : meta.site_name;
  article.summary = !fields.summary.empty() ? fields.summary : meta.description;

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
  article.language = !meta.language.empty() ? meta.language : detect_language(article.body);
  if (article.body.empty()) detail += "no article body found; ";
  if (document.flattened) detail += "nesting flattened; ";
  if (document.truncated) detail += "node limit reached, page truncated; ";
  detail += "charset " + document.charset.charset + " (" + std::string(to_string(document.charset.source)) + ")";
  article.extraction.detail = std::move(detail);
  if (!article.body.empty()) article.content_hash = content_hash(article.body);
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

std::string detect_language(std::string_view text) {
  std::size_t arabic = 0, latin = 0;
  for (std::size_t i = 0; i < text.size() && i < 20000; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ++latin;
    else if (c >= 0xD8 && c <= 0xDB) ++arabic;  // lead bytes of U+0600..U+06FF
  }
  if (arabic + latin < 20) return {};
  if (arabic > latin) return "ar";
  std::array<int, std::size(kStopWords)> counts{};
  std::size_t start = 0;
  std::size_t words = 0;
  std::string word;
  while (start < text.size() && words < 2000) {
    auto end = start;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) >= 0x80 || std::isalpha(static_cast<unsigned char>(text[end])))) ++end;
    if (end > start) {
      word = lower_ascii(text.substr(start, end - start));
      ++words;
      for (std::size_t k = 0; k < std::size(kStopWords); ++k)
        if (std::find(kStopWords[k].words.begin(), kStopWords[k].words.end(), word) != kStopWords[k].words.end()) ++counts[k];
      start = end;
    } else {
      ++start;
    }
  }
  auto best = std::max_element(counts.begin(), counts.end());
  int runner_up = 0;
  for (auto it = counts.begin(); it != counts.end(); ++it)
    if (it != best) runner_up = std::max(runner_up, *it);
  if (*best < 3 || *best * 2 < runner_up * 3) return {};
  return std::string(kStopWords[static_cast<std::size_t>(best - counts.begin())].language);
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
