// parse_sitemap(): gunzip when the body is gzip, bytes to UTF-8 like a feed,
// the XML recovery of feeds, then a walk of urlset/url or sitemapindex/sitemap.
#include "parsers/feeds/sitemap_reader.hpp"

// zlib's next_in as a pointer to const, so the body needs no const_cast.
#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <pugixml.hpp>

#include "parsers/feeds/document_decoder.hpp"
#include "parsers/feeds/feed_text.hpp"
#include "parsers/feeds/xml_recovery.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/identity/article_identity.hpp"
#include "parsers/identity/relative_url.hpp"
#include "parsers/text/ascii.hpp"

namespace newsd::parsers {
namespace {

// The vocabularies a sitemap mixes; anything else (xhtml:link alternates,
// video:) is ignored.
enum class Ns { sitemap, news, image, other };

struct NamespaceUri {
  std::string_view uri;
  Ns ns;
};
constexpr std::array<NamespaceUri, 8> kNamespaceUris{{
    {"http://www.sitemaps.org/schemas/sitemap/0.9", Ns::sitemap},
    {"https://www.sitemaps.org/schemas/sitemap/0.9", Ns::sitemap},
    {"http://www.google.com/schemas/sitemap/0.9", Ns::sitemap},
    {"http://www.google.com/schemas/sitemap/0.84", Ns::sitemap},
    {"http://www.google.com/schemas/sitemap-news/0.9", Ns::news},
    {"https://www.google.com/schemas/sitemap-news/0.9", Ns::news},
    {"http://www.google.com/schemas/sitemap-image/1.1", Ns::image},
    {"https://www.google.com/schemas/sitemap-image/1.1", Ns::image},
}};

// Compared ignoring ASCII case and a trailing slash, both of which sites get wrong.
std::optional<Ns> ns_of_uri(std::string_view uri) {
  uri = trim_ascii(uri);
  if (uri.ends_with('/')) uri.remove_suffix(1);
  for (const auto& entry : kNamespaceUris)
    if (iequals_ascii(entry.uri, uri)) return entry.ns;
  return std::nullopt;
}

// The namespace URI `prefix` (empty: the default namespace) is bound to at `node`.
const char* lookup_namespace(pugi::xml_node node, std::string_view prefix) {
  const std::string attribute = prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix);
  for (; node; node = node.parent())
    if (pugi::xml_attribute bound = node.attribute(attribute.c_str())) return bound.value();
  return nullptr;
}

struct XName {
  Ns ns;
  std::string_view local;
};

// Element names as (vocabulary, local name). An element without a namespace,
// or in the root's namespace when that is one nobody knows (a misspelt
// sitemaps.org URI), is in the sitemap vocabulary. Undeclared `news:` and
// `image:` prefixes are read as Google's.
class NameResolver {
 public:
  explicit NameResolver(pugi::xml_node root) {
    if (const char* uri = lookup_namespace(root, prefix_of(root.name())); uri && !ns_of_uri(uri)) root_uri_ = uri;
  }

  XName operator()(pugi::xml_node node) const {
    const std::string_view qname = node.name();
    const std::string_view prefix = prefix_of(qname);
    const std::string_view local = prefix.empty() ? qname : qname.substr(prefix.size() + 1);
    const char* uri = lookup_namespace(node, prefix);
    if (uri == nullptr) {
      if (prefix.empty()) return {Ns::sitemap, local};
      if (prefix == "news") return {Ns::news, local};
      if (prefix == "image") return {Ns::image, local};
      return {Ns::other, local};
    }
    if (*uri == '\0' || (!root_uri_.empty() && root_uri_ == uri)) return {Ns::sitemap, local};
    return {ns_of_uri(uri).value_or(Ns::other), local};
  }

 private:
  static std::string_view prefix_of(std::string_view qname) {
    const std::size_t colon = qname.find(':');
    return colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
  }

  std::string_view root_uri_;
};

// The text and CDATA children of an element, trimmed.
std::string text_of(pugi::xml_node node) {
  std::string out;
  for (pugi::xml_node child : node.children())
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) out.append(child.value());
  return std::string(trim_ascii(repair_c1_controls(std::move(out))));
}

// News titles are plain text, but some sites escape their HTML twice
// ("&amp;quot;"): those are read as HTML.
std::string plain_text_of(pugi::xml_node node) {
  const std::string text = text_of(node);
  return text.find_first_of("&<") != std::string::npos ? html_fragment_to_text(text) : normalize_whitespace(text);
}

void add_keywords(std::vector<std::string>& list, std::string_view keywords) {
  while (!keywords.empty()) {
    const std::size_t comma = keywords.find(',');
    std::string keyword = normalize_whitespace(keywords.substr(0, comma));
    if (!keyword.empty() && std::find(list.begin(), list.end(), keyword) == list.end())
      list.push_back(std::move(keyword));
    if (comma == std::string_view::npos) break;
    keywords.remove_prefix(comma + 1);
  }
}

void add_note(std::string& notes, std::string_view note) {
  if (note.empty()) return;
  if (!notes.empty()) notes.append("; ");
  notes.append(note);
}

SitemapResult failure(SitemapError error, std::string detail) {
  SitemapResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

struct Gunzipped {
  std::string bytes;
  std::optional<SitemapError> error;
  std::string note;  // for Sitemap::malformed, or the error's detail
};

// Inflates a gzip body (concatenated members included) up to kMaxSitemapBytes.
// A stream cut short keeps what it inflated to: the XML recovery then reads
// what the truncated document holds.
Gunzipped gunzip(std::string_view compressed) {
  Gunzipped out;
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) {
    out.error = SitemapError::unreadable;
    out.note = "gzip: cannot initialise zlib";
    return out;
  }
  stream.next_in = reinterpret_cast<const Bytef*>(compressed.data());
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::array<char, 64 * 1024> chunk;
  int rc = Z_OK;
  while (true) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    out.bytes.append(chunk.data(), chunk.size() - stream.avail_out);
    if (out.bytes.size() > kMaxSitemapBytes) {
      out.error = SitemapError::too_large;
      out.note = "inflates to more than " + std::to_string(kMaxSitemapBytes) + " bytes (the sitemap limit)";
      break;
    }
    if (rc == Z_STREAM_END) {
      // Another member follows: gzip allows concatenation.
      if (stream.avail_in >= 2 && stream.next_in[0] == 0x1f && stream.next_in[1] == 0x8b &&
          inflateReset(&stream) == Z_OK)
        continue;
      if (stream.avail_in > 0) out.note = "bytes after the gzip stream ignored";
      break;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && stream.avail_in == 0) {
      out.note = "gzip stream truncated";
      break;
    }
    // Corrupt data: what was inflated before it is kept, as for truncation.
    out.note = std::string("gzip stream corrupt (") + (stream.msg != nullptr ? stream.msg : "unknown") + ")";
    break;
  }
  inflateEnd(&stream);
  if (!out.error && out.bytes.empty()) {
    out.error = SitemapError::unreadable;
    if (out.note.empty()) out.note = "gzip stream holds nothing";
  }
  return out;
}

class SitemapReader {
 public:
  SitemapReader(pugi::xml_node root, const FeedSource& source)
      : names_(root), base_(source.url.empty() ? source.content_location : source.url) {}

  void read_urlset(pugi::xml_node root, Sitemap& sitemap) const {
    sitemap.kind = Sitemap::Kind::urlset;
    std::size_t seen = 0;
    for (pugi::xml_node child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = names_(child);
      if (name.ns != Ns::sitemap || name.local != "url") continue;
      if (++seen > kMaxSitemapUrls) {
        ++sitemap.over_cap;
        continue;
      }
      if (auto entry = read_url(child)) sitemap.entries.push_back(std::move(*entry));
      else ++sitemap.dropped;
    }
  }

  void read_index(pugi::xml_node root, Sitemap& sitemap) const {
    sitemap.kind = Sitemap::Kind::index;
    std::size_t seen = 0;
    for (pugi::xml_node child : root.children()) {
      if (child.type() != pugi::node_element) continue;
      const XName name = names_(child);
      if (name.ns != Ns::sitemap || name.local != "sitemap") continue;
      if (++seen > kMaxSitemapUrls) {
        ++sitemap.over_cap;
        continue;
      }
      SitemapChild entry;
      for (pugi::xml_node field : child.children()) {
        if (field.type() != pugi::node_element) continue;
        const XName field_name = names_(field);
        if (field_name.ns != Ns::sitemap) continue;
        if (field_name.local == "loc" && entry.loc.empty()) entry.loc = web_url(text_of(field));
        else if (field_name.local == "lastmod" && !entry.lastmod) entry.lastmod = make_feed_date(text_of(field));
      }
      if (entry.loc.empty()) ++sitemap.dropped;
      else sitemap.children.push_back(std::move(entry));
    }
  }

 private:
  std::optional<SitemapEntry> read_url(pugi::xml_node url) const {
    SitemapEntry entry;
    for (pugi::xml_node field : url.children()) {
      if (field.type() != pugi::node_element) continue;
      const XName name = names_(field);
      if (name.ns == Ns::sitemap) {
        if (name.local == "loc" && entry.loc.empty()) entry.loc = web_url(text_of(field));
        else if (name.local == "lastmod" && !entry.lastmod) entry.lastmod = make_feed_date(text_of(field));
      } else if (name.ns == Ns::news && name.local == "news") {
        read_news(field, entry);
      } else if (name.ns == Ns::image && name.local == "image" && entry.image.empty()) {
        for (pugi::xml_node image_field : field.children())
          if (image_field.type() == pugi::node_element && names_(image_field).local == "loc")
            entry.image = web_url(text_of(image_field));
      }
    }
    if (entry.loc.empty()) return std::nullopt;
    return entry;
  }

  void read_news(pugi::xml_node news, SitemapEntry& entry) const {
    for (pugi::xml_node field : news.children()) {
      if (field.type() != pugi::node_element) continue;
      const XName name = names_(field);
      if (name.ns != Ns::news) continue;
      if (name.local == "title" && entry.title.empty()) {
        entry.title = plain_text_of(field);
      } else if (name.local == "publication_date" && !entry.publication_date) {
        entry.publication_date = make_feed_date(text_of(field));
      } else if (name.local == "keywords") {
        add_keywords(entry.keywords, text_of(field));
      } else if (name.local == "publication") {
        for (pugi::xml_node publication : field.children()) {
          if (publication.type() != pugi::node_element) continue;
          const XName publication_name = names_(publication);
          if (publication_name.ns != Ns::news) continue;
          if (publication_name.local == "name" && entry.publication_name.empty()) {
            entry.publication_name = plain_text_of(publication);
          } else if (publication_name.local == "language" && entry.language.empty()) {
            entry.language = text_of(publication);
            std::replace(entry.language.begin(), entry.language.end(), '_', '-');
          }
        }
      }
    }
  }

  // The loc as an absolute web URL, or empty when it names none. The protocol
  // wants absolute URLs; a relative one is read against the sitemap's URL, as
  // a browser would.
  std::string web_url(std::string_view loc) const {
    std::string url = has_url_scheme(loc) || base_.empty() ? std::string(loc) : resolve_relative_url(base_, loc);
    if (!is_web_url(url)) return {};
    return url;
  }

  NameResolver names_;
  std::string base_;
};

}  // namespace

std::string_view to_string(SitemapError error) {
  switch (error) {
    case SitemapError::empty:
      return "empty";
    case SitemapError::not_a_sitemap:
      return "not_a_sitemap";
    case SitemapError::unreadable:
      return "unreadable";
    case SitemapError::too_large:
      return "too_large";
  }
  return "unknown";
}

SitemapResult parse_sitemap(std::string_view bytes, const FeedSource& source) {
  if (trim_ascii(bytes).empty()) return failure(SitemapError::empty, "no bytes");
  if (bytes.size() > kMaxSitemapBytes)
    return failure(SitemapError::too_large, std::to_string(bytes.size()) + " bytes, over the sitemap limit of " +
                                                std::to_string(kMaxSitemapBytes));
  std::string notes;
  Gunzipped gunzipped;
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    gunzipped = gunzip(bytes);
    if (gunzipped.error) return failure(*gunzipped.error, "gzip body: " + gunzipped.note);
    add_note(notes, gunzipped.note);
    bytes = gunzipped.bytes;
  }

  DecodedDocument decoded = decode_document(bytes, source);
  add_note(notes, decoded.notes);
  if (trim_ascii(decoded.text).empty()) return failure(SitemapError::empty, "no text after decoding");
  pugi::xml_document document;
  XmlRecovery recovery = parse_recovered_xml(std::move(decoded.text), document);
  add_note(notes, recovery.notes);
  const pugi::xml_node root = document.document_element();
  if (!root)
    return failure(recovery.has_markup ? SitemapError::unreadable : SitemapError::not_a_sitemap, recovery.failure);

  SitemapReader reader(root, source);
  const XName root_name = NameResolver(root)(root);
  Sitemap sitemap;
  if (root_name.ns == Ns::sitemap && root_name.local == "urlset") {
    reader.read_urlset(root, sitemap);
  } else if (root_name.ns == Ns::sitemap && root_name.local == "sitemapindex") {
    reader.read_index(root, sitemap);
  } else if (iequals_ascii(root.name(), "html")) {
    return failure(SitemapError::not_a_sitemap, "an HTML page, not a sitemap");
  } else if (root_name.local == "rss" || root_name.local == "feed" || root_name.local == "RDF") {
    return failure(SitemapError::not_a_sitemap,
                   "root element <" + std::string(root.name()) + "> is a feed, not a sitemap (kind = \"feed\")");
  } else {
    return failure(SitemapError::not_a_sitemap, "root element <" + std::string(root.name()) + "> is not a sitemap");
  }
  sitemap.malformed = std::move(notes);
  SitemapResult result;
  result.sitemap = std::move(sitemap);
  return result;
}

FeedItem sitemap_entry_as_item(const SitemapEntry& entry) {
  FeedItem item;
  item.link = entry.loc;
  item.title = entry.title;
  item.published = entry.publication_date;
  item.updated = entry.lastmod;
  item.language = entry.language;
  item.categories = entry.keywords;
  item.image = entry.image;
  return item;
}

Feed sitemap_as_feed(const Sitemap& sitemap) {
  Feed feed;
  feed.format = "sitemap";
  feed.malformed = sitemap.malformed;
  feed.items.reserve(sitemap.entries.size());
  for (const SitemapEntry& entry : sitemap.entries) {
    if (feed.title.empty()) feed.title = entry.publication_name;
    if (feed.language.empty()) feed.language = entry.language;
    feed.items.push_back(sitemap_entry_as_item(entry));
  }
  return feed;
}

}  // namespace newsd::parsers
