#pragma once
// What an HTML element is to the text a reader sees: a paragraph of its own
// (block), a table cell, or something that never holds readable text. The
// one table the page extractor and the feed-fragment text share. (How the
// tree builder parses an element is a different question, answered by its
// own table in html_tree_builder.cpp.) Names in lower case.
#include <string_view>

namespace newsd::parsers {

// True for elements that never hold readable text (script, style, svg,
// button, form controls, media, head, title, ...).
bool is_non_content_element(std::string_view name);

// True for elements that start a new paragraph in rendered text (p, div,
// li, h1-h6, br, blockquote, tr, ...). Table cells are blocks too (they
// hold paragraphs), but see is_table_cell().
bool is_block_element(std::string_view name);

// True for td and th: within a row, cells read as words apart ("Name
// Value"), not as paragraphs; the row ends the paragraph.
bool is_table_cell(std::string_view name);

}  // namespace newsd::parsers
