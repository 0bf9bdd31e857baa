#include "parsers/identity/relative_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace newsd::parsers {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool has_url_scheme(std::string_view reference) {
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  if (reference.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(reference.front())) return false;
  for (std::size_t i = 1; i < reference.size(); ++i) {
    const char c = reference[i];
    if (c == ':') return true;
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

std::string resolve_relative_url(std::string_view base, std::string_view reference) {
  reference = trim(reference);
  if (reference.empty() || has_url_scheme(reference)) return std::string(reference);
  base = trim(base);
  auto parsed_base = boost::urls::parse_uri(base);
  if (!parsed_base) return std::string(reference);
  auto parsed_reference = boost::urls::parse_uri_reference(reference);
  if (!parsed_reference) return std::string(reference);
  boost::urls::url resolved;
  if (!boost::urls::resolve(*parsed_base, *parsed_reference, resolved)) return std::string(reference);
  return std::string(resolved.buffer());
}

}  // namespace newsd::parsers
