// libFuzzer target for page extraction: any bytes, claimed as any content
// type, through any of the HTML parsers, with and without a site template, must
// give an article or a typed error — never a crash, a hang or unbounded
// memory — and the record must serialise.
//
// Build and run (clang needed: apt-get install -y clang libclang-rt-14-dev):
//   CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DNEWSD_FUZZ=ON
//   cmake --build build-fuzz --target article_extractor_fuzz
//   mkdir -p build-fuzz/page-corpus && cp templates/tests/*/*.html build-fuzz/page-corpus/
//   build-fuzz/fuzz/article_extractor_fuzz -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
//     -max_total_time=300 build-fuzz/page-corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "parsers/articles/article_extractor.hpp"
#include "parsers/articles/page_date.hpp"

namespace {

constexpr std::string_view kTemplate = R"(
name = "fuzz"
hosts = ["fuzz.example"]
detect = "//body[@id='tie-body']"
[select]
title = ["h1.post-title", "//title"]
body = [".entry-content", "//article"]
authors = ".author-name"
published = ["//meta[@property='article:published_time']/@content", "span.date"]
breadcrumbs = "#breadcrumb a, #breadcrumb .current"
tags = "a[rel~=tag]"
image = "img"
drop = [".stream-item", "//*[contains(@class,'share')]"]
)";

const newsd::parsers::SiteTemplateSet& templates() {
  static const newsd::parsers::SiteTemplateSet set = [] {
    newsd::parsers::SiteTemplateSet s;
    auto parsed = newsd::parsers::parse_site_template(kTemplate, "fuzz.toml");
    if (parsed.site_template) s.add(std::move(*parsed.site_template));
    return s;
  }();
  return set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd::parsers;
  if (size == 0) return 0;
  // The first byte picks the parser (bits 3 and 5), the claimed content type and whether a template applies.
  static constexpr std::string_view kContentTypes[] = {"", "text/html; charset=windows-1256", "text/html; charset=utf-16",
                                                        "text/html; charset=iso-8859-6"};
  const std::uint8_t selector = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  PageInput page;
  page.bytes = bytes;
  page.content_type = std::string(kContentTypes[selector & 3]);
  page.url = (selector & 4) ? "https://fuzz.example/a/1" : "https://other.example/x";
  page.fetched_at = std::chrono::sys_days(std::chrono::year{2024} / 1 / 1);
  ExtractOptions options;
  options.html.parser = (selector & 8) ? HtmlParser::gumbo : (selector & 32) ? HtmlParser::libxml2 : HtmlParser::native;
  options.html.max_bytes = 1u << 20;
  options.templates = (selector & 16) ? &templates() : nullptr;
  auto result = extract_article(page, options);
  if (result.article) (void)boost::json::serialize(article_record(*result.article));
  // Visible dates come from page text; any of it must parse or be refused.
  (void)parse_page_date(bytes.substr(0, 200), {page.fetched_at, std::chrono::minutes(120)});
  return 0;
}
