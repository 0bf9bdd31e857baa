#include "parsers/articles/site_template.hpp"

#include <algorithm>
#include <set>

#include <unordered_set>

#include <toml++/toml.h>

#include "parsers/text/ascii.hpp"
#include "parsers/html/html_document.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/articles/structured_metadata.hpp"
#include "parsers/identity/article_identity.hpp"

namespace newsd::parsers {
namespace {

bool is_css_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// An XPath string literal for any value (XPath 1.0 has no escapes).
std::string xpath_literal(std::string_view value) {
  if (value.find('\'') == std::string_view::npos) return "'" + std::string(value) + "'";
  if (value.find('"') == std::string_view::npos) return "\"" + std::string(value) + "\"";
  std::string out = "concat(";
  std::size_t start = 0;
  while (true) {
    auto quote = value.find('\'', start);
    out += "'" + std::string(value.substr(start, quote - start)) + "'";
    if (quote == std::string_view::npos) break;
    out += ",\"'\",";
    start = quote + 1;
  }
  return out + ")";
}

// The CSS name (tag, class, id or attribute) at s[i], moving i past it; empty
// when none starts there.
std::string read_css_name(std::string_view s, std::size_t& i) {
  auto start = i;
  while (i < s.size() && is_css_name_char(s[i])) ++i;
  return std::string(s.substr(start, i - start));
}

// The predicate testing `attribute` with a CSS attribute operator (none for
// a bare [attribute]); nullopt for an operator it does not translate.
std::optional<std::string> attribute_predicate(const std::string& attribute, std::string_view op,
                                               const std::string& value) {
  std::string a = "@" + attribute;
  std::string v = xpath_literal(value);
  if (op.empty()) return "[" + a + "]";
  if (op == "=") return "[" + a + "=" + v + "]";
  if (op == "*=") return "[contains(" + a + "," + v + ")]";
  if (op == "^=") return "[starts-with(" + a + "," + v + ")]";
  if (op == "$=") return "[substring(" + a + ",string-length(" + a + ")-string-length(" + v + ")+1)=" + v + "]";
  if (op == "~=") return "[contains(concat(' ',normalize-space(" + a + "),' '),' " + value + " ')]";
  return std::nullopt;
}

// An attribute selector from just after its '[' to just after its ']'
// (name, operator, quoted or bare value) as a predicate.
std::optional<std::string> attribute_selector_to_xpath(std::string_view s, std::size_t& i) {
  auto attribute = lower_ascii(read_css_name(s, i));
  if (attribute.empty()) return std::nullopt;
  std::string op;
  while (i < s.size() && (s[i] == '=' || s[i] == '*' || s[i] == '^' || s[i] == '$' || s[i] == '~' || s[i] == '|'))
    op.push_back(s[i++]);
  std::string value;
  if (!op.empty()) {
    if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
      char quote = s[i++];
      auto end = s.find(quote, i);
      if (end == std::string_view::npos) return std::nullopt;
      value = std::string(s.substr(i, end - i));
      i = end + 1;
    } else {
      value = read_css_name(s, i);
    }
  }
  while (i < s.size() && s[i] == ' ') ++i;
  if (i >= s.size() || s[i] != ']') return std::nullopt;
  ++i;
  return attribute_predicate(attribute, op, value);
}

// One compound selector (tag.class#id[attr]) as a node test plus predicates.
std::optional<std::string> compound_to_xpath(std::string_view s, std::size_t& i) {
  std::string tag = "*";
  std::string predicates;
  if (i < s.size() && s[i] == '*') {
    ++i;
  } else if (i < s.size() && is_css_name_char(s[i])) {
    tag = lower_ascii(read_css_name(s, i));
  }
  while (i < s.size()) {
    char c = s[i];
    if (c == '.') {
      ++i;
      auto name = read_css_name(s, i);
      if (name.empty()) return std::nullopt;
      predicates += "[contains(concat(' ',normalize-space(@class),' '),' " + name + " ')]";
    } else if (c == '#') {
      ++i;
      auto name = read_css_name(s, i);
      if (name.empty()) return std::nullopt;
      predicates += "[@id=" + xpath_literal(name) + "]";
    } else if (c == '[') {
      ++i;
      auto predicate = attribute_selector_to_xpath(s, i);
      if (!predicate) return std::nullopt;
      predicates += *predicate;
    } else {
      break;
    }
  }
  return tag + predicates;
}

// Template keys, so that a misspelt key is reported instead of ignored.
constexpr std::string_view kSelectorKeys[] = {
    "title", "body", "authors", "published", "updated", "section", "breadcrumbs", "tags", "image",
    "site_name", "summary", "drop", "article_links",
};

SelectorList* field_of(SiteTemplate& t, std::string_view key) {
  if (key == "title") return &t.title;
  if (key == "body") return &t.body;
  if (key == "authors") return &t.authors;
  if (key == "published") return &t.published;
  if (key == "updated") return &t.updated;
  if (key == "section") return &t.section;
  if (key == "breadcrumbs") return &t.breadcrumbs;
  if (key == "tags") return &t.tags;
  if (key == "image") return &t.image;
  if (key == "site_name") return &t.site_name;
  if (key == "summary") return &t.summary;
  if (key == "drop") return &t.drop;
  if (key == "article_links") return &t.article_links;
  return nullptr;
}

std::string where(std::string_view origin, const toml::source_region& region) {
  return std::string(origin) + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

// "xpath:" / "css:" prefixes force the language; otherwise a selector that
// starts like a path is XPath and anything else CSS.
std::optional<TemplateSelector> compile_selector(std::string_view text, std::string& error) {
  std::string xpath;
  bool is_xpath = false;
  if (text.rfind("xpath:", 0) == 0) {
    text.remove_prefix(6);
    is_xpath = true;
  } else if (text.rfind("css:", 0) == 0) {
    text.remove_prefix(4);
  } else {
    is_xpath = !text.empty() && (text[0] == '/' || text[0] == '(' || text.rfind("./", 0) == 0);
  }
  if (is_xpath) {
    xpath = std::string(text);
  } else {
    auto translated = css_to_xpath(text);
    if (!translated) {
      error = "unsupported CSS selector '" + std::string(text) + "'";
      return std::nullopt;
    }
    xpath = *translated;
  }
  try {
    return TemplateSelector{std::string(text), pugi::xpath_query(xpath.c_str())};
  } catch (const pugi::xpath_exception& e) {
    error = "invalid XPath '" + xpath + "': " + e.what();
    return std::nullopt;
  }
}

void read_selectors(const toml::node& node, std::string_view key, std::string_view origin, SelectorList& out,
                    std::vector<std::string>& errors) {
  auto add = [&](const toml::node& item) {
    auto text = item.value<std::string>();
    if (!text) {
      errors.push_back(where(origin, item.source()) + ": '" + std::string(key) + "' must be a string or a list of strings");
      return;
    }
    std::string error;
    if (auto selector = compile_selector(*text, error)) out.push_back(std::move(*selector));
    else errors.push_back(where(origin, item.source()) + ": " + std::string(key) + ": " + error);
  };
  if (const auto* array = node.as_array()) {
    for (const auto& item : *array) add(item);
  } else {
    add(node);
  }
}

std::optional<std::chrono::minutes> parse_offset(std::string_view text) {
  // "+03:00", "-0500", "Z"
  if (text == "Z" || text == "UTC" || text == "+00:00") return std::chrono::minutes(0);
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  int sign = text[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : text.substr(1))
    if (c >= '0' && c <= '9') digits.push_back(c);
    else if (c != ':') return std::nullopt;
  if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
  int hours = std::stoi(digits.substr(0, 2));
  int mins = digits.size() == 4 ? std::stoi(digits.substr(2, 2)) : 0;
  if (hours > 14 || mins > 59) return std::nullopt;
  return std::chrono::minutes(sign * (hours * 60 + mins));
}

bool host_matches(std::string_view host, std::string_view pattern) {
  if (host == pattern) return true;
  return host.size() > pattern.size() && host.ends_with(pattern) && host[host.size() - pattern.size() - 1] == '.';
}

enum class ValueKind { text, date, url, link };

// The value a selected node stands for: an attribute's value, a meta's
// content, a date's machine-readable form, an image's source, else its text.
std::string node_value(const pugi::xpath_node& selected, ValueKind kind) {
  if (selected.attribute()) return normalize_whitespace(selected.attribute().value());
  pugi::xml_node node = selected.node();
  if (node.type() != pugi::node_element) return normalize_whitespace(node.value());
  auto attribute_value = [&](std::initializer_list<const char*> names) -> std::string {
    for (const char* name : names)
      if (auto a = node.attribute(name); a && *a.value()) return normalize_whitespace(a.value());
    return {};
  };
  if (std::string_view(node.name()) == "meta") return normalize_whitespace(node.attribute("content").value());
  if (kind == ValueKind::date) {
    if (auto v = attribute_value({"datetime", "content"}); !v.empty()) return v;
  } else if (kind == ValueKind::url) {
    if (auto v = attribute_value({"data-src", "data-lazy-src", "data-original", "src", "content", "href"}); !v.empty())
      return v;
    if (auto img = node.child("img")) return node_value(pugi::xpath_node(img), kind);
    return {};
  } else if (kind == ValueKind::link) {
    return attribute_value({"href"});
  }
  return dom_text(node);
}

std::string first_value(const SelectorList& selectors, const pugi::xml_document& dom, ValueKind kind) {
  for (const auto& selector : selectors) {
    for (const auto& selected : selector.query.evaluate_node_set(dom)) {
      auto value = node_value(selected, kind);
      if (!value.empty()) return value;
    }
  }
  return {};
}

std::vector<std::string> all_values(const SelectorList& selectors, const pugi::xml_document& dom, ValueKind kind) {
  std::vector<std::string> out;
  for (const auto& selector : selectors) {
    for (const auto& selected : selector.query.evaluate_node_set(dom)) {
      auto value = node_value(selected, kind);
      if (!value.empty() && std::find(out.begin(), out.end(), value) == out.end()) out.push_back(std::move(value));
    }
    if (!out.empty()) break;
  }
  return out;
}

struct DroppedNodes {
  std::unordered_set<const void*> nodes;
};

bool is_template_dropped(pugi::xml_node node, const void* context) {
  return static_cast<const DroppedNodes*>(context)->nodes.count(node.internal_object()) != 0;
}

}  // namespace

TemplateFields apply_site_template(const SiteTemplate& t, const pugi::xml_document& dom) {
  TemplateFields fields;
  fields.title = first_value(t.title, dom, ValueKind::text);
  for (const auto& author : all_values(t.authors, dom, ValueKind::text))
    for (auto& name : split_authors(author))
      if (std::find(fields.authors.begin(), fields.authors.end(), name) == fields.authors.end())
        fields.authors.push_back(std::move(name));
  fields.published = first_value(t.published, dom, ValueKind::date);
  fields.updated = first_value(t.updated, dom, ValueKind::date);
  fields.section = first_value(t.section, dom, ValueKind::text);
  fields.breadcrumbs = all_values(t.breadcrumbs, dom, ValueKind::text);
  fields.tags = all_values(t.tags, dom, ValueKind::text);
  fields.image = first_value(t.image, dom, ValueKind::url);
  fields.site_name = first_value(t.site_name, dom, ValueKind::text);
  fields.summary = first_value(t.summary, dom, ValueKind::text);

  DroppedNodes dropped;
  for (const auto& selector : t.drop)
    for (const auto& selected : selector.query.evaluate_node_set(dom))
      if (selected.node()) dropped.nodes.insert(selected.node().internal_object());
  for (const auto& selector : t.body) {
    std::vector<pugi::xml_node> taken;
    for (const auto& selected : selector.query.evaluate_node_set(dom)) {
      pugi::xml_node node = selected.node();
      if (!node || node.type() != pugi::node_element) continue;
      // A match inside one already taken would repeat its text.
      bool nested = std::any_of(taken.begin(), taken.end(), [&](pugi::xml_node outer) {
        for (pugi::xml_node p = node.parent(); p; p = p.parent())
          if (p == outer) return true;
        return false;
      });
      if (nested) continue;
      taken.push_back(node);
      for (auto& paragraph : dom_paragraphs(node, &is_template_dropped, &dropped)) fields.body.push_back(std::move(paragraph));
    }
    if (!fields.body.empty()) break;
  }
  return fields;
}

std::vector<std::string> template_article_links(const SiteTemplate& t, const pugi::xml_document& dom) {
  return all_values(t.article_links, dom, ValueKind::link);
}

std::optional<std::string> css_to_xpath(std::string_view css) {
  std::string out;
  std::size_t i = 0;
  auto skip_spaces = [&]() {
    bool any = false;
    while (i < css.size() && (css[i] == ' ' || css[i] == '\t' || css[i] == '\n')) {
      ++i;
      any = true;
    }
    return any;
  };
  skip_spaces();
  std::string path = "//";
  bool expect_compound = true;
  while (i < css.size()) {
    if (expect_compound) {
      auto start = i;
      auto compound = compound_to_xpath(css, i);
      if (!compound || i == start) return std::nullopt;
      path += *compound;
      expect_compound = false;
      continue;
    }
    bool spaced = skip_spaces();
    if (i >= css.size()) break;
    char c = css[i];
    if (c == ',') {
      ++i;
      skip_spaces();
      out += (out.empty() ? "" : " | ") + path;
      path = "//";
      expect_compound = true;
    } else if (c == '>') {
      ++i;
      skip_spaces();
      path += "/";
      expect_compound = true;
    } else if (spaced) {
      path += "//";
      expect_compound = true;
    } else {
      return std::nullopt;  // pseudo-classes, sibling combinators: not supported
    }
  }
  if (expect_compound) return std::nullopt;
  out += (out.empty() ? "" : " | ") + path;
  return out;
}

namespace {

void read_hosts(const toml::node& node, std::string_view origin, std::vector<std::string>& hosts,
                std::vector<std::string>& errors) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    errors.push_back(where(origin, node.source()) + ": 'hosts' must be a list of host names");
    return;
  }
  for (const auto& item : *array) {
    if (auto v = item.value<std::string>()) hosts.push_back(lower_ascii(*v));
    else errors.push_back(where(origin, item.source()) + ": 'hosts' entries must be strings");
  }
}

// The [select] table: one selector list per field of SiteTemplate.
void read_select(const toml::node& node, std::string_view origin, SiteTemplate& t, std::vector<std::string>& errors) {
  const auto* select = node.as_table();
  if (select == nullptr) {
    errors.push_back(where(origin, node.source()) + ": [select] must be a table");
    return;
  }
  for (const auto& [field, selectors] : *select) {
    SelectorList* list = field_of(t, field.str());
    if (list == nullptr) {
      std::string known;
      for (auto name : kSelectorKeys) known += (known.empty() ? "" : ", ") + std::string(name);
      errors.push_back(where(origin, selectors.source()) + ": unknown field '" + std::string(field.str()) +
                       "' in [select] (expected one of " + known + ")");
      continue;
    }
    read_selectors(selectors, field.str(), origin, *list, errors);
  }
}

// One top-level key of a template.
void read_template_key(std::string_view k, const toml::node& node, std::string_view origin, SiteTemplate& t,
                       std::vector<std::string>& errors) {
  if (k == "name") {
    if (auto v = node.value<std::string>()) t.name = *v;
    else errors.push_back(where(origin, node.source()) + ": 'name' must be a string");
  } else if (k == "hosts") {
    read_hosts(node, origin, t.hosts, errors);
  } else if (k == "utc_offset") {
    auto v = node.value<std::string>();
    auto offset = v ? parse_offset(*v) : std::nullopt;
    if (offset) t.utc_offset = *offset;
    else errors.push_back(where(origin, node.source()) + ": 'utc_offset' must look like \"+03:00\"");
  } else if (k == "detect") {
    read_selectors(node, k, origin, t.detect, errors);
  } else if (k == "select") {
    read_select(node, origin, t, errors);
  } else {
    errors.push_back(where(origin, node.source()) + ": unknown key '" + std::string(k) +
                     "' (expected name, hosts, detect, utc_offset, [select])");
  }
}

// What every template must have, reported at the top of the file.
void check_required_keys(const SiteTemplate& t, const toml::table& table, std::string_view origin,
                         std::vector<std::string>& errors) {
  if (t.name.empty()) errors.push_back(std::string(origin) + ":1:1: 'name' is required");
  if (t.hosts.empty() && t.detect.empty())
    errors.push_back(std::string(origin) + ":1:1: a template needs 'hosts' or 'detect' to apply to any page");
  const auto* select = table["select"].as_table();
  if (select == nullptr || !select->contains("body"))
    errors.push_back(std::string(origin) + ":1:1: [select] body is required");
}

}  // namespace

TemplateParseResult parse_site_template(std::string_view toml_text, std::string_view origin) {
  TemplateParseResult result;
  toml::table table;
  try {
    table = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    result.errors.push_back(where(origin, e.source()) + ": " + std::string(e.description()));
    return result;
  }
  SiteTemplate t;
  for (const auto& [key, node] : table) read_template_key(key.str(), node, origin, t, result.errors);
  check_required_keys(t, table, origin, result.errors);
  if (result.errors.empty()) result.site_template = std::move(t);
  return result;
}

void SiteTemplateSet::add(SiteTemplate site_template) {
  // A later template of the same name replaces the earlier one (config overrides the directory).
  auto same = std::find_if(templates_.begin(), templates_.end(),
                           [&](const SiteTemplate& t) { return t.name == site_template.name; });
  if (same != templates_.end()) *same = std::move(site_template);
  else templates_.push_back(std::move(site_template));
}

const SiteTemplate* SiteTemplateSet::find(std::string_view name) const {
  for (const auto& t : templates_)
    if (t.name == name) return &t;
  return nullptr;
}

const SiteTemplate* SiteTemplateSet::match(std::string_view url, const pugi::xml_document& dom) const {
  std::string host = url_host(url);
  if (!host.empty())
    for (const auto& t : templates_)
      for (const auto& pattern : t.hosts)
        if (host_matches(host, pattern)) return &t;
  for (const auto& t : templates_)
    for (const auto& selector : t.detect)
      if (selector.query.evaluate_boolean(dom)) return &t;
  return nullptr;
}

}  // namespace newsd::parsers
