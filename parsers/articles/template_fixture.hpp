#pragma once
// A site template's fixture case, as templates/README.md lays it out: a saved
// page (templates/tests/<template>/<case>.html), optionally the URL it was
// fetched from (<case>.url), and the record fields extracting it must yield
// (<case>.expected.json). Shared by the data-driven test
// (tests/parsers/articles/template_fixtures_test.cpp) and
// `newsd extract --fixture`, which writes an expected file, so the two cannot
// disagree about what a case states or how its page is read. Pure.
#include <array>
#include <chrono>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "parsers/articles/article.hpp"
#include "parsers/articles/article_extractor.hpp"

namespace newsd::parsers {

// The record fields a case states, every one of them: what the page and its
// template decide. Left out: what the pipeline sets (source, feed,
// fetched_at, version, duplicate_of, body_truncated), the constant schema,
// and what other code derives from stated fields (id from url, content_hash
// from body).
inline constexpr std::array<std::string_view, 14> kTemplateFixtureFields{
    "url",     "title",       "body",        "summary",  "authors", "published_at", "updated_at",
    "language", "section",    "breadcrumbs", "tags",     "image",   "site_name",    "extraction"};

// The instant every fixture page is read as fetched at, so that relative
// dates ("منذ ساعتين") give the same record on every run.
inline constexpr TimePoint kTemplateFixtureFetchedAt{std::chrono::sys_days{std::chrono::year{2021} / 5 / 21}};

// A case's page as the pipeline hands a fetched page to extract_article():
// `url` is where it was fetched from (may be empty), and the page's
// canonical link still wins over it.
PageInput template_fixture_page(std::string_view html, std::string url);

// The article's record, kTemplateFixtureFields only: an expected file.
boost::json::object template_fixture_fields(const Article& article);

}  // namespace newsd::parsers
