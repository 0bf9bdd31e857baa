// feed_record(): the Feed as the JSON feed record of docs/design.md. Absent values
// are omitted, never invented; a date that did not parse keeps its raw text
// under "<field>_raw" so a consumer can see what the feed said.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "parsers/feeds/feed.hpp"

namespace newsd::parsers {
namespace {

namespace json = boost::json;

void put_string(json::object& object, std::string_view key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

void put_date(json::object& object, std::string_view key, const std::optional<FeedDate>& date) {
  if (!date) return;
  if (date->value) {
    object[key] = format_rfc3339(*date->value);
  } else if (!date->raw.empty()) {
    object[key] = nullptr;
    object[std::string(key) + "_raw"] = date->raw;
  }
}

json::array people(const std::vector<Person>& persons) {
  json::array out;
  for (const Person& person : persons) {
    json::object p;
    p["name"] = person.name.empty() ? json::value(nullptr) : json::value(person.name);
    p["email"] = person.email.empty() ? json::value(nullptr) : json::value(person.email);
    out.push_back(std::move(p));
  }
  return out;
}

json::object item_record(const FeedItem& item) {
  json::object out;
  put_string(out, "title", item.title);
  put_string(out, "link", item.link);
  if (!item.guid.empty()) {
    out["guid"] = item.guid;
    out["guid_is_permalink"] = item.guid_is_permalink;
  }
  put_date(out, "published", item.published);
  put_date(out, "updated", item.updated);
  if (!item.authors.empty()) out["authors"] = people(item.authors);
  put_string(out, "summary", item.summary);
  put_string(out, "content", item.content);
  if (!item.categories.empty()) {
    json::array categories;
    for (const std::string& category : item.categories) categories.push_back(json::value(category));
    out["categories"] = std::move(categories);
  }
  if (!item.enclosures.empty()) {
    json::array enclosures;
    for (const Enclosure& enclosure : item.enclosures) {
      json::object e;
      e["url"] = enclosure.url;
      e["length"] = enclosure.length ? json::value(*enclosure.length) : json::value(nullptr);
      e["type"] = enclosure.type.empty() ? json::value(nullptr) : json::value(enclosure.type);
      enclosures.push_back(std::move(e));
    }
    out["enclosures"] = std::move(enclosures);
  }
  put_string(out, "comments", item.comments);
  put_string(out, "image", item.image);
  put_string(out, "language", item.language);
  return out;
}

}  // namespace

json::object feed_record(const Feed& feed) {
  json::object out;
  out["format"] = feed.format;
  put_string(out, "title", feed.title);
  put_string(out, "link", feed.link);
  put_string(out, "description", feed.description);
  put_string(out, "language", feed.language);
  put_date(out, "updated", feed.updated);
  if (feed.image) {
    json::object image;
    image["url"] = feed.image->url;
    if (!feed.image->title.empty()) image["title"] = feed.image->title;
    out["image"] = std::move(image);
  }
  if (!feed.authors.empty()) out["authors"] = people(feed.authors);
  if (feed.ttl_minutes) out["ttl_minutes"] = *feed.ttl_minutes;
  out["malformed"] = feed.malformed.empty() ? json::value(nullptr) : json::value(feed.malformed);
  json::array items;
  items.reserve(feed.items.size());
  for (const FeedItem& item : feed.items) items.push_back(item_record(item));
  out["items"] = std::move(items);
  return out;
}

}  // namespace newsd::parsers
