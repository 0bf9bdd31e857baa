#pragma once
// Article identity: the canonical form of an article URL, the stable id
// derived from it (the Kafka key), the choice between a fetched URL and the
// canonical one a page declares, and the fingerprint of a body. Pure.
//
// Two levels of folding, on purpose:
//   - canonical_url() is the URL we publish (`url` field). It stays a URL
//     the site itself serves: scheme and `www.` are kept as given, and a
//     trailing slash is kept as the site wrote it.
//   - identity_key() folds what a URL still varies in without naming
//     another page: http vs https, a leading `www.`, a trailing slash.
//     The article id is the digest of the identity key, so
//     `http://www.site.com/a/`, `https://site.com/a` and
//     `https://site.com/a/index.html` are one article.
#include <optional>
#include <string>
#include <string_view>

namespace newsd::parsers {

// The canonical URL of `url`:
//   - scheme and host lower-case, host IDN in punycode (xn--), trailing dot
//     of the host dropped, default port dropped, fragment dropped;
//   - raw non-ASCII and unsafe bytes percent-encoded; escapes of unreserved
//     characters decoded, other escapes upper-cased (`%2f` -> `%2F`, never `/`);
//   - dot segments removed (RFC 3986 5.2.4);
//   - `index.html|htm|shtml|php|asp`, `default.aspx|asp` as the last segment
//     removed (`/news/index.html` -> `/news/`);
//   - AMP: `amp.` host prefix -> `www.`, an `amp` path segment removed
//     (`/amp/news/x`, `/news/x/amp`), `x.amp` -> `x`, `x.amp.html` -> `x.html`,
//     parameters `amp`, `outputType=amp` removed, Google AMP cache URLs
//     (`*.cdn.ampproject.org/c/s/HOST/PATH`) unwrapped;
//   - tracking parameters removed (utm_*, fbclid, gclid, mc_cid, mc_eid,
//     igshid, BBC at_* / ns_*, Guardian CMP, NYT smid, ...), empty parameters
//     dropped, the rest sorted by name.
// Returns the input unchanged when it is not an absolute URL with a host.
// Idempotent: canonical_url(canonical_url(u)) == canonical_url(u).
std::string canonical_url(std::string_view url);

// Whether `url` names a web page: an absolute http(s) URL with a host, as
// canonical_url() reads it, so a fragment, spaces, unescaped non-ASCII, an
// IDN host or a bare '&' in the query do not make it unusable.
bool is_web_url(std::string_view url);

// The string the article id is the digest of: the canonical URL without
// its scheme when http(s) (`//host/path?query`), a leading `www.` dropped,
// and a trailing slash dropped from a non-root path.
std::string identity_key(std::string_view url);

// 32 hex digits: the first 128 bits of SHA-256 over `text`.
std::string hex_digest(std::string_view text);

// The id of an article found at `url`: hex_digest(identity_key(url)).
std::string article_id_for_url(std::string_view url);

// The id of an item that has no usable URL: its GUID, scoped by source.
std::string article_id_for_guid(std::string_view source, std::string_view guid);

// The host of an absolute URL, lower-case, an IPv6 literal without its
// brackets (as curl, robots.txt and per-host politeness name hosts); empty
// when `url` has none.
std::string url_host(std::string_view url);

// The registrable domain (eTLD+1) of a host, by a small heuristic: the last
// two labels, or three under a two-level public suffix (co.uk, com.lb,
// com.eg, gouv.fr, ...; any `com|co|net|org|gov|edu|ac|mil` under a
// two-letter country code) or a hosting suffix (blogspot.com, github.io, ...).
// IP addresses and single-label hosts are their own site. Lower-case input.
std::string registrable_domain(std::string_view host);

// The canonical URL to publish for a page fetched at `fetched_url` (after
// redirects) that declares `declared_canonical` (<link rel=canonical>, else
// og:url; may be relative, may be empty). The declared one wins only when
// it is http(s), on the same registrable site, and not the site's front
// page standing in for an article (a common template mistake). Both
// results are canonical_url()s.
std::string choose_canonical(std::string_view fetched_url, std::string_view declared_canonical);

// RFC 3492 Punycode of one label given in UTF-8 (without the `xn--`
// prefix), or nothing when the label is not valid UTF-8 or overflows.
std::optional<std::string> punycode_encode(std::string_view utf8_label);


}  // namespace newsd::parsers
