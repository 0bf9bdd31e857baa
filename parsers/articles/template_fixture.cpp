#include "parsers/articles/template_fixture.hpp"

namespace newsd::parsers {

PageInput template_fixture_page(std::string_view html, std::string url) {
  PageInput page;
  page.bytes = html;
  page.url = std::move(url);
  page.fetched_at = kTemplateFixtureFetchedAt;
  return page;
}

boost::json::object template_fixture_fields(const Article& article) {
  boost::json::object record = article_record(article);
  boost::json::object fields;
  for (std::string_view field : kTemplateFixtureFields)
    if (const boost::json::value* value = record.if_contains(field)) fields[field] = *value;
  return fields;
}

}  // namespace newsd::parsers
