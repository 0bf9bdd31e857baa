#include "parsers/feeds/json_feed_reader.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

#include "parsers/feeds/feed_text.hpp"
#include "parsers/html/html_text.hpp"
#include "parsers/identity/relative_url.hpp"

namespace newsd::parsers {
namespace {

namespace json = boost::json;

std::string_view string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (!value || !value->is_string()) return {};
  const json::string& s = value->get_string();
  return {s.data(), s.size()};
}

// JSON Feed ids are strings, but numbers are common in the wild.
std::string id_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (!value) return {};
  if (value->is_string()) return std::string(trim_ascii(string_at(object, key)));
  if (value->is_int64()) return std::to_string(value->get_int64());
  if (value->is_uint64()) return std::to_string(value->get_uint64());
  return {};
}

std::vector<Person> authors_at(const json::object& object) {
  std::vector<Person> people;
  auto add = [&](const json::value& value) {
    if (!value.is_object()) return;
    Person person;
    person.name = normalize_whitespace(string_at(value.get_object(), "name"));
    if (!person.name.empty()) people.push_back(std::move(person));
  };
  // 1.1 has "authors"; 1.0 had a single "author".
  if (const json::value* authors = object.if_contains("authors"); authors && authors->is_array())
    for (const json::value& author : authors->get_array()) add(author);
  if (people.empty())
    if (const json::value* author = object.if_contains("author")) add(*author);
  return people;
}

std::optional<FeedDate> date_at(const json::object& object, std::string_view key) {
  const std::string_view raw = string_at(object, key);
  if (trim_ascii(raw).empty()) return std::nullopt;
  return make_feed_date(raw);
}

class JsonFeedReader {
 public:
  explicit JsonFeedReader(const FeedSource& source)
      : base_(source.url.empty() ? source.content_location : source.url) {}

  Feed read(const json::object& root, std::string_view version) const {
    Feed feed;
    feed.format = version.ends_with("1.1") ? "json1.1" : "json1.0";
    feed.title = normalize_whitespace(string_at(root, "title"));
    feed.link = url(string_at(root, "home_page_url"));
    feed.description = std::string(trim_ascii(string_at(root, "description")));
    feed.language = std::string(trim_ascii(string_at(root, "language")));
    feed.authors = authors_at(root);
    std::string icon = url(string_at(root, "icon"));
    if (icon.empty()) icon = url(string_at(root, "favicon"));
    if (!icon.empty()) feed.image = FeedImage{std::move(icon), {}};
    if (const json::value* items = root.if_contains("items"); items && items->is_array()) {
      for (const json::value& item : items->get_array())
        if (item.is_object()) feed.items.push_back(read_item(item.get_object(), feed.authors));
    }
    return feed;
  }

 private:
  std::string url(std::string_view value) const {
    value = trim_ascii(value);
    if (value.empty() || has_url_scheme(value)) return std::string(value);
    return resolve_relative_url(base_, value);
  }

  FeedItem read_item(const json::object& object, const std::vector<Person>& feed_authors) const {
    FeedItem item;
    item.guid = id_at(object, "id");
    item.link = url(string_at(object, "url"));
    if (item.link.empty()) item.link = url(string_at(object, "external_url"));
    item.title = normalize_whitespace(string_at(object, "title"));
    item.summary = std::string(trim_ascii(string_at(object, "summary")));
    item.content = std::string(trim_ascii(string_at(object, "content_html")));
    if (item.content.empty()) item.content = std::string(trim_ascii(string_at(object, "content_text")));
    item.published = date_at(object, "date_published");
    item.updated = date_at(object, "date_modified");
    item.authors = authors_at(object);
    // The spec: an item without authors has the feed's.
    if (item.authors.empty()) item.authors = feed_authors;
    item.image = url(string_at(object, "image"));
    if (item.image.empty()) item.image = url(string_at(object, "banner_image"));
    item.language = std::string(trim_ascii(string_at(object, "language")));
    if (const json::value* tags = object.if_contains("tags"); tags && tags->is_array()) {
      for (const json::value& tag : tags->get_array()) {
        if (!tag.is_string()) continue;
        std::string text = normalize_whitespace(std::string_view(tag.get_string().data(), tag.get_string().size()));
        if (!text.empty() && std::find(item.categories.begin(), item.categories.end(), text) == item.categories.end())
          item.categories.push_back(std::move(text));
      }
    }
    if (const json::value* attachments = object.if_contains("attachments"); attachments && attachments->is_array()) {
      for (const json::value& attachment : attachments->get_array()) {
        if (!attachment.is_object()) continue;
        const json::object& a = attachment.get_object();
        Enclosure enclosure;
        enclosure.url = url(string_at(a, "url"));
        if (enclosure.url.empty()) continue;
        enclosure.type = std::string(trim_ascii(string_at(a, "mime_type")));
        if (const json::value* size = a.if_contains("size_in_bytes")) {
          if (size->is_int64() && size->get_int64() >= 0) enclosure.length = size->get_int64();
          else if (size->is_double() && size->get_double() >= 0 && size->get_double() < 9e18)
            enclosure.length = static_cast<std::int64_t>(size->get_double());
        }
        item.enclosures.push_back(std::move(enclosure));
      }
    }
    return item;
  }

  std::string base_;
};

}  // namespace

FeedResult read_json_feed(std::string_view utf8_document, const FeedSource& source) {
  FeedResult result;
  json::parse_options options;
  options.max_depth = 64;
  options.allow_invalid_utf8 = true;  // the caller already sanitised; be lenient, not strict
  boost::system::error_code error;
  const json::value value = json::parse(utf8_document, error, {}, options);
  if (error) {
    result.error = FeedError::unreadable;
    result.detail = "not valid JSON: " + error.message();
    return result;
  }
  if (!value.is_object()) {
    result.error = FeedError::not_a_feed;
    result.detail = "JSON that is not an object";
    return result;
  }
  const json::object& root = value.get_object();
  const std::string_view version = string_at(root, "version");
  const json::value* items = root.if_contains("items");
  // Versions are "https://jsonfeed.org/version/1.1" by the spec, "1.1" in the wild.
  if (version.empty() && !(items && items->is_array())) {
    result.error = FeedError::not_a_feed;
    result.detail = "JSON without a JSON Feed version or items";
    return result;
  }
  result.feed = JsonFeedReader(source).read(root, version);
  return result;
}

}  // namespace newsd::parsers
