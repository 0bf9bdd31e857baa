#include "parsers/article_identity.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include <boost/url/parse.hpp>
#include <openssl/sha.h>

namespace newsd::parsers {
namespace {

bool is_tracking_parameter(std::string_view key) {
  static constexpr std::array<std::string_view, 10> kExact{
      "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ocid"};
  if (key.starts_with("utm_")) return true;
  return std::find(kExact.begin(), kExact.end(), key) != kExact.end();
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 3986 6.2.2: upper-case hex digits, decode octets of unreserved
// characters, leave every other escape (%2F stays %2F) as it is.
std::string normalize_percent_encoding(std::string_view text) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) && hex(text[i + 2])) {
      int value = std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16);
      char c = static_cast<char>(value);
      if (std::isalnum(value) || c == '-' || c == '.' || c == '_' || c == '~') {
        out.push_back(c);
      } else {
        out.push_back('%');
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i + 1]))));
        out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i + 2]))));
      }
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

std::string canonical_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed || !parsed->has_authority()) return std::string(text);
  const auto& url = *parsed;
  std::string out = lower_ascii(url.scheme());
  out += "://";
  if (url.has_userinfo()) out.append(url.encoded_userinfo()).push_back('@');
  out += lower_ascii(url.encoded_host());
  bool default_port = (url.scheme_id() == boost::urls::scheme::http && url.port_number() == 80) ||
                      (url.scheme_id() == boost::urls::scheme::https && url.port_number() == 443);
  if (url.has_port() && !default_port && !url.port().empty()) out.append(":").append(url.port());
  out += url.encoded_path().empty() ? "/" : normalize_percent_encoding(url.encoded_path());
  std::string query;
  for (auto param : url.encoded_params()) {
    if (is_tracking_parameter(param.key)) continue;
    query += query.empty() ? "?" : "&";
    query += normalize_percent_encoding(param.key);
    if (param.has_value) query += "=" + normalize_percent_encoding(param.value);
  }
  return out + query;  // the fragment is dropped
}

std::string hex_digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (std::size_t i = 0; i < 16; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string article_id_for_url(std::string_view url) { return hex_digest(canonical_url(url)); }

std::string article_id_for_guid(std::string_view source, std::string_view guid) {
  std::string scoped = "guid:";
  scoped.append(source).append("\n").append(guid);
  return hex_digest(scoped);
}

std::string content_hash(std::string_view body) {
  std::string folded;
  folded.reserve(body.size());
  bool space = false;
  for (unsigned char c : body) {
    if (std::isspace(c)) {
      space = !folded.empty();
      continue;
    }
    if (space) folded.push_back(' ');
    space = false;
    folded.push_back(static_cast<char>(c < 0x80 ? std::tolower(c) : c));
  }
  return hex_digest(folded);
}

}  // namespace newsd::parsers
