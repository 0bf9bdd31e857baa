// libFuzzer target for the native HTML tree builder: any bytes, with small
// depth and node bounds so that flattening and truncation are reached, must
// give a document with <html>, <head> and <body>, within the bounds — never a
// crash, a hang or unbounded memory.
//
// Build and run (see article_extractor_fuzz.cpp for the set-up):
//   cmake --build build-fuzz --target html_tree_builder_fuzz
//   build-fuzz/fuzz/html_tree_builder_fuzz -max_len=65536 -timeout=10 -max_total_time=300 build-fuzz/page-corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "parsers/html/html_document.hpp"

namespace {

// Element nesting of the DOM, counted without recursion.
std::size_t depth_of(pugi::xml_node root) {
  std::size_t deepest = 0;
  std::vector<std::pair<pugi::xml_node, std::size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling())
      if (child.type() == pugi::node_element) stack.emplace_back(child, depth + 1);
  }
  return deepest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd::parsers;
  if (size == 0) return 0;
  // The first byte picks the bounds.
  const std::uint8_t selector = data[0];
  HtmlOptions options;
  options.parser = HtmlParser::native;
  options.max_depth = 3 + (selector & 15);
  options.max_nodes = (selector & 16) ? 64 : 1'000'000;
  const std::string_view markup(reinterpret_cast<const char*>(data + 1), size - 1);
  auto result = parse_html_utf8(markup, options);
  if (!result.document) std::abort();
  const HtmlDocument& document = *result.document;
  pugi::xml_node html = document.dom.document_element();
  if (std::string_view(html.name()) != "html" || !html.child("head") || !html.child("body")) std::abort();
  if (document.node_count > options.max_nodes) std::abort();
  // html, head and body exist whatever max_depth says; below them the bound holds.
  if (depth_of(document.dom) > std::max<std::size_t>(options.max_depth, 3)) std::abort();
  return 0;
}
