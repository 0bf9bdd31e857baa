#include "parsers/identity/article_identity.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <openssl/sha.h>

#include "parsers/text/ascii.hpp"
#include "parsers/text/text_codec.hpp"

namespace newsd::parsers {
namespace {

// Built-in tracking parameters, lower-case. Prefixes end in `*`.
constexpr std::array<std::string_view, 45> kTrackingParameters{
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
    "igshid", "yclid", "_ga", "_gl", "ocid", "twclid", "ttclid", "li_fat_id", "mkt_tok",
    "_hsenc", "_hsmi", "hsctatracking", "vero_id", "oly_enc_id", "oly_anon_id", "rb_clickid",
    "s_cid", "cmp", "cmpid", "smid", "smtyp", "emc", "xtor", "ref_src", "fb_action_ids",
    "fb_action_types", "fb_ref", "fb_source", "wt.mc_id", "__twitter_impression",
    "at_*",   // BBC: at_medium, at_campaign, at_custom1, ...
    "ns_*",   // BBC: ns_mchannel, ns_source, ns_campaign, ...
    "pk_*",   // Matomo
    "mtm_*",  // Matomo
    "hmb_*",  // HubSpot-style campaign tags
    "spm",
};

// Parameters only AMP pages carry.
constexpr std::array<std::string_view, 5> kAmpParameters{"amp", "_amp", "usqp", "amp_js_v", "amp_gsa"};

constexpr std::array<std::string_view, 11> kIndexPages{
    "index.html", "index.htm", "index.shtml", "index.php", "index.asp", "index.aspx",
    "default.aspx", "default.asp", "default.htm", "default.html", "index.jsp"};

// Two-level public suffixes the generic rule below does not cover.
constexpr std::array<std::string_view, 24> kTwoLevelSuffixes{
    "gouv.fr", "asso.fr", "ne.jp", "or.jp", "go.jp", "gob.mx", "gob.es", "gob.ar", "nic.in",
    "ltd.uk", "plc.uk", "me.uk", "nhs.uk", "police.uk", "or.kr", "go.kr", "ne.kr", "gen.tr",
    "bel.tr", "gv.at", "or.at", "med.sa", "sch.sa", "press.ma"};
// Second-level labels that make a two-level suffix under any two-letter ccTLD.
constexpr std::array<std::string_view, 8> kGenericSecondLevels{"com", "co", "net", "org",
                                                               "gov", "edu", "ac", "mil"};
// Hosting services whose subdomains are separate sites.
constexpr std::array<std::string_view, 15> kHostingSuffixes{
    "blogspot.com", "wordpress.com", "github.io", "substack.com", "tumblr.com", "medium.com",
    "netlify.app", "vercel.app", "herokuapp.com", "appspot.com", "cloudfront.net",
    "azurewebsites.net", "pages.dev", "web.app", "firebaseapp.com"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view value) {
  return std::find(table.begin(), table.end(), value) != table.end();
}

bool iends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && iequals_ascii(text.substr(text.size() - suffix.size()), suffix);
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// True when text[i] starts a well-formed escape `%XX`.
bool escape_at(std::string_view text, std::size_t i) {
  return text[i] == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2]);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

// A parameter name matches a table entry exactly or, for `prefix*`, by prefix.
bool matches_name(std::string_view pattern, std::string_view lower_key) {
  if (!pattern.empty() && pattern.back() == '*')
    return lower_key.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == lower_key;
}

bool is_tracking_parameter(std::string_view lower_key) {
  for (auto pattern : kTrackingParameters)
    if (matches_name(pattern, lower_key)) return true;
  return false;
}

// RFC 3986 6.2.2: upper-case hex digits, decode octets of unreserved
// characters, leave every other escape (%2F stays %2F) as it is.
std::string normalize_percent_encoding(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (escape_at(text, i)) {
      auto c = static_cast<unsigned char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out.push_back(static_cast<char>(c));
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

// Percent-encodes what may not appear raw in a URL (non-ASCII bytes, spaces,
// controls, "<>\^`{|}[]) and a `%` that starts no escape, so IRIs and
// sloppy links from feeds parse, and `/é` and `/%C3%A9` fold together.
std::string encode_unsafe(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  static constexpr std::string_view kUnsafe = " \"<>\\^`{|}[]";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    bool stray_percent = c == '%' && !escape_at(text, i);
    if (c >= 0x80 || c < 0x21 || c == 0x7f || kUnsafe.find(static_cast<char>(c)) != std::string_view::npos ||
        stray_percent) {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (escape_at(text, i)) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// UTF-8 -> code points; nothing on malformed input.
std::optional<std::u32string> decode_utf8(std::string_view text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    int extra = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= text.size()) return std::nullopt;
    char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

// Simple lower-casing of the scripts host names use most (no full Unicode
// case folding or NFC here; see the header of canonical_url).
char32_t lower_code_point(char32_t c) {
  if (c < 0x80) return static_cast<char32_t>(std::tolower(static_cast<int>(c)));
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c >= 0x100 && c <= 0x137 && c % 2 == 0) return c + 1;
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

// A host as written (maybe percent-encoded, maybe UTF-8) -> lower-case ASCII
// with IDN labels in punycode. Nothing when it cannot be converted.
std::optional<std::string> ascii_host(std::string_view host) {
  std::string raw = host.find('%') != std::string_view::npos ? percent_decode(host) : std::string(host);
  if (raw.find_first_of("/?#@:[]% ") != std::string::npos) return lower_ascii(host);
  if (std::all_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return lower_ascii(raw);
  std::string out;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t dot = raw.find('.', start);
    if (dot == std::string::npos) dot = raw.size();
    std::string_view label(raw.data() + start, dot - start);
    if (!out.empty() || start > 0) out.push_back('.');
    if (std::all_of(label.begin(), label.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      out += lower_ascii(label);
    } else {
      auto code_points = decode_utf8(label);
      if (!code_points) return std::nullopt;
      std::string lowered;
      for (char32_t c : *code_points) {
        append_utf8(lowered, lower_code_point(c));
      }
      auto encoded = punycode_encode(lowered);
      if (!encoded) return std::nullopt;
      out += "xn--" + *encoded;
    }
    start = dot + 1;
  }
  return out;
}

// Makes an absolute IRI parseable: the host converted to ASCII, everything
// else made safe by encode_unsafe(), the fragment cut. Nothing when `text`
// has no `scheme://`.
std::optional<std::string> prepare_absolute(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  std::string_view scheme = text.substr(0, sep);
  if (!std::isalpha(static_cast<unsigned char>(scheme[0])) ||
      !std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      }))
    return std::nullopt;
  std::string_view rest = text.substr(sep + 3);
  std::size_t authority_end = rest.find_first_of("/?");
  if (authority_end == std::string_view::npos) authority_end = rest.size();
  std::string_view authority = rest.substr(0, authority_end);
  std::string out(scheme);
  out += "://";
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string userinfo = encode_unsafe(authority.substr(0, at));
    for (std::size_t pos; (pos = userinfo.find('@')) != std::string::npos;) userinfo.replace(pos, 1, "%40");
    out += userinfo + "@";
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    port = host.substr(close + 1);
    host = host.substr(0, close + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon);
    host = host.substr(0, colon);
  }
  if (host.empty() || host.front() != '[') {
    auto converted = ascii_host(host);
    if (!converted) return std::nullopt;
    out += *converted;
  } else {
    out += lower_ascii(host);
  }
  out += port;
  out += encode_unsafe(rest.substr(authority_end));
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// Path segments of an absolute path after RFC 3986 5.2.4 dot-segment
// removal; a trailing slash shows as a last empty segment.
std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path == "/") return out;
  if (path.front() == '/') path.remove_prefix(1);
  auto parts = split(path, '/');
  bool trailing_slash = false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    if (parts[i] == "." || parts[i] == "..") {
      if (parts[i] == ".." && !out.empty()) out.pop_back();
      trailing_slash = last;
      continue;
    }
    out.emplace_back(parts[i]);
  }
  if (trailing_slash && !out.empty()) out.emplace_back();
  return out;
}

std::string join_path(const std::vector<std::string>& segments) {
  std::string out = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += segments[i];
  }
  return out;
}

// AMP folding of path segments: an `amp` segment anywhere, `x.amp`,
// `x.amp.html`.
void fold_amp_segments(std::vector<std::string>& segments) {
  if (segments.empty()) return;
  auto& last = segments.back().empty() && segments.size() > 1 ? segments[segments.size() - 2] : segments.back();
  while (iends_with(last, ".amp.html")) last.erase(last.size() - 9, 4);  // "x.amp.html" -> "x.html"
  while (iends_with(last, ".amp")) last.erase(last.size() - 4);
  bool had_trailing_slash = segments.back().empty();
  std::erase_if(segments, [](const std::string& s) { return iequals_ascii(s, "amp"); });
  if (had_trailing_slash && !segments.empty() && !segments.back().empty()) segments.emplace_back();
}

// A Google AMP cache URL (`https://www-site-com.cdn.ampproject.org/c/s/www.site.com/p`)
// -> the URL it serves (`https://www.site.com/p`), else nothing.
std::optional<std::string> unwrap_amp_cache(std::string_view host, std::string_view path, std::string_view query) {
  if (!(host == "cdn.ampproject.org" || host.ends_with(".cdn.ampproject.org"))) return std::nullopt;
  if (path.size() < 3 || path[0] != '/' || (path[1] != 'c' && path[1] != 'v' && path[1] != 'i') || path[2] != '/')
    return std::nullopt;
  path.remove_prefix(3);
  std::string scheme = "http://";
  if (path.starts_with("s/")) {
    scheme = "https://";
    path.remove_prefix(2);
  }
  if (path.empty()) return std::nullopt;
  std::string out = scheme + std::string(path);
  if (!query.empty()) out += "?" + std::string(query);
  return out;
}

// AMP cache URLs wrapping AMP cache URLs are unwrapped up to this depth.
constexpr int kMaxAmpCacheNesting = 4;

struct Parameter {
  std::string key;
  std::string value;
  bool has_value = false;
};

std::string canonical_url_impl(std::string_view text, int depth) {
  auto prepared = prepare_absolute(text);
  if (!prepared) return std::string(text);
  auto parsed = boost::urls::parse_uri(*prepared);
  if (!parsed || !parsed->has_authority()) return std::string(text);
  const auto& url = *parsed;
  const std::string scheme = lower_ascii(url.scheme());
  const bool web = scheme == "http" || scheme == "https";
  std::string host = lower_ascii(url.encoded_host());
  while (!host.empty() && host.back() == '.') host.pop_back();
  const std::string path = normalize_percent_encoding(url.encoded_path());

  if (web && depth < kMaxAmpCacheNesting) {
    if (auto inner = unwrap_amp_cache(host, path, url.encoded_query()))
      return canonical_url_impl(*inner, depth + 1);
  }
  if (web && host.starts_with("amp.") && registrable_domain(host) != host)
    host = "www." + host.substr(4);

  std::string out = scheme + "://";
  if (url.has_userinfo()) out.append(url.encoded_userinfo()).push_back('@');
  out += host;
  bool default_port = (scheme == "http" && url.port_number() == 80) || (scheme == "https" && url.port_number() == 443);
  if (url.has_port() && !default_port && !url.port().empty()) out.append(":").append(url.port());

  auto segments = path_segments(path);
  if (web) fold_amp_segments(segments);
  if (web && !segments.empty()) {
    auto& last = segments.back();
    if (std::any_of(kIndexPages.begin(), kIndexPages.end(), [&](std::string_view page) { return iequals_ascii(last, page); }))
      last.clear();
  }
  out += join_path(segments);

  std::vector<Parameter> parameters;
  for (auto param : url.encoded_params()) {
    std::string key = normalize_percent_encoding(param.key);
    if (key.empty()) continue;
    std::string lower_key = lower_ascii(percent_decode(key));
    std::string value = normalize_percent_encoding(param.value);
    if (web && is_tracking_parameter(lower_key)) continue;
    if (web && (contains(kAmpParameters, lower_key) ||
         ((lower_key == "outputtype" || lower_key == "output") && iequals_ascii(value, "amp"))))
      continue;
    parameters.push_back({std::move(key), std::move(value), param.has_value});
  }
  std::stable_sort(parameters.begin(), parameters.end(),
                     [](const Parameter& a, const Parameter& b) { return a.key < b.key; });
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    out += i == 0 ? "?" : "&";
    out += parameters[i].key;
    if (parameters[i].has_value) out += "=" + parameters[i].value;
  }
  return out;  // the fragment is dropped
}

bool is_ip_literal(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// Host and path of a canonical URL, when it is http(s).
struct WebParts {
  std::string host;
  std::string path;
  bool has_query = false;
};

std::optional<WebParts> web_parts(std::string_view canonical) {
  auto parsed = boost::urls::parse_uri(canonical);
  if (!parsed || !parsed->has_authority()) return std::nullopt;
  auto scheme = lower_ascii(parsed->scheme());
  if (scheme != "http" && scheme != "https") return std::nullopt;
  return WebParts{lower_ascii(parsed->encoded_host()), std::string(parsed->encoded_path()), parsed->has_query()};
}

}  // namespace

std::optional<std::string> punycode_encode(std::string_view utf8_label) {
  auto input = decode_utf8(utf8_label);
  if (!input) return std::nullopt;
  constexpr std::uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;
  constexpr std::uint32_t kInitialBias = 72, kInitialN = 128;
  constexpr std::uint32_t kMax = 0xFFFFFFFFu;
  auto digit = [](std::uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); };
  auto adapt = [&](std::uint32_t delta, std::uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    std::uint32_t k = 0;
    while (delta > ((kBase - kTmin) * kTmax) / 2) {
      delta /= kBase - kTmin;
      k += kBase;
    }
    return k + (((kBase - kTmin + 1) * delta) / (delta + kSkew));
  };
  std::string out;
  for (char32_t c : *input)
    if (c < 0x80) out.push_back(static_cast<char>(c));
  const auto basic = static_cast<std::uint32_t>(out.size());
  std::uint32_t handled = basic;
  if (basic > 0) out.push_back('-');
  std::uint32_t n = kInitialN, delta = 0, bias = kInitialBias;
  const auto length = static_cast<std::uint32_t>(input->size());
  while (handled < length) {
    std::uint32_t m = kMax;
    for (char32_t c : *input)
      if (c >= n && c < m) m = c;
    if ((m - n) > (kMax - delta) / (handled + 1)) return std::nullopt;
    delta += (m - n) * (handled + 1);
    n = m;
    for (char32_t c : *input) {
      if (c < n && ++delta == 0) return std::nullopt;
      if (c != n) continue;
      std::uint32_t q = delta;
      for (std::uint32_t k = kBase;; k += kBase) {
        std::uint32_t t = k <= bias ? kTmin : k >= bias + kTmax ? kTmax : k - bias;
        if (q < t) break;
        out.push_back(digit(t + (q - t) % (kBase - t)));
        q = (q - t) / (kBase - t);
      }
      out.push_back(digit(q));
      bias = adapt(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return out;
}

std::string canonical_url(std::string_view url) { return canonical_url_impl(url, 0); }

std::string identity_key(std::string_view url) {
  std::string canonical = canonical_url(url);
  auto parts = web_parts(canonical);
  if (!parts) return canonical;
  auto parsed = boost::urls::parse_uri(canonical);
  std::string host = parts->host;
  if (host.starts_with("www.") && registrable_domain(host) != host) host.erase(0, 4);
  std::string key = "//";
  if (parsed->has_userinfo()) key.append(parsed->encoded_userinfo()).push_back('@');
  key += host;
  if (parsed->has_port()) key.append(":").append(parsed->port());
  std::string path = parts->path;
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  key += path.empty() ? "/" : path;
  if (parsed->has_query()) key.append("?").append(parsed->encoded_query());
  return key;
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

std::string article_id_for_url(std::string_view url) { return hex_digest(identity_key(url)); }

std::string article_id_for_guid(std::string_view source, std::string_view guid) {
  std::string scoped = "guid:";
  scoped.append(source).append("\n").append(guid);
  return hex_digest(scoped);
}

std::string url_host(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return {};
  return lower_ascii(parsed->host_address());
}

std::string registrable_domain(std::string_view host) {
  if (is_ip_literal(host)) return std::string(host);
  auto labels = split(host, '.');
  if (labels.size() <= 2) return std::string(host);
  auto tail = [&](std::size_t count) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < labels.size() - count; ++i) start += labels[i].size() + 1;
    return std::string(host.substr(start));
  };
  std::string last_two = tail(2);
  std::string_view tld = labels.back();
  std::string_view second = labels[labels.size() - 2];
  bool two_level = contains(kTwoLevelSuffixes, last_two) || contains(kHostingSuffixes, last_two) ||
                   (tld.size() == 2 && std::isalpha(static_cast<unsigned char>(tld[0])) &&
                    contains(kGenericSecondLevels, second));
  return two_level ? tail(3) : last_two;
}

std::string choose_canonical(std::string_view fetched_url, std::string_view declared_canonical) {
  std::string fetched = canonical_url(fetched_url);
  while (!declared_canonical.empty() && std::isspace(static_cast<unsigned char>(declared_canonical.front())))
    declared_canonical.remove_prefix(1);
  while (!declared_canonical.empty() && std::isspace(static_cast<unsigned char>(declared_canonical.back())))
    declared_canonical.remove_suffix(1);
  if (declared_canonical.empty()) return fetched;
  auto fetched_parts = web_parts(fetched);
  if (!fetched_parts) return fetched;

  std::string absolute;
  if (declared_canonical.find("://") != std::string_view::npos) {
    absolute = std::string(declared_canonical);
  } else {
    auto base = boost::urls::parse_uri(fetched);
    std::string reference = encode_unsafe(declared_canonical);  // the view below points into it
    auto ref = boost::urls::parse_uri_reference(reference);
    if (!base || !ref) return fetched;
    boost::urls::url resolved;
    if (!boost::urls::resolve(*base, *ref, resolved)) return fetched;
    absolute = std::string(resolved.buffer());
  }
  std::string declared = canonical_url(absolute);
  auto declared_parts = web_parts(declared);
  if (!declared_parts) return fetched;
  if (registrable_domain(declared_parts->host) != registrable_domain(fetched_parts->host)) return fetched;
  bool declared_front_page = declared_parts->path == "/" && !declared_parts->has_query;
  bool fetched_front_page = fetched_parts->path == "/" && !fetched_parts->has_query;
  if (declared_front_page && !fetched_front_page) return fetched;
  return declared;
}

bool is_web_url(std::string_view url) {
  auto prepared = prepare_absolute(url);
  if (!prepared) return false;
  auto parts = web_parts(*prepared);
  return parts && !parts->host.empty();
}

}  // namespace newsd::parsers
