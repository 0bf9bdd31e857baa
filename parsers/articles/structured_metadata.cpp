#include "parsers/articles/structured_metadata.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "parsers/text/ascii.hpp"
#include "parsers/html/html_document.hpp"
#include "parsers/html/html_text.hpp"

namespace newsd::parsers {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxJsonLdDepth = 24;

constexpr std::string_view kArticleTypes[] = {
    "NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle",
    "BackgroundNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "BlogPosting", "Report",
    "SatiricalArticle", "TechArticle", "AskPublicNewsArticle", "SocialMediaPosting",
};

// Text as a reader sees it: entities decoded, tags dropped, one line.
std::string clean_text(std::string_view raw) {
  if (raw.find_first_of("&<") != std::string_view::npos) {
    auto decoded = html_fragment_to_text(raw);
    std::replace(decoded.begin(), decoded.end(), '\n', ' ');
    return normalize_whitespace(decoded);
  }
  return normalize_whitespace(raw);
}

bool looks_like_url(std::string_view s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || s.rfind("//", 0) == 0 || s.rfind("www.", 0) == 0;
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (value.empty()) return;
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

std::string_view string_of(const json::value* v) {
  if (v == nullptr || !v->is_string()) return {};
  return v->get_string();
}

bool has_type(const json::object& object, std::string_view wanted) {
  const json::value* type = object.if_contains("@type");
  if (type == nullptr) return false;
  if (type->is_string()) return type->get_string() == wanted;
  if (type->is_array())
    for (const auto& t : type->get_array())
      if (t.is_string() && t.get_string() == wanted) return true;
  return false;
}

bool is_article_type(const json::object& object) {
  for (auto type : kArticleTypes)
    if (has_type(object, type)) return true;
  return false;
}

// JSON-LD as found in pages: CDATA wrappers, HTML comments, raw newlines in
// strings and trailing semicolons are common and harmless to repair.
std::optional<json::value> parse_json_ld(std::string_view text) {
  auto start = text.find_first_of("{[");
  auto end = text.find_last_of("}]");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start) return std::nullopt;
  std::string repaired(text.substr(start, end - start + 1));
  for (auto& c : repaired)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  boost::system::error_code ec;
  json::parse_options options;
  options.allow_comments = true;
  options.allow_trailing_commas = true;
  options.allow_invalid_utf8 = true;
  options.max_depth = 64;
  auto value = json::parse(repaired, ec, {}, options);
  if (ec) return std::nullopt;
  return value;
}

// Collects the JSON-LD objects worth reading, and an @id index for references.
class JsonLdIndex {
 public:
  void add(const json::value& root) { visit(root, 0, false); }

  const json::object* resolve(const json::value& v) const {
    if (!v.is_object()) return nullptr;
    const auto& object = v.get_object();
    if (object.size() == 1 && object.contains("@id")) {
      auto it = by_id_.find(std::string(string_of(object.if_contains("@id"))));
      if (it != by_id_.end()) return it->second;
    }
    return &object;
  }

  const json::object* main_article() const {
    // Prefer the object that has a headline and a body; then any with a headline.
    const json::object* best = nullptr;
    int best_score = -1;
    for (const auto* article : articles_) {
      int score = (article->contains("headline") ? 2 : 0) + (article->contains("articleBody") ? 1 : 0);
      if (score > best_score) {
        best = article;
        best_score = score;
      }
    }
    return best;
  }

  const std::vector<const json::object*>& breadcrumb_lists() const { return breadcrumbs_; }
  const std::vector<const json::object*>& web_pages() const { return pages_; }

 private:
  void visit(const json::value& v, std::size_t depth, bool in_article) {
    if (depth > kMaxJsonLdDepth) return;
    if (v.is_array()) {
      for (const auto& item : v.get_array()) visit(item, depth + 1, in_article);
      return;
    }
    if (!v.is_object()) return;
    const auto& object = v.get_object();
    if (auto id = string_of(object.if_contains("@id")); !id.empty() && object.size() > 1)
      by_id_.emplace(std::string(id), &object);
    // An article inside another (a live blog's liveBlogUpdate entries, an
    // article's hasPart) is a part of it, not the page's article.
    bool article = is_article_type(object);
    if (article && !in_article) articles_.push_back(&object);
    if (has_type(object, "BreadcrumbList")) breadcrumbs_.push_back(&object);
    if (has_type(object, "WebPage")) pages_.push_back(&object);
    for (const auto& [key, child] : object) {
      if (key == "@graph" || child.is_object() || child.is_array()) visit(child, depth + 1, in_article || article);
    }
  }

  std::map<std::string, const json::object*, std::less<>> by_id_;
  std::vector<const json::object*> articles_;
  std::vector<const json::object*> breadcrumbs_;
  std::vector<const json::object*> pages_;
};

std::string name_of(const JsonLdIndex& index, const json::value& v) {
  if (v.is_string()) return clean_text(v.get_string());
  const json::object* object = index.resolve(v);
  if (object == nullptr) return {};
  return clean_text(string_of(object->if_contains("name")));
}

std::string url_of(const JsonLdIndex& index, const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_array()) return v.get_array().empty() ? std::string{} : url_of(index, v.get_array().front());
  const json::object* object = index.resolve(v);
  if (object == nullptr) return {};
  if (auto url = string_of(object->if_contains("url")); !url.empty()) return std::string(url);
  return std::string(string_of(object->if_contains("contentUrl")));
}

// "a, b, c" as a list.
void add_comma_list(std::vector<std::string>& out, std::string_view s) {
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    add_unique(out, clean_text(s.substr(start, comma - start)));
    start = comma + 1;
  }
}

std::vector<std::string> strings_of(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    add_comma_list(out, v->get_string());
  } else if (v->is_array()) {
    for (const auto& item : v->get_array())
      if (item.is_string()) add_unique(out, clean_text(item.get_string()));
  }
  return out;
}

std::optional<StatedTime> date_of(std::string_view text) {
  if (text.empty()) return std::nullopt;
  return parse_feed_date(normalize_whitespace(text));
}

void read_json_ld(const JsonLdIndex& index, StructuredMetadata& meta) {
  const json::object* article = index.main_article();
  if (article != nullptr) {
    meta.has_article_jsonld = true;
    meta.title = meta.headline = clean_text(string_of(article->if_contains("headline")));
    if (meta.title.empty()) meta.title = clean_text(string_of(article->if_contains("name")));
    meta.body = std::string(string_of(article->if_contains("articleBody")));
    meta.description = clean_text(string_of(article->if_contains("description")));
    if (const json::value* authors = article->if_contains("author")) {
      auto add_person = [&](const json::value& a) {
        for (auto& name : split_authors(name_of(index, a))) add_unique(meta.authors, std::move(name));
      };
      if (authors->is_array()) {
        for (const auto& a : authors->get_array()) add_person(a);
      } else {
        add_person(*authors);
      }
    }
    meta.published_at = date_of(string_of(article->if_contains("datePublished")));
    if (!meta.published_at) meta.published_at = date_of(string_of(article->if_contains("dateCreated")));
    meta.updated_at = date_of(string_of(article->if_contains("dateModified")));
    if (const json::value* section = article->if_contains("articleSection")) {
      auto sections = strings_of(section);
      if (section->is_array() && !sections.empty()) meta.section = sections.front();
      else if (section->is_string()) meta.section = clean_text(section->get_string());
    }
    meta.tags = strings_of(article->if_contains("keywords"));
    if (const json::value* image = article->if_contains("image")) meta.image = url_of(index, *image);
    if (const json::value* publisher = article->if_contains("publisher")) meta.site_name = name_of(index, *publisher);
    meta.language = primary_language(string_of(article->if_contains("inLanguage")));
  }
  for (const auto* list : index.breadcrumb_lists()) {
    const json::value* items = list->if_contains("itemListElement");
    if (items == nullptr || !items->is_array()) continue;
    std::vector<std::pair<std::int64_t, std::string>> crumbs;
    for (const auto& item : items->get_array()) {
      const json::object* element = index.resolve(item);
      if (element == nullptr) continue;
      std::string name = clean_text(string_of(element->if_contains("name")));
      if (name.empty())
        if (const json::value* inner = element->if_contains("item")) name = name_of(index, *inner);
      std::int64_t position = static_cast<std::int64_t>(crumbs.size()) + 1;
      if (const json::value* p = element->if_contains("position"); p != nullptr && p->is_int64()) position = p->get_int64();
      if (!name.empty()) crumbs.emplace_back(position, std::move(name));
    }
    std::stable_sort(crumbs.begin(), crumbs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [position, name] : crumbs) meta.breadcrumbs.push_back(std::move(name));
    if (!meta.breadcrumbs.empty()) break;
  }
  if (meta.language.empty())
    for (const auto* page : index.web_pages())
      if (meta.language.empty()) meta.language = primary_language(string_of(page->if_contains("inLanguage")));
}

// Fields read from <meta>, kept separately so that per-field priority is explicit.
struct MetaTags {
  std::string og_title, twitter_title, dc_title, headline, og_description, description, og_site_name, application_name;
  std::string og_image, twitter_image, og_locale, content_language, section, og_url;
  std::vector<std::string> authors, article_authors, dc_creators, tags, keywords;
  std::string published, updated;
};

void read_meta(pugi::xml_node element, MetaTags& tags) {
  std::string key = lower_ascii(element.attribute("property").value());
  if (key.empty()) key = lower_ascii(element.attribute("name").value());
  if (key.empty()) key = lower_ascii(element.attribute("itemprop").value());
  if (key.empty()) key = lower_ascii(element.attribute("http-equiv").value());
  if (key.empty()) return;
  std::string_view content = element.attribute("content").value();
  if (content.empty()) return;
  auto set = [&](std::string& field) {
    if (field.empty()) field = clean_text(content);
  };
  auto set_raw = [&](std::string& field) {
    if (field.empty()) field = normalize_whitespace(content);
  };
  if (key == "og:title") set(tags.og_title);
  else if (key == "twitter:title") set(tags.twitter_title);
  else if (key == "dc.title" || key == "dcterms.title") set(tags.dc_title);
  else if (key == "headline") set(tags.headline);
  else if (key == "og:description") set(tags.og_description);
  else if (key == "description") set(tags.description);
  else if (key == "og:site_name") set(tags.og_site_name);
  else if (key == "application-name") set(tags.application_name);
  else if (key == "og:image" || key == "og:image:url" || key == "og:image:secure_url") set_raw(tags.og_image);
  else if (key == "twitter:image" || key == "twitter:image:src") set_raw(tags.twitter_image);
  else if (key == "og:locale") set(tags.og_locale);
  else if (key == "content-language" || key == "dc.language" || key == "language") set(tags.content_language);
  else if (key == "article:section" || key == "og:article:section") set(tags.section);
  else if (key == "og:url") set_raw(tags.og_url);
  else if (key == "author" || key == "sailthru.author" || key == "parsely-author" || key == "byl")
    for (auto& name : split_authors(clean_text(content))) add_unique(tags.authors, std::move(name));
  else if (key == "article:author" || key == "og:article:author")
    for (auto& name : split_authors(clean_text(content))) add_unique(tags.article_authors, std::move(name));
  else if (key == "dc.creator" || key == "dcterms.creator")
    for (auto& name : split_authors(clean_text(content))) add_unique(tags.dc_creators, std::move(name));
  else if (key == "article:tag" || key == "og:article:tag") add_unique(tags.tags, clean_text(content));
  else if (key == "news_keywords" || key == "keywords") {
    add_comma_list(tags.keywords, content);
  } else if (key == "article:published_time" || key == "og:article:published_time" || key == "datepublished" ||
             key == "pubdate" || key == "publishdate" || key == "publish-date" || key == "publish_date" ||
             key == "dc.date" || key == "dc.date.issued" || key == "dcterms.created" || key == "dcterms.issued" ||
             key == "sailthru.date" || key == "parsely-pub-date" || key == "article.published" ||
             key == "citation_publication_date" || key == "date" || key == "article_date_original" ||
             key == "og:published_time" || key == "cxenseparse:recs:publishtime" || key == "release_date") {
    set_raw(tags.published);
  } else if (key == "article:modified_time" || key == "og:updated_time" || key == "datemodified" ||
             key == "dcterms.modified" || key == "last-modified" || key == "article.updated") {
    set_raw(tags.updated);
  }
}

// itemprop microdata outside <meta>: value from content/datetime/src, else text.
std::string itemprop_value(pugi::xml_node element) {
  for (const char* attribute : {"content", "datetime", "src", "href"})
    if (auto a = element.attribute(attribute); a && *a.value()) return normalize_whitespace(a.value());
  return dom_text(element);
}

// The element after `node` in document order within `root`, without a stack.
pugi::xml_node next_element(pugi::xml_node node, pugi::xml_node root) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling())
    if (child.type() == pugi::node_element) return child;
  for (; node && node != root; node = node.parent())
    for (pugi::xml_node sibling = node.next_sibling(); sibling; sibling = sibling.next_sibling())
      if (sibling.type() == pugi::node_element) return sibling;
  return {};
}

constexpr std::size_t kMaxDateElements = 20;

// "headline" in itemprop="headline name": a space-separated token list.
bool has_token(std::string_view list, std::string_view token) {
  for (auto pos = list.find(token); pos != std::string_view::npos; pos = list.find(token, pos + 1)) {
    bool starts = pos == 0 || list[pos - 1] == ' ';
    bool ends = pos + token.size() == list.size() || list[pos + token.size()] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

bool looks_like_date_hint(std::string_view hint) {
  return !hint.empty() && (contains_ascii_ci(hint, "date") || contains_ascii_ci(hint, "time") || contains_ascii_ci(hint, "publish") ||
                           contains_ascii_ci(hint, "posted"));
}

// A breadcrumb trail from the usual markup (WordPress themes, Yoast, Rank
// Math, Bootstrap): list items, else the links and the "current" item.
std::vector<std::string> breadcrumbs_in(pugi::xml_node container) {
  static const pugi::xpath_query kListItems(".//li[not(.//li)]");
  static const pugi::xpath_query kLinksAndCurrent(
      ".//a | .//*[not(self::a) and not(.//a) and (contains(@class,'current') or contains(@class,'last') or "
      "contains(@class,'active') or @aria-current)]");
  std::vector<std::string> crumbs;
  auto items = kListItems.evaluate_node_set(container);
  if (items.empty()) items = kLinksAndCurrent.evaluate_node_set(container);
  for (const auto& item : items) {
    auto text = dom_text(item.node());
    // Separators ("/", "»", ">") carry no letters.
    bool has_letters = std::any_of(text.begin(), text.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    });
    if (!has_letters || text.size() > 600) continue;
    if (crumbs.empty() || crumbs.back() != text) crumbs.push_back(std::move(text));
    if (crumbs.size() == 12) break;
  }
  return crumbs;
}

// The longest text a byline element can hold: longer is an author box or a bio.
constexpr std::size_t kMaxBylineBytes = 120;

// A visible byline: an element whose class or id says byline or author,
// not an author's photo, bio, box or list of their other articles.
bool is_byline_element(std::string_view name, std::string_view class_attr, std::string_view id_attr) {
  if (name == "html" || name == "body" || name == "img" || name == "script" || name == "meta" || name == "a") return false;
  auto hinted = [](std::string_view v) {
    return contains_ascii_ci(v, "byline") || contains_ascii_ci(v, "author");
  };
  auto furniture = [](std::string_view v) {
    return contains_ascii_ci(v, "avatar") || contains_ascii_ci(v, "bio") || contains_ascii_ci(v, "box") || contains_ascii_ci(v, "image") ||
           contains_ascii_ci(v, "photo") || contains_ascii_ci(v, "more") || contains_ascii_ci(v, "related");
  };
  return (hinted(class_attr) || hinted(id_attr)) && !furniture(class_attr) && !furniture(id_attr);
}

// True when a byline names the publication rather than a person: the site's
// name, or a domain ("stern.de", "www.dw.com", the page's own host).
bool names_publication(std::string_view author, std::string_view site_name, std::string_view canonical_url) {
  std::string a = lower_ascii(author);
  if (!site_name.empty() && (a == lower_ascii(site_name) || lower_ascii(site_name).find(a) != std::string::npos)) return true;
  if (a.find("www.") != std::string::npos) return true;
  auto dot = a.rfind('.');
  bool domain = dot != std::string::npos && dot + 2 < a.size() && a.find(' ') == std::string::npos &&
                std::all_of(a.begin() + static_cast<std::ptrdiff_t>(dot) + 1, a.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  if (domain) return true;
  std::string_view host = canonical_url;
  if (auto scheme = host.find("://"); scheme != std::string_view::npos) host.remove_prefix(scheme + 3);
  host = host.substr(0, host.find('/'));
  return a.size() >= 3 && a.find(' ') == std::string::npos && lower_ascii(host).find(a) != std::string::npos;
}

// Removes byline entries that name nobody: e-mail addresses, photo credits,
// and slug duplicates ("jane-doe" beside "Jane Doe").
void drop_non_author_entries(std::vector<std::string>& authors) {
  auto is_slug_of_another = [&](const std::string& a) {
    if (a.find(' ') != std::string::npos || a.find('-') == std::string::npos) return false;
    std::string spaced = lower_ascii(a);
    std::replace(spaced.begin(), spaced.end(), '-', ' ');
    return std::any_of(authors.begin(), authors.end(), [&](const std::string& b) { return &b != &a && lower_ascii(b) == spaced; });
  };
  std::vector<std::string> kept;
  for (const auto& a : authors) {
    std::string l = lower_ascii(a);
    bool credit = !l.empty() && (l.front() == '(' || l.find("image:") != std::string::npos || l.find("getty") != std::string::npos);
    // A digit is a date or a time caught with the byline ("05:00 Uhr"), never part of a name.
    bool has_digit = std::any_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (l.find('@') != std::string::npos || credit || has_digit || is_slug_of_another(a)) continue;
    kept.push_back(a);
  }
  authors = std::move(kept);
}

}  // namespace

std::string primary_language(std::string_view tag) {
  std::string out;
  for (char c : tag) {
    if (c == '-' || c == '_') break;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c < 'a' || c > 'z') return {};
    out.push_back(c);
  }
  return (out.size() == 2 || out.size() == 3) ? out : std::string{};
}

namespace {

// A name without what bylines append to it: the desk's initials in
// parentheses ("Corina Gall (cog.)") and the Korean title 기자 ("reporter").
std::string without_byline_suffix(std::string name) {
  if (!name.empty() && name.back() == ')') {
    auto open = name.rfind(" (");
    if (open != std::string::npos && open > 0 && name.size() - open <= 12) name.erase(open);
  }
  constexpr std::string_view kReporter = " \xEA\xB8\xB0\xEC\x9E\x90";  // " 기자"
  if (name.size() > kReporter.size() && std::string_view(name).substr(name.size() - kReporter.size()) == kReporter)
    name.erase(name.size() - kReporter.size());
  return name;
}

}  // namespace

std::vector<std::string> split_authors(std::string_view byline) {
  std::string text = normalize_whitespace(byline);
  std::vector<std::string> out;
  if (text.empty() || looks_like_url(text) || text.front() == '@') return out;
  std::string lowered = lower_ascii(text);
  for (std::string_view prefix : {"by ", "von ", "par ", "por ", "di ", "door ", "av ", "af ", "بقلم ", "كتب ", "كتبت "}) {
    if (lowered.rfind(prefix, 0) == 0) {
      text.erase(0, prefix.size());
      lowered.erase(0, prefix.size());
      break;
    }
  }
  // Separators between names; Arabic "و" is left alone because it also begins names.
  std::vector<std::string_view> separators = {",", ";", " & ", " and ", " und ", " et ", " y ", " e ", " en ", " og ", " och ", "|"};
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t best = text.size(), best_length = 0;
    for (auto sep : separators) {
      auto pos = lowered.find(sep, start);
      if (pos != std::string::npos && pos < best) {
        best = pos;
        best_length = sep.size();
      }
    }
    auto name = without_byline_suffix(normalize_whitespace(std::string_view(text).substr(start, best - start)));
    if (!name.empty() && !looks_like_url(name) && name.size() < 120) add_unique(out, std::move(name));
    start = best + std::max<std::size_t>(best_length, 1);
  }
  return out;
}

namespace {

// What the element scan gathers besides the fields it writes into
// StructuredMetadata directly; merged by priority once the scan is done.
struct PageSignals {
  MetaTags tags;
  std::vector<json::value> json_ld;  // owns what the JsonLdIndex points into
  std::string itemprop_headline, itemprop_published, itemprop_updated, time_published, time_any, itemprop_image;
  std::vector<std::string> itemprop_authors, rel_author_names, byline_names;
  pugi::xml_node breadcrumb_container;
};

struct ElementAttributes {
  std::string_view class_attr, id_attr, itemprop;
};

ElementAttributes element_attributes(pugi::xml_node node) {
  ElementAttributes out;
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    std::string_view attribute = a.name();
    if (attribute == "class") out.class_attr = a.value();
    else if (attribute == "id") out.id_attr = a.value();
    else if (attribute == "itemprop") out.itemprop = a.value();
  }
  return out;
}

// Remembers elements later stages look at again: the breadcrumb container,
// headings, date-like elements, rel=author links and the first byline.
void note_landmarks(pugi::xml_node node, std::string_view name, const ElementAttributes& attrs, StructuredMetadata& meta,
                    PageSignals& signals) {
  if (!signals.breadcrumb_container &&
      (contains_ascii_ci(attrs.class_attr, "breadcrumb") || contains_ascii_ci(attrs.id_attr, "breadcrumb") ||
       attrs.id_attr == "crumbs"))
    signals.breadcrumb_container = node;
  if (meta.heading_elements.size() < kMaxHeadingElements &&
      (name == "h1" || name == "h2" || (name != "meta" && has_token(attrs.itemprop, "headline"))))
    meta.heading_elements.push_back(node);
  if (meta.date_elements.size() < kMaxDateElements && name != "html" && name != "body" &&
      (name == "time" || looks_like_date_hint(attrs.class_attr) || looks_like_date_hint(attrs.id_attr)))
    meta.date_elements.push_back(node);
  if (name == "a" && signals.rel_author_names.size() < 8 && contains_ascii_ci(node.attribute("rel").value(), "author"))
    for (auto& a : split_authors(dom_text(node))) add_unique(signals.rel_author_names, std::move(a));
  if (signals.byline_names.empty() && is_byline_element(name, attrs.class_attr, attrs.id_attr)) {
    std::string text = dom_text(node);
    if (!text.empty() && text.size() <= kMaxBylineBytes)
      for (auto& a : split_authors(text)) add_unique(signals.byline_names, std::move(a));
  }
}

// Reads <meta>, <script type=ld+json>, <title>, <link rel=canonical> and
// <time datetime>. Returns false for a script, whose itemprops are not read.
bool read_head_element(pugi::xml_node node, std::string_view name, StructuredMetadata& meta, PageSignals& signals) {
  if (name == "meta") {
    read_meta(node, signals.tags);
  } else if (name == "script") {
    auto& json_ld = signals.json_ld;
    if (json_ld.size() < json_ld.capacity() && std::string_view(node.attribute("type").value()).find("ld+json") != std::string_view::npos)
      if (auto value = parse_json_ld(node.child_value())) json_ld.push_back(std::move(*value));
    return false;
  } else if (name == "title") {
    if (meta.document_title.empty()) meta.document_title = dom_text(node);
    if (meta.document_title.empty()) meta.document_title = normalize_whitespace(node.child_value());
  } else if (name == "link") {
    std::string rel = lower_ascii(node.attribute("rel").value());
    if (rel == "canonical" && meta.canonical_url.empty()) meta.canonical_url = normalize_whitespace(node.attribute("href").value());
  } else if (name == "time") {
    std::string_view datetime = node.attribute("datetime").value();
    if (!datetime.empty()) {
      std::string cls = lower_ascii(node.attribute("class").value());
      bool published = node.attribute("pubdate") || cls.find("publish") != std::string::npos ||
                       cls.find("pubdate") != std::string::npos || cls.find("entry-date") != std::string::npos;
      if (published && signals.time_published.empty()) signals.time_published = datetime;
      if (signals.time_any.empty()) signals.time_any = datetime;
    }
  }
  return true;
}

// Microdata outside <meta>: the first headline, dates and image, every author.
void read_itemprop(pugi::xml_node node, std::string_view itemprop, PageSignals& signals) {
  if (itemprop == "headline" && signals.itemprop_headline.empty()) signals.itemprop_headline = dom_text(node);
  else if (itemprop == "datePublished" && signals.itemprop_published.empty()) signals.itemprop_published = itemprop_value(node);
  else if (itemprop == "dateModified" && signals.itemprop_updated.empty()) signals.itemprop_updated = itemprop_value(node);
  else if (itemprop == "image" && signals.itemprop_image.empty()) signals.itemprop_image = itemprop_value(node);
  else if (itemprop == "author" || itemprop == "creator") {
    pugi::xml_node name_node = node.find_node([](pugi::xml_node n) {
      return std::string_view(n.attribute("itemprop").value()) == "name";
    });
    std::string author = name_node ? itemprop_value(name_node) : itemprop_value(node);
    for (auto& a : split_authors(author)) add_unique(signals.itemprop_authors, std::move(a));
  }
}

// One pass over the elements in document order.
void scan_elements(pugi::xml_node root, StructuredMetadata& meta, PageSignals& signals) {
  for (pugi::xml_node node = root; node; node = next_element(node, root)) {
    std::string_view name = node.name();
    ElementAttributes attrs = element_attributes(node);
    note_landmarks(node, name, attrs, meta, signals);
    if (!read_head_element(node, name, meta, signals)) continue;
    if (!attrs.itemprop.empty() && name != "meta") read_itemprop(node, attrs.itemprop, signals);
  }
}

// Bylines, most specific source first (JSON-LD, meta author, article:author,
// Dublin Core, itemprop, rel=author, then a visible byline element). E-mail
// addresses, photo credits and slug duplicates go. A source that names only
// the publication ("stern.de", the site name) gives way to a later one
// that names people, and stands when none does: it is what the page says.
void choose_authors(StructuredMetadata& meta, PageSignals& signals) {
  MetaTags& tags = signals.tags;
  std::vector<std::string> house_byline;
  for (auto* source : {&meta.authors, &tags.authors, &tags.article_authors, &tags.dc_creators, &signals.itemprop_authors,
                       &signals.rel_author_names, &signals.byline_names}) {
    std::vector<std::string> names = *source;
    drop_non_author_entries(names);
    if (names.empty()) continue;
    bool only_publication = std::all_of(names.begin(), names.end(), [&](const std::string& n) {
      return names_publication(n, meta.site_name, meta.canonical_url);
    });
    if (!only_publication) {
      meta.authors = std::move(names);
      house_byline.clear();
      break;
    }
    if (house_byline.empty()) house_byline = std::move(names);
    meta.authors.clear();
  }
  if (meta.authors.empty()) meta.authors = std::move(house_byline);
}

const std::string& first_nonempty(std::initializer_list<const std::string*> options) {
  static const std::string kEmpty;
  for (const auto* o : options)
    if (!o->empty()) return *o;
  return kEmpty;
}

// Titles and description: JSON-LD already filled what it knows.
void merge_titles(StructuredMetadata& meta, const PageSignals& signals) {
  const MetaTags& tags = signals.tags;
  if (meta.headline.empty()) meta.headline = tags.headline;
  if (meta.title.empty())
    meta.title = first_nonempty({&tags.headline, &tags.og_title, &tags.twitter_title, &tags.dc_title, &signals.itemprop_headline});
  meta.og_title = tags.og_title;
  meta.twitter_title = tags.twitter_title;
  if (meta.description.empty()) meta.description = first_nonempty({&tags.og_description, &tags.description});
  else if (!tags.og_description.empty()) meta.description = tags.og_description;
}

// Dates, section, tags, image, site name, language and canonical URL, each
// from the first source that has one.
void merge_page_facts(StructuredMetadata& meta, const PageSignals& signals) {
  const MetaTags& tags = signals.tags;
  if (!meta.published_at) meta.published_at = date_of(tags.published);
  if (!meta.published_at) meta.published_at = date_of(signals.itemprop_published);
  if (!meta.published_at) meta.published_at = date_of(signals.time_published);
  if (!meta.published_at) meta.published_at = date_of(signals.time_any);
  if (!meta.updated_at) meta.updated_at = date_of(tags.updated);
  if (!meta.updated_at) meta.updated_at = date_of(signals.itemprop_updated);
  if (!tags.section.empty()) meta.section = tags.section;
  if (!tags.tags.empty()) meta.tags = tags.tags;
  if (meta.tags.empty()) meta.tags = tags.keywords;
  if (!tags.og_image.empty()) meta.image = tags.og_image;
  if (meta.image.empty()) meta.image = first_nonempty({&tags.twitter_image, &signals.itemprop_image});
  // og:site_name is what the site calls itself on the page; JSON-LD publisher is often a legal name.
  if (!tags.og_site_name.empty()) meta.site_name = tags.og_site_name;
  if (meta.site_name.empty()) meta.site_name = tags.application_name;
  if (meta.language.empty()) meta.language = primary_language(tags.og_locale);
  if (meta.language.empty()) meta.language = primary_language(tags.content_language);
  if (meta.canonical_url.empty()) meta.canonical_url = tags.og_url;
}

}  // namespace

StructuredMetadata read_structured_metadata(const pugi::xml_document& dom) {
  StructuredMetadata meta;
  PageSignals signals;
  signals.json_ld.reserve(16);  // the scan stops collecting at this capacity

  pugi::xml_node root = dom.document_element();
  meta.language = primary_language(root.attribute("lang").value());
  if (meta.language.empty()) meta.language = primary_language(root.attribute("xml:lang").value());

  scan_elements(root, meta, signals);
  JsonLdIndex index;
  for (const auto& value : signals.json_ld) index.add(value);
  read_json_ld(index, meta);
  if (meta.breadcrumbs.empty() && signals.breadcrumb_container) meta.breadcrumbs = breadcrumbs_in(signals.breadcrumb_container);

  merge_titles(meta, signals);
  choose_authors(meta, signals);
  merge_page_facts(meta, signals);
  return meta;
}

}  // namespace newsd::parsers
