#include "parsers/feeds/xml_feed_reader.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstring>

#include "parsers/text/ascii.hpp"
#include "parsers/feeds/feed_text.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/identity/relative_url.hpp"
#include "parsers/text/text_codec.hpp"
#include "parsers/feeds/xml_recovery.hpp"

namespace newsd::parsers {
namespace {

// The vocabularies feeds mix; everything else is an unknown extension and ignored.
enum class Ns { none, rss, atom10, atom03, rdf, content, dc, dcterms, media, itunes, xml, xhtml, other };

struct NamespaceUri {
  std::string_view uri;
  Ns ns;
};
constexpr std::array<NamespaceUri, 16> kNamespaceUris{{
    {"http://purl.org/rss/1.0/", Ns::rss},
    {"http://my.netscape.com/rdf/simple/0.9/", Ns::rss},
    {"http://backend.userland.com/rss2", Ns::rss},
    {"http://blogs.law.harvard.edu/tech/rss", Ns::rss},
    {"http://www.w3.org/2005/Atom", Ns::atom10},
    {"http://purl.org/atom/ns#", Ns::atom03},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", Ns::rdf},
    {"http://purl.org/rss/1.0/modules/content/", Ns::content},
    {"http://purl.org/dc/elements/1.1/", Ns::dc},
    {"http://purl.org/dc/terms/", Ns::dcterms},
    {"http://search.yahoo.com/mrss/", Ns::media},
    {"http://search.yahoo.com/mrss", Ns::media},
    {"http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::itunes},
    {"http://www.w3.org/1999/xhtml", Ns::xhtml},
    {"http://backend.userland.com/rss", Ns::rss},
    {"http://www.w3.org/XML/1998/namespace", Ns::xml},
}};

// Prefixes feeds use without declaring them; read as their usual vocabulary.
struct ConventionalPrefix {
  std::string_view prefix;
  Ns ns;
};
constexpr std::array<ConventionalPrefix, 9> kConventionalPrefixes{{
    {"atom", Ns::atom10},
    {"content", Ns::content},
    {"dc", Ns::dc},
    {"dcterms", Ns::dcterms},
    {"itunes", Ns::itunes},
    {"media", Ns::media},
    {"rdf", Ns::rdf},
    {"rss", Ns::rss},
    {"xml", Ns::xml},
}};

// URIs are compared ignoring ASCII case: feeds spell the iTunes one every
// which way (DTDs/Podcast, DTDs/PodCast, dtds/podcast).
Ns ns_of_uri(std::string_view uri) {
  uri = trim_ascii(uri);
  if (uri.empty()) return Ns::none;  // xmlns="": no namespace
  for (const auto& entry : kNamespaceUris)
    if (iequals_ascii(entry.uri, uri)) return entry.ns;
  return Ns::other;
}

struct XName {
  Ns ns;
  std::string_view local;
};

// The namespace URI `prefix` (empty: the default namespace) is bound to at `node`.
// Called for every element, so it compares in place rather than building
// string_views of every attribute name.
const char* lookup_namespace(pugi::xml_node node, std::string_view prefix, pugi::xml_node stop = {}) {
  for (; node && node != stop; node = node.parent()) {
    for (pugi::xml_attribute attr = node.first_attribute(); attr; attr = attr.next_attribute()) {
      const char* name = attr.name();
      if (std::strncmp(name, "xmlns", 5) != 0) continue;
      if (prefix.empty() ? name[5] == '\0'
                         : (name[5] == ':' && std::strncmp(name + 6, prefix.data(), prefix.size()) == 0 &&
                            name[6 + prefix.size()] == '\0'))
        return attr.value();
    }
  }
  return nullptr;
}

std::string_view local_name(pugi::xml_node node) {
  std::string_view qname = node.name();
  const std::size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// Element names as (vocabulary, local name). The bindings in scope at a parent
// are memoised: readers ask about every child of the same item in turn, and
// walking to the root's dozen xmlns attributes for each was the hot spot.
class NameResolver {
 public:
  // A root element in a namespace nobody knows (a home-made or misspelt one)
  // still names the feed's own vocabulary: elements in that namespace are read
  // as if they had none.
  void set_root(pugi::xml_node root) {
    const std::string_view qname = root.name();
    const std::size_t colon = qname.find(':');
    const char* uri = lookup_namespace(root, colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon));
    if (uri && ns_of_uri(uri) == Ns::other) root_uri_ = uri;
  }

  XName operator()(pugi::xml_node node) {
    std::string_view qname = node.name();
    const std::size_t colon = qname.find(':');
    const std::string_view prefix = colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
    const std::string_view local = colon == std::string_view::npos ? qname : qname.substr(colon + 1);
    if (const char* uri = lookup(node, prefix)) {
      if (!root_uri_.empty() && root_uri_ == uri) return {Ns::none, local};
      return {ns_of_uri(uri), local};
    }
    if (prefix.empty()) return {Ns::none, local};
    for (const auto& entry : kConventionalPrefixes)
      if (entry.prefix == prefix) return {entry.ns, local};
    return {Ns::other, local};
  }

 private:
  const char* lookup(pugi::xml_node node, std::string_view prefix) {
    if (node.first_attribute())
      if (const char* own = lookup_namespace(node, prefix, node.parent())) return own;
    const pugi::xml_node parent = node.parent();
    if (parent != memo_parent_) {
      memo_parent_ = parent;
      memo_.clear();
    }
    for (const auto& [p, uri] : memo_)
      if (p == prefix) return uri;
    const char* uri = lookup_namespace(parent, prefix);
    memo_.emplace_back(prefix, uri);
    return uri;
  }

  pugi::xml_node memo_parent_;
  std::vector<std::pair<std::string_view, const char*>> memo_;
  std::string_view root_uri_;
};

class StringWriter : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, size_t size) override { out_.append(static_cast<const char*>(data), size); }

 private:
  std::string& out_;
};

// The text of an element: its text and CDATA children joined, or, when it
// holds markup (HTML written unescaped into a description), that markup.
std::string inner_content(pugi::xml_node node) {
  std::string out;
  bool has_elements = false;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_element) {
      has_elements = true;
      break;
    }
  }
  if (!has_elements) {
    for (pugi::xml_node child : node.children())
      if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) out.append(child.value());
    return repair_c1_controls(std::move(out));
  }
  StringWriter writer(out);
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_cdata) {
      out.append(child.value());
    } else {
      child.print(writer, "", pugi::format_raw | pugi::format_no_declaration);
    }
  }
  return repair_c1_controls(std::move(out));
}

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c == '&') out.append("&amp;");
    else if (c == '<') out.append("&lt;");
    else if (c == '>') out.append("&gt;");
    else out.push_back(c);
  }
}

// The markup inside an XHTML container (Atom's div, RSS's xhtml:body) as
// HTML: its text stays escaped, so "&lt;blink&gt;" written as text remains
// text rather than turning into a tag.
std::string xhtml_markup(pugi::xml_node node) {
  std::string out;
  StringWriter writer(out);
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) append_escaped(out, child.value());
    else if (child.type() == pugi::node_element) child.print(writer, "", pugi::format_raw | pugi::format_no_declaration);
  }
  return repair_c1_controls(std::string(trim_ascii(out)));
}

std::string trimmed_text(pugi::xml_node node) { return std::string(trim_ascii(inner_content(node))); }

// True when text holds a tag or an entity reference ("&amp;", "&#8217;").
bool looks_like_html(std::string_view text) {
  if (text.find('<') != std::string_view::npos) return true;
  for (std::size_t amp = text.find('&'); amp != std::string_view::npos; amp = text.find('&', amp + 1)) {
    std::size_t i = amp + 1;
    if (i < text.size() && text[i] == '#') ++i;
    const std::size_t start = i;
    while (i < text.size() && i - start < 32 &&
           ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= '0' && text[i] <= '9')))
      ++i;
    if (i > start && i < text.size() && text[i] == ';') return true;
  }
  return false;
}

// RSS titles are HTML in practice (double-escaped entities, <b>), so read as
// such when they look it; otherwise a '&' is just an ampersand, so that a URL
// query such as "?a=1&copy=2" is not read as the legacy entity &copy.
std::string rss_plain_text(pugi::xml_node node) {
  const std::string text = inner_content(node);
  return looks_like_html(text) ? html_fragment_to_text(text) : normalize_whitespace(text);
}

// Base64 as Atom carries binary content (whitespace between groups allowed);
// invalid characters end the decoding.
std::string decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+' || c == '-') v = 62;
    else if (c == '/' || c == '_') v = 63;
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    else break;  // '=' padding or garbage
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out.push_back(static_cast<char>((bits >> 16) & 0xFF));
      out.push_back(static_cast<char>((bits >> 8) & 0xFF));
      out.push_back(static_cast<char>(bits & 0xFF));
      bits = 0;
      count = 0;
    }
  }
  if (count == 3) {
    out.push_back(static_cast<char>((bits >> 10) & 0xFF));
    out.push_back(static_cast<char>((bits >> 2) & 0xFF));
  } else if (count == 2) {
    out.push_back(static_cast<char>((bits >> 4) & 0xFF));
  }
  return out;
}

// Atom 0.3 mode="base64", or an Atom 1.0 type that is a MIME type other than
// text or XML (RFC 4287 4.1.3.3: such content is base64).
bool is_base64_content(pugi::xml_node node) {
  const std::string_view type = node.attribute("type").value();
  if (std::string_view(node.attribute("mode").value()) == "base64") return true;
  if (type.find('/') == std::string_view::npos) return false;
  return !type.starts_with("text/") && type.find("xml") == std::string_view::npos;
}

// Atom text constructs: type="text" (default), "html", "xhtml" (a div wrapper).
std::string atom_content(pugi::xml_node node) {
  const std::string_view type = node.attribute("type").value();
  if (type == "xhtml" || type == "application/xhtml+xml") {
    for (pugi::xml_node child : node.children())
      if (child.type() == pugi::node_element && local_name(child) == "div") return xhtml_markup(child);
    return xhtml_markup(node);
  }
  if (is_base64_content(node)) return std::string(trim_ascii(sanitize_utf8(decode_base64(inner_content(node)))));
  return trimmed_text(node);
}

std::string atom_plain_text(pugi::xml_node node) {
  const std::string_view type = node.attribute("type").value();
  const std::string content = atom_content(node);
  if (type == "html" || type == "xhtml" || type == "text/html" || type == "application/xhtml+xml" ||
      std::string_view(node.attribute("mode").value()) == "escaped" ||
      (is_base64_content(node) && looks_like_html(content)))
    return html_fragment_to_text(content);
  return normalize_whitespace(content);
}

void set_if_empty(std::string& field, std::string value) {
  if (field.empty()) field = std::move(value);
}

void add_unique(std::vector<std::string>& list, std::string value) {
  if (value.empty() || std::find(list.begin(), list.end(), value) != list.end()) return;
  list.push_back(std::move(value));
}

void add_keywords(std::vector<std::string>& list, std::string_view keywords) {
  while (!keywords.empty()) {
    const std::size_t comma = keywords.find(',');
    add_unique(list, normalize_whitespace(keywords.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    keywords.remove_prefix(comma + 1);
  }
}

bool is_image_media(pugi::xml_node media) {
  const std::string_view medium = media.attribute("medium").value();
  const std::string_view type = media.attribute("type").value();
  return medium == "image" || type.starts_with("image/");
}

Person atom_person(pugi::xml_node node) {
  Person person;
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view local = local_name(child);
    if (local == "name") person.name = normalize_whitespace(inner_content(child));
    if (local == "email") person.email = std::string(trim_ascii(inner_content(child)));
  }
  return person;
}

void add_person(std::vector<Person>& people, Person person) {
  if (person.name.empty() && person.email.empty()) return;
  people.push_back(std::move(person));
}

std::optional<std::int64_t> parse_length(std::string_view text) {
  text = trim_ascii(text);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Fields that several elements can supply, in order of preference: the first
// non-empty candidate wins when the item or channel is finished.
struct Candidates {
  std::string title_core, title_dc;
  std::string link_core, link_href, link_atom;
  std::string summary_core, summary_dc, summary_itunes, summary_atom;
  std::string title_media;
  std::string content_xhtml;
  std::string content_encoded, content_atom;
  std::optional<FeedDate> published_core, published_dc, published_dcterms, published_atom;
  std::optional<FeedDate> updated_atom, updated_dcterms, updated_dc;
  std::vector<Person> authors_core, authors_dc_creator, authors_dc_author, authors_atom, authors_itunes;
  std::string image_thumbnail, image_media, image_itunes, image_enclosure;
  std::string language_dc;
  // RSS channels only.
  std::optional<FeedDate> updated_core;
  std::vector<Person> authors_editor, authors_webmaster;
};

// What only an Atom entry offers: an alternate link of type text/html, which
// wins over the other alternates, and its dates under Atom 1.0's names
// (published, updated) and 0.3's (issued, created, modified). The first
// element of each name counts.
struct AtomEntryCandidates {
  std::string link_html;
  std::optional<FeedDate> published, issued, created, updated, modified;

  // The date an element named `local` supplies, or null when it names none.
  std::optional<FeedDate>* date_named(std::string_view local) {
    if (local == "published") return &published;
    if (local == "issued") return &issued;
    if (local == "created") return &created;
    if (local == "updated") return &updated;
    if (local == "modified") return &modified;
    return nullptr;
  }
};

template <typename T>
std::optional<T> first_of(std::initializer_list<const std::optional<T>*> options) {
  for (const auto* option : options)
    if (*option) return *option;
  return std::nullopt;
}

std::string first_of(std::initializer_list<std::string*> options) {
  for (std::string* option : options)
    if (!option->empty()) return std::move(*option);
  return {};
}

std::vector<Person> first_of(std::initializer_list<std::vector<Person>*> options) {
  for (auto* option : options)
    if (!option->empty()) return std::move(*option);
  return {};
}

class XmlFeedReader {
 public:
  // Relative URLs resolve against xml:base, then the URL the feed came from,
  // then Content-Location (for bytes that came from no URL, e.g. a file).
  explicit XmlFeedReader(const FeedSource& source)
      : document_base_(source.url.empty() ? source.content_location : source.url) {}

  FeedResult read(pugi::xml_node root, std::string malformed) {
    names_.set_root(root);
    const XName root_name = xname(root);
    Feed feed;
    feed.malformed = std::move(malformed);
    if (root_name.local == "rss" || (root_name.local == "RDF" && root_name.ns == Ns::rdf) ||
        root_name.local == "RDF") {
      read_rss(root, root_name, feed);
    } else if (root_name.local == "feed") {
      read_atom(root, root_name, feed);
    } else {
      FeedResult result;
      result.error = FeedError::not_a_feed;
      result.detail = "root element <" + std::string(root.name()) + "> is not a feed";
      return result;
    }
    FeedResult result;
    result.feed = std::move(feed);
    return result;
  }

 private:
  // xml:base on the node or its ancestors, resolved against the document's URL.
  std::string base_of(pugi::xml_node node) const {
    std::vector<const char*> bases;
    for (pugi::xml_node n = node; n; n = n.parent())
      if (pugi::xml_attribute base = n.attribute("xml:base")) bases.push_back(base.value());
    std::string base = document_base_;
    for (auto it = bases.rbegin(); it != bases.rend(); ++it) base = resolve_relative_url(base, *it);
    return base;
  }

  std::string url(pugi::xml_node node, std::string_view value) const {
    value = trim_ascii(value);
    if (value.empty() || has_url_scheme(value)) return std::string(value);
    return resolve_relative_url(base_of(node), value);
  }

  // BCP 47 writes "en-US"; "en_US" is a locale name written where a tag belongs.
  static std::string language_of(pugi::xml_node node) {
    std::string language(trim_ascii(node.attribute("xml:lang").value()));
    std::replace(language.begin(), language.end(), '_', '-');
    return language;
  }

  // ---- RSS 0.9x, 1.0 (RDF), 2.0 -------------------------------------------

  void read_rss(pugi::xml_node root, XName root_name, Feed& feed) {
    if (root_name.local == "rss") {
      const std::string_view version = trim_ascii(root.attribute("version").value());
      feed.format = version.empty() ? "rss" : "rss" + std::string(version);
    } else {
      const char* default_ns = lookup_namespace(root, "");
      feed.format = default_ns && std::string_view(default_ns) == "http://my.netscape.com/rdf/simple/0.9/"
                        ? "rss0.90"
                        : "rss1.0";
    }
    pugi::xml_node channel;
    for (pugi::xml_node child : root.children()) {
      if (child.type() == pugi::node_element && xname(child).local == "channel") {
        channel = child;
        break;
      }
    }
    // RSS 1.0 puts items, image and textinput beside the channel; 2.0 inside it.
    // Both places are read so that either mistake in the wild works.
    if (channel) read_rss_channel(channel, feed);
    for (pugi::xml_node container : {channel, root}) {
      if (!container) continue;
      for (pugi::xml_node child : container.children()) {
        if (child.type() != pugi::node_element) continue;
        const XName name = xname(child);
        if (name.local == "item" && (name.ns == Ns::none || name.ns == Ns::rss)) {
          feed.items.push_back(read_rss_item(child));
        } else if (container == root && name.local == "image" && !feed.image) {
          read_rss_image(child, feed);
        }
      }
    }
    if (feed.language.empty()) feed.language = language_of(channel);
    if (feed.language.empty()) feed.language = language_of(root);
  }

  void read_rss_image(pugi::xml_node image, Feed& feed) const {
    FeedImage result;
    for (pugi::xml_node child : image.children()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view local = xname(child).local;
      if (local == "url") result.url = url(child, inner_content(child));
      if (local == "title") result.title = rss_plain_text(child);
    }
    if (!result.url.empty()) feed.image = std::move(result);
  }

  void read_rss_channel(pugi::xml_node channel, Feed& feed) {
    Candidates c;
    for (pugi::xml_node child : channel.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = xname(child);
      const std::string_view local = name.local;
      switch (name.ns) {
        case Ns::none:
        case Ns::rss:
          read_rss_channel_core(child, local, c, feed);
          break;
        case Ns::dc:
          if (local == "title") set_if_empty(c.title_dc, rss_plain_text(child));
          else if (local == "description") set_if_empty(c.summary_dc, trimmed_text(child));
          else if (local == "language") set_if_empty(c.language_dc, trimmed_text(child));
          else if (local == "date" && !c.updated_dc) c.updated_dc = make_feed_date(inner_content(child));
          else if (local == "creator") add_person(c.authors_dc_creator, parse_person(inner_content(child)));
          else if (local == "author") add_person(c.authors_dc_author, parse_person(inner_content(child)));
          break;
        case Ns::dcterms:
          if (local == "modified" && !c.updated_dcterms) c.updated_dcterms = make_feed_date(inner_content(child));
          break;
        case Ns::atom10:
        case Ns::atom03:
          if (local == "link") read_atom_link_in_rss(child, c);
          else if (local == "updated" && !c.updated_atom) c.updated_atom = make_feed_date(inner_content(child));
          else if (local == "author") add_person(c.authors_atom, atom_person(child));
          break;
        case Ns::itunes:
          if (local == "summary") set_if_empty(c.summary_itunes, trimmed_text(child));
          else if (local == "author") add_person(c.authors_itunes, parse_person(inner_content(child)));
          else if (local == "image") set_if_empty(c.image_itunes, url(child, child.attribute("href").value()));
          break;
        case Ns::media:
          read_media(child, c);
          break;
        default:
          break;
      }
    }
    finish_rss_channel(channel, c, feed);
  }

  // An element of RSS itself (or of no namespace) in the channel.
  void read_rss_channel_core(pugi::xml_node child, std::string_view local, Candidates& c, Feed& feed) const {
    if (local == "title") set_if_empty(c.title_core, rss_plain_text(child));
    else if (local == "link") read_rss_link(child, c);
    else if (local == "description") set_if_empty(c.summary_core, trimmed_text(child));
    else if (local == "language") set_if_empty(feed.language, trimmed_text(child));
    else if (local == "lastBuildDate" && !c.updated_core) c.updated_core = make_feed_date(inner_content(child));
    else if (local == "managingEditor") add_person(c.authors_editor, parse_person(inner_content(child)));
    else if (local == "webMaster") add_person(c.authors_webmaster, parse_person(inner_content(child)));
    else if (local == "author") add_person(c.authors_core, parse_person(inner_content(child)));
    else if (local == "ttl") {
      if (auto ttl = parse_length(inner_content(child)); ttl && *ttl < 1'000'000)
        feed.ttl_minutes = static_cast<int>(*ttl);
    } else if (local == "image" && !feed.image) {
      read_rss_image(child, feed);
    }
  }

  // The channel's fields from the candidates its elements supplied.
  void finish_rss_channel(pugi::xml_node channel, Candidates& c, Feed& feed) const {
    feed.title = first_of({&c.title_core, &c.title_dc});
    feed.link = url(channel, first_of({&c.link_href, &c.link_core, &c.link_atom}));
    feed.description = first_of({&c.summary_core, &c.summary_dc, &c.summary_itunes});
    set_if_empty(feed.language, std::move(c.language_dc));
    feed.updated = first_of<FeedDate>({&c.updated_core, &c.updated_dc, &c.updated_dcterms, &c.updated_atom});
    feed.authors = first_of({&c.authors_editor, &c.authors_core, &c.authors_webmaster, &c.authors_dc_author,
                             &c.authors_dc_creator, &c.authors_itunes, &c.authors_atom});
    if (!feed.image) {
      std::string image = first_of({&c.image_itunes, &c.image_thumbnail, &c.image_media});
      if (image.empty()) image = url(channel, first_image_src(feed.description));
      if (!image.empty()) feed.image = FeedImage{std::move(image), {}};
    }
  }

  // <link>URL</link>, or the Atom-style <link href="URL"/> written without its
  // namespace; a rel="self" one of those is the feed's own URL, not its page.
  void read_rss_link(pugi::xml_node link, Candidates& c) const {
    std::string text = trimmed_text(link);
    if (!text.empty()) {
      set_if_empty(c.link_core, std::move(text));
      return;
    }
    const std::string_view rel = link.attribute("rel").value();
    if (rel.empty() || rel == "alternate")
      set_if_empty(c.link_href, std::string(trim_ascii(link.attribute("href").value())));
  }

  void read_atom_link_in_rss(pugi::xml_node link, Candidates& c) const {
    const std::string_view rel = link.attribute("rel").value();
    if (rel.empty() || rel == "alternate") set_if_empty(c.link_atom, std::string(trim_ascii(link.attribute("href").value())));
  }

  void read_media(pugi::xml_node media, Candidates& c) const {
    const std::string_view local = xname(media).local;
    if (local == "thumbnail") {
      set_if_empty(c.image_thumbnail, url(media, media.attribute("url").value()));
    } else if (local == "content") {
      if (is_image_media(media)) set_if_empty(c.image_media, url(media, media.attribute("url").value()));
      for (pugi::xml_node child : media.children())
        if (child.type() == pugi::node_element && xname(child).ns == Ns::media) read_media(child, c);
    } else if (local == "group") {
      for (pugi::xml_node child : media.children())
        if (child.type() == pugi::node_element && xname(child).ns == Ns::media) read_media(child, c);
    }
  }

  FeedItem read_rss_item(pugi::xml_node node) {
    FeedItem item;
    Candidates c;
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = xname(child);
      const std::string_view local = name.local;
      switch (name.ns) {
        case Ns::none:
        case Ns::rss:
          read_rss_item_core(child, local, item, c);
          break;
        case Ns::content:
          if (local == "encoded") set_if_empty(c.content_encoded, trimmed_text(child));
          break;
        case Ns::xhtml:
          if (local == "body" || local == "div") set_if_empty(c.content_xhtml, xhtml_markup(child));
          break;
        case Ns::dc:
          read_rss_item_dc(child, local, item, c);
          break;
        case Ns::dcterms:
          if ((local == "issued" || local == "created") && !c.published_dcterms)
            c.published_dcterms = make_feed_date(inner_content(child));
          else if (local == "modified" && !c.updated_dcterms)
            c.updated_dcterms = make_feed_date(inner_content(child));
          break;
        case Ns::atom10:
        case Ns::atom03:
          read_rss_item_atom(child, local, item, c);
          break;
        case Ns::itunes:
          read_rss_item_itunes(child, local, item, c);
          break;
        case Ns::media:
          if (local == "title") set_if_empty(c.title_media, rss_plain_text(child));
          else if (local == "category") add_unique(item.categories, normalize_whitespace(inner_content(child)));
          else read_media(child, c);
          break;
        default:
          break;
      }
    }
    finish_rss_item(node, c, item);
    return item;
  }

  // An element of RSS itself (or of no namespace) in an item.
  void read_rss_item_core(pugi::xml_node child, std::string_view local, FeedItem& item, Candidates& c) const {
    if (local == "title") set_if_empty(c.title_core, rss_plain_text(child));
    else if (local == "link") read_rss_link(child, c);
    else if (local == "description") set_if_empty(c.summary_core, trimmed_text(child));
    else if (local == "author") add_person(c.authors_core, parse_person(inner_content(child)));
    else if (local == "category") add_unique(item.categories, normalize_whitespace(inner_content(child)));
    else if (local == "comments") set_if_empty(item.comments, url(child, inner_content(child)));
    else if (local == "pubDate" && !c.published_core) c.published_core = make_feed_date(inner_content(child));
    else if (local == "guid" && item.guid.empty()) {
      item.guid = trimmed_text(child);
      const std::string_view permalink = trim_ascii(child.attribute("isPermaLink").value());
      item.guid_is_permalink = !item.guid.empty() && !iequals_ascii(permalink, "false");
    } else if (local == "enclosure") {
      read_enclosure(child, "url", item, c);
    }
  }

  // A Dublin Core element in an RSS item.
  static void read_rss_item_dc(pugi::xml_node child, std::string_view local, FeedItem& item, Candidates& c) {
    if (local == "title") set_if_empty(c.title_dc, rss_plain_text(child));
    else if (local == "description") set_if_empty(c.summary_dc, trimmed_text(child));
    else if (local == "creator") add_person(c.authors_dc_creator, parse_person(inner_content(child)));
    else if (local == "author") add_person(c.authors_dc_author, parse_person(inner_content(child)));
    else if (local == "subject") add_unique(item.categories, normalize_whitespace(inner_content(child)));
    else if (local == "language") set_if_empty(c.language_dc, trimmed_text(child));
    else if (local == "date" && !c.published_dc) {
      c.published_dc = make_feed_date(inner_content(child));
      c.updated_dc = c.published_dc;
    }
  }

  // An Atom element in an RSS item.
  void read_rss_item_atom(pugi::xml_node child, std::string_view local, FeedItem& item, Candidates& c) const {
    if (local == "link") {
      const std::string_view rel = child.attribute("rel").value();
      if (rel == "enclosure") read_enclosure(child, "href", item, c);
      else read_atom_link_in_rss(child, c);
    } else if (local == "author") {
      add_person(c.authors_atom, atom_person(child));
    } else if (local == "content") {
      set_if_empty(c.content_atom, atom_content(child));
    } else if (local == "summary") {
      set_if_empty(c.summary_atom, atom_content(child));
    } else if (local == "published" && !c.published_atom) {
      c.published_atom = make_feed_date(inner_content(child));
    } else if (local == "updated" && !c.updated_atom) {
      c.updated_atom = make_feed_date(inner_content(child));
    } else if (local == "category") {
      read_atom_category(child, item);
    }
  }

  // An iTunes podcast element in an RSS item.
  void read_rss_item_itunes(pugi::xml_node child, std::string_view local, FeedItem& item, Candidates& c) const {
    if (local == "summary") set_if_empty(c.summary_itunes, trimmed_text(child));
    else if (local == "author") add_person(c.authors_itunes, parse_person(inner_content(child)));
    else if (local == "image") set_if_empty(c.image_itunes, url(child, child.attribute("href").value()));
    else if (local == "keywords") add_keywords(item.categories, inner_content(child));
    else if (local == "category") read_itunes_category(child, item);
  }

  // The item's fields from the candidates its elements supplied.
  void finish_rss_item(pugi::xml_node node, Candidates& c, FeedItem& item) const {
    item.title = first_of({&c.title_core, &c.title_dc, &c.title_media});
    item.link = url(node, first_of({&c.link_href, &c.link_core, &c.link_atom}));
    if (item.link.empty() && item.guid_is_permalink &&
        (item.guid.starts_with("http://") || item.guid.starts_with("https://")))
      item.link = item.guid;
    item.summary = first_of({&c.summary_core, &c.summary_dc, &c.summary_itunes, &c.summary_atom});
    item.content = first_of({&c.content_encoded, &c.content_atom, &c.content_xhtml});
    item.published = first_of<FeedDate>({&c.published_core, &c.published_dc, &c.published_dcterms, &c.published_atom});
    item.updated = first_of<FeedDate>({&c.updated_atom, &c.updated_dcterms, &c.updated_dc});
    item.authors = first_of({&c.authors_core, &c.authors_dc_creator, &c.authors_dc_author, &c.authors_atom,
                             &c.authors_itunes});
    item.image = first_of({&c.image_thumbnail, &c.image_media, &c.image_itunes, &c.image_enclosure});
    if (item.image.empty()) item.image = url(node, first_image_src(item.content));
    if (item.image.empty()) item.image = url(node, first_image_src(item.summary));
    item.language = language_of(node);
    if (item.language.empty()) item.language = std::move(c.language_dc);
  }

  void read_enclosure(pugi::xml_node node, const char* url_attribute, FeedItem& item, Candidates& c) const {
    Enclosure enclosure;
    enclosure.url = url(node, node.attribute(url_attribute).value());
    if (enclosure.url.empty()) enclosure.url = url(node, inner_content(node));
    if (enclosure.url.empty()) return;
    enclosure.length = parse_length(node.attribute("length").value());
    enclosure.type = std::string(trim_ascii(node.attribute("type").value()));
    if (enclosure.type.starts_with("image/")) set_if_empty(c.image_enclosure, enclosure.url);
    item.enclosures.push_back(std::move(enclosure));
  }

  // The term is the category (RFC 4287 4.2.2); a label is only how to show
  // it, and the Feed model has no place for that.
  static void read_atom_category(pugi::xml_node node, FeedItem& item) {
    std::string term = normalize_whitespace(node.attribute("term").value());
    if (term.empty()) term = normalize_whitespace(inner_content(node));
    add_unique(item.categories, std::move(term));
  }

  // <itunes:category text="Technology"><itunes:category text="Gadgets"/>:
  // both levels (iTunes has two) are categories.
  static void read_itunes_category(pugi::xml_node node, FeedItem& item) {
    add_unique(item.categories, normalize_whitespace(node.attribute("text").value()));
    for (pugi::xml_node child : node.children())
      if (child.type() == pugi::node_element && local_name(child) == "category")
        add_unique(item.categories, normalize_whitespace(child.attribute("text").value()));
  }

  // ---- Atom 0.3 and 1.0 ---------------------------------------------------

  void read_atom(pugi::xml_node root, XName root_name, Feed& feed) {
    const bool atom03 = root_name.ns == Ns::atom03 || std::string_view(root.attribute("version").value()) == "0.3";
    feed.format = atom03 ? "atom0.3" : "atom1.0";
    feed.language = language_of(root);
    std::string logo, icon;
    std::optional<FeedDate> updated;
    for (pugi::xml_node child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = xname(child);
      if (name.ns != Ns::atom10 && name.ns != Ns::atom03 && name.ns != Ns::none) {
        if (name.ns == Ns::dc && name.local == "language") set_if_empty(feed.language, trimmed_text(child));
        continue;
      }
      const std::string_view local = name.local;
      if (local == "title") set_if_empty(feed.title, atom_plain_text(child));
      else if (local == "subtitle" || local == "tagline") set_if_empty(feed.description, atom_content(child));
      else if (local == "link") read_atom_feed_link(child, feed);
      else if ((local == "updated" || local == "modified") && !updated) updated = make_feed_date(inner_content(child));
      else if (local == "author") add_person(feed.authors, atom_person(child));
      else if (local == "logo") set_if_empty(logo, url(child, inner_content(child)));
      else if (local == "icon") set_if_empty(icon, url(child, inner_content(child)));
    }
    feed.updated = std::move(updated);
    std::string image = first_of({&logo, &icon});
    if (!image.empty()) feed.image = FeedImage{std::move(image), {}};
    for (pugi::xml_node child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = xname(child);
      if (name.local == "entry" && name.ns != Ns::other) feed.items.push_back(read_atom_entry(child, feed));
    }
  }

  void read_atom_feed_link(pugi::xml_node link, Feed& feed) const {
    const std::string_view rel = link.attribute("rel").value();
    if (!rel.empty() && rel != "alternate") return;
    // The first alternate wins unless a later one is the HTML page.
    const std::string_view type = link.attribute("type").value();
    if (feed.link.empty() || type == "text/html") {
      std::string href = url(link, link.attribute("href").value());
      if (!href.empty() && (feed.link.empty() || type == "text/html")) feed.link = std::move(href);
    }
  }

  FeedItem read_atom_entry(pugi::xml_node entry, const Feed& feed) {
    FeedItem item;
    Candidates c;
    AtomEntryCandidates own;
    for (pugi::xml_node child : entry.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = xname(child);
      const std::string_view local = name.local;
      if (name.ns == Ns::media) {
        read_media(child, c);
      } else if (name.ns == Ns::dc) {
        if (local == "creator") add_person(c.authors_dc_creator, parse_person(inner_content(child)));
        else if (local == "subject") add_unique(item.categories, normalize_whitespace(inner_content(child)));
      } else if (name.ns == Ns::atom10 || name.ns == Ns::atom03 || name.ns == Ns::none) {
        read_atom_entry_core(child, local, item, c, own);
      }
    }
    finish_atom_entry(entry, feed, c, own, item);
    return item;
  }

  // An element of Atom itself (or of no namespace) in an entry.
  void read_atom_entry_core(pugi::xml_node child, std::string_view local, FeedItem& item, Candidates& c,
                            AtomEntryCandidates& own) const {
    if (std::optional<FeedDate>* date = own.date_named(local)) {
      if (!*date) *date = make_feed_date(inner_content(child));
    } else if (local == "title") {
      set_if_empty(item.title, atom_plain_text(child));
    } else if (local == "link") {
      read_atom_entry_link(child, item, c, own);
    } else if (local == "id") {
      set_if_empty(item.guid, trimmed_text(child));
    } else if (local == "author") {
      add_person(c.authors_atom, atom_person(child));
    } else if (local == "summary") {
      set_if_empty(c.summary_atom, atom_content(child));
    } else if (local == "content") {
      set_if_empty(c.content_atom, atom_content(child));
    } else if (local == "category") {
      read_atom_category(child, item);
    }
  }

  // An entry's <link>: an alternate page, an enclosure, or its comments.
  void read_atom_entry_link(pugi::xml_node link, FeedItem& item, Candidates& c, AtomEntryCandidates& own) const {
    const std::string_view rel = link.attribute("rel").value();
    const std::string_view type = link.attribute("type").value();
    if (rel.empty() || rel == "alternate") {
      std::string href = url(link, link.attribute("href").value());
      if (type == "text/html") set_if_empty(own.link_html, href);
      set_if_empty(c.link_core, std::move(href));
    } else if (rel == "enclosure") {
      read_enclosure(link, "href", item, c);
    } else if (rel == "replies" && (type.empty() || type == "text/html")) {
      set_if_empty(item.comments, url(link, link.attribute("href").value()));
    }
  }

  // The entry's fields from the candidates its elements supplied.
  void finish_atom_entry(pugi::xml_node entry, const Feed& feed, Candidates& c, AtomEntryCandidates& own,
                         FeedItem& item) const {
    item.link = first_of({&own.link_html, &c.link_core});
    item.published = first_of<FeedDate>({&own.published, &own.issued, &own.created});
    item.updated = first_of<FeedDate>({&own.updated, &own.modified});
    item.summary = std::move(c.summary_atom);
    item.content = std::move(c.content_atom);
    item.authors = first_of({&c.authors_atom, &c.authors_dc_creator});
    // RFC 4287 4.2.1: an entry without an author has the feed's.
    if (item.authors.empty()) item.authors = feed.authors;
    item.image = first_of({&c.image_thumbnail, &c.image_media, &c.image_enclosure});
    if (item.image.empty()) item.image = url(entry, first_image_src(item.content));
    if (item.image.empty()) item.image = url(entry, first_image_src(item.summary));
    item.language = language_of(entry);
  }

  XName xname(pugi::xml_node node) const { return names_(node); }

  std::string document_base_;
  mutable NameResolver names_;
};

}  // namespace

FeedResult read_xml_feed(std::string utf8_document, const FeedSource& source, std::string notes) {
  pugi::xml_document document;
  XmlRecovery recovery = parse_recovered_xml(std::move(utf8_document), document);
  if (!recovery.notes.empty()) notes.append(notes.empty() ? "" : "; ").append(recovery.notes);
  pugi::xml_node root = document.document_element();
  if (!root) {
    FeedResult result;
    result.error = recovery.has_markup ? FeedError::unreadable : FeedError::not_a_feed;
    result.detail = std::move(recovery.failure);
    return result;
  }
  if (iequals_ascii(root.name(), "html")) {
    FeedResult result;
    result.error = FeedError::not_a_feed;
    result.detail = "an HTML page, not a feed";
    return result;
  }
  return XmlFeedReader(source).read(root, std::move(notes));
}

}  // namespace newsd::parsers
