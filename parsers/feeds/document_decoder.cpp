// decode_document(): the charset rules of RFC 7303 for XML, plus the
// mistakes feeds make (stale labels, wide names on narrow bytes, no label).
#include "parsers/feeds/document_decoder.hpp"

#include <uchardet/uchardet.h>

#include <memory>

#include "parsers/text/ascii.hpp"
#include "parsers/feeds/feed_text.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

struct UchardetDeleter {
  void operator()(uchardet* detector) const { uchardet_delete(detector); }
};

// RFC 7303: for XML media types the HTTP charset is authoritative.
bool is_xml_media_type(std::string_view content_type) {
  const std::string type = lower_ascii(trim_ascii(content_type.substr(0, content_type.find(';'))));
  return type == "text/xml" || type == "application/xml" || type.ends_with("+xml");
}

// The encoding="..." of an XML declaration at the start of an ASCII-compatible document.
std::string declared_encoding(std::string_view bytes) {
  std::size_t start = 0;
  while (start < bytes.size() && start < 1024 && bytes[start] != '<') ++start;
  const std::string_view head = bytes.substr(start, 256);
  if (!head.starts_with("<?xml")) return {};
  const std::string_view declaration = head.substr(0, head.find("?>"));
  const std::size_t key = declaration.find("encoding");
  if (key == std::string_view::npos) return {};
  std::size_t i = key + 8;
  while (i < declaration.size() && (declaration[i] == ' ' || declaration[i] == '=')) ++i;
  if (i >= declaration.size() || (declaration[i] != '"' && declaration[i] != '\'')) return {};
  const char quote = declaration[i++];
  const std::size_t end = declaration.find(quote, i);
  if (end == std::string_view::npos) return {};
  return lower_ascii(declaration.substr(i, end - i));
}

// UTF-16/32 without a byte-order mark, recognised by how '<' is encoded (XML 1.0 appendix F).
std::string_view sniff_wide_encoding(std::string_view bytes) {
  using namespace std::string_view_literals;
  if (bytes.starts_with("<\0\0\0"sv)) return "UTF-32LE";
  if (bytes.starts_with("\0\0\0<"sv)) return "UTF-32BE";
  if (bytes.starts_with("<\0"sv)) return "UTF-16LE";
  if (bytes.starts_with("\0<"sv)) return "UTF-16BE";
  return {};
}

bool is_utf8_name(std::string_view charset) { return charset == "utf-8" || charset == "utf8"; }
bool is_wide_name(std::string_view charset) {
  return charset.starts_with("utf-16") || charset.starts_with("utf-32") || charset.starts_with("ucs-") ||
         charset == "unicode";
}

void add_note(std::string& notes, std::string_view note) {
  if (!notes.empty()) notes.append("; ");
  notes.append(note);
}

}  // namespace

DecodedDocument decode_document(std::string_view bytes, const FeedSource& source) {
  DecodedDocument out;
  if (auto bom = sniff_bom(bytes)) {
    out.text = to_utf8(bytes.substr(bom->length), bom->charset);
    return out;
  }
  if (std::string_view wide = sniff_wide_encoding(bytes); !wide.empty()) {
    out.text = to_utf8(bytes, wide);
    return out;
  }
  const std::string http = charset_from_content_type(source.content_type);
  const std::string declared = declared_encoding(bytes);
  std::string charset;
  if (!http.empty() && is_xml_media_type(source.content_type)) charset = http;
  else if (!declared.empty()) charset = declared;
  else charset = http;

  const Utf8Census census = utf8_census(bytes);
  if (census.controls > 0) add_note(out.notes, "control characters removed");
  // Past this point the bytes are ASCII-compatible (no BOM, no wide '<'), so a
  // declared UTF-16/32 is a mislabel.
  if (is_wide_name(charset)) {
    add_note(out.notes, "declared " + charset + " but the bytes are not; read as UTF-8");
    charset.clear();
  }
  if (is_mislabelled_utf8(charset, census)) {
    add_note(out.notes, "declared " + charset + " but the bytes are UTF-8");
    charset.clear();
  } else if (charset.empty() && census.invalid > census.multibyte) {
    // Mostly not UTF-8 and undeclared: guess. UTF-8 with a few bad bytes is
    // kept as UTF-8 (bad bytes become U+FFFD) rather than risk mis-decoding
    // all of its text.
    std::unique_ptr<uchardet, UchardetDeleter> detector(uchardet_new());
    if (detector && uchardet_handle_data(detector.get(), bytes.data(), bytes.size()) == 0) {
      uchardet_data_end(detector.get());
      const std::string guess = lower_ascii(uchardet_get_charset(detector.get()));
      if (!guess.empty() && !is_utf8_name(guess) && guess != "ascii") {
        add_note(out.notes, "no charset declared and not UTF-8; detected " + guess);
        charset = guess;
      }
    }
  }
  if (is_utf8_name(charset) || charset.empty()) {
    if (census.invalid > 0) add_note(out.notes, "bytes that are not UTF-8 replaced by U+FFFD");
    // Clean UTF-8 (the common case) needs one copy and no second scan.
    out.text = census.invalid == 0 && census.controls == 0 ? std::string(bytes) : sanitize_utf8(bytes);
    return out;
  }
  out.text = to_utf8(bytes, charset);
  return out;
}

}  // namespace newsd::parsers
