#include "parsers/identity/article_identity.hpp"

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

TEST(ArticleIdentityTest, CanonicalUrlFoldsTheHarmlessVariants) {
  EXPECT_EQ(canonical_url("HTTPS://WafaaMagazine.com:443/archives/312845#comments"),
            "https://wafaamagazine.com/archives/312845");
  EXPECT_EQ(canonical_url("http://example.org:80"), "http://example.org/");
  EXPECT_EQ(canonical_url("https://example.org/a?utm_source=rss&utm_medium=feed&id=7&fbclid=x"),
            "https://example.org/a?id=7");
  EXPECT_EQ(canonical_url("https://example.org/a?gclid=1"), "https://example.org/a");
  EXPECT_EQ(canonical_url("https://example.org/%7euser/a%2fb"), "https://example.org/~user/a%2Fb");
  EXPECT_EQ(canonical_url("https://example.org:8443/x"), "https://example.org:8443/x");
  EXPECT_EQ(canonical_url("not a url"), "not a url");
  EXPECT_EQ(canonical_url("/relative/path"), "/relative/path");
}

TEST(ArticleIdentityTest, DotSegmentsAreRemovedButEncodedSlashesStay) {
  EXPECT_EQ(canonical_url("https://example.org/a/./b/../c"), "https://example.org/a/c");
  EXPECT_EQ(canonical_url("https://example.org/a/b/.."), "https://example.org/a/");
  EXPECT_EQ(canonical_url("https://example.org/../../x"), "https://example.org/x");
  EXPECT_EQ(canonical_url("https://example.org/a/%2E%2E/b"), "https://example.org/b");
  EXPECT_EQ(canonical_url("https://example.org/a%2F..%2Fb"), "https://example.org/a%2F..%2Fb");
}

TEST(ArticleIdentityTest, RawNonAsciiAndEscapesFoldTogether) {
  // An Arabic slug raw (as some feeds write it) and escaped (as browsers do).
  EXPECT_EQ(canonical_url("https://www.aljazeera.net/news/2024/1/1/لبنان"),
            canonical_url("https://www.aljazeera.net/news/2024/1/1/%d9%84%d8%a8%d9%86%d8%a7%d9%86"));
  EXPECT_EQ(canonical_url("https://example.org/a b"), "https://example.org/a%20b");
  EXPECT_EQ(canonical_url("https://example.org/100%"), "https://example.org/100%25");
}

TEST(ArticleIdentityTest, PunycodeMatchesRfc3492Vectors) {
  EXPECT_EQ(punycode_encode("bücher"), "bcher-kva");
  EXPECT_EQ(punycode_encode("münchen"), "mnchen-3ya");
  // RFC 3492 7.1 (A) Arabic (Egyptian).
  EXPECT_EQ(punycode_encode("ليهمابتكلموشعربي؟"), "egbpdaj6bu4bxfgehfvwxn");
  // RFC 3492 7.1 (L): mixed scripts with ASCII.
  EXPECT_EQ(punycode_encode("3年B組金八先生"), "3B-ww4c5e180e575a65lsy2b");
  EXPECT_FALSE(punycode_encode("\xff"));
}

TEST(ArticleIdentityTest, IdnHostsBecomePunycode) {
  EXPECT_EQ(canonical_url("https://مثال.إختبار/خبر"),
            "https://xn--mgbh0fb.xn--kgbechtv/%D8%AE%D8%A8%D8%B1");
  EXPECT_EQ(canonical_url("https://Bücher.example/x"), "https://xn--bcher-kva.example/x");
  EXPECT_EQ(canonical_url("https://B%C3%BCcher.example/x"), "https://xn--bcher-kva.example/x");
  EXPECT_EQ(canonical_url("https://xn--bcher-kva.example/x"), "https://xn--bcher-kva.example/x");
  EXPECT_EQ(canonical_url("https://example.org./x"), "https://example.org/x");
}

TEST(ArticleIdentityTest, UrlHostIsLowerCaseWithoutBrackets) {
  EXPECT_EQ(url_host("https://WWW.Example.com:8443/x?y"), "www.example.com");
  EXPECT_EQ(url_host("http://[::1]:8080/feed"), "::1") << "as curl and per-host politeness name it";
  EXPECT_EQ(url_host("http://127.0.0.1/"), "127.0.0.1");
  EXPECT_EQ(url_host("not a url"), "");
}

TEST(ArticleIdentityTest, ParametersNotKnownAsTrackingAreKept) {
  EXPECT_EQ(canonical_url("https://e.org/a?from=rss&id=1"), "https://e.org/a?from=rss&id=1");
}

TEST(ArticleIdentityTest, QueryOrderDoesNotMatterButValuesDo) {
  EXPECT_EQ(canonical_url("https://e.org/a?b=2&a=1"), "https://e.org/a?a=1&b=2");
  EXPECT_EQ(canonical_url("https://e.org/a?&&a=1&"), "https://e.org/a?a=1");
  EXPECT_NE(canonical_url("https://e.org/a?id=1"), canonical_url("https://e.org/a?id=2"));
}

TEST(ArticleIdentityTest, CanonicalUrlIsIdempotent) {
  for (const char* url : {"https://amp.theguardian.com/world/2024/jan/01/x?CMP=share_btn_tw",
                          "HTTP://WWW.Example.org/a/./b/index.html?z=1&a=2#top",
                          "https://www-nytimes-com.cdn.ampproject.org/c/s/www.nytimes.com/2024/01/01/world/x.amp.html",
                          "https://مثال.إختبار/خبر/amp/", "https://e.org/%7e/a%2fb?q=%e2%82%ac"}) {
    auto once = canonical_url(url);
    EXPECT_EQ(canonical_url(once), once) << url;
    EXPECT_EQ(identity_key(once), identity_key(url)) << url;
  }
}

TEST(ArticleIdentityTest, IdentityKeyFoldsSchemeWwwAndTrailingSlash) {
  EXPECT_EQ(identity_key("https://www.example.org/news/a/"), "//example.org/news/a");
  EXPECT_EQ(identity_key("http://example.org/news/a"), "//example.org/news/a");
  EXPECT_EQ(identity_key("https://example.org/"), "//example.org/");
  EXPECT_EQ(identity_key("https://www.co.uk/x"), "//www.co.uk/x");  // www is the site itself here
  EXPECT_EQ(identity_key("ftp://files.example.org/a/"), "ftp://files.example.org/a/");
  // The published URL keeps the site's own form.
  EXPECT_EQ(canonical_url("https://www.example.org/news/a/"), "https://www.example.org/news/a/");
}

TEST(ArticleIdentityTest, IdIsTheDigestOfTheIdentityKey) {
  auto id = article_id_for_url("https://wafaamagazine.com/archives/312845?utm_source=feed");
  EXPECT_EQ(id, hex_digest("//wafaamagazine.com/archives/312845"));
  EXPECT_EQ(id.size(), 32u);
  // sha256("abc") starts with ba7816bf8f01cfea414140de5dae2223
  EXPECT_EQ(hex_digest("abc"), "ba7816bf8f01cfea414140de5dae2223");
}

TEST(ArticleIdentityTest, GuidIdsAreScopedBySource) {
  EXPECT_NE(article_id_for_guid("a", "42"), article_id_for_guid("b", "42"));
  EXPECT_EQ(article_id_for_guid("a", "42"), article_id_for_guid("a", "42"));
}

TEST(ArticleIdentityTest, RegistrableDomainUsesTwoLevelSuffixes) {
  EXPECT_EQ(registrable_domain("www.bbc.co.uk"), "bbc.co.uk");
  EXPECT_EQ(registrable_domain("feeds.bbci.co.uk"), "bbci.co.uk");
  EXPECT_EQ(registrable_domain("www.annahar.com.lb"), "annahar.com.lb");
  EXPECT_EQ(registrable_domain("www.youm7.com.eg"), "youm7.com.eg");
  EXPECT_EQ(registrable_domain("www.service-public.gouv.fr"), "service-public.gouv.fr");
  EXPECT_EQ(registrable_domain("amp.theguardian.com"), "theguardian.com");
  EXPECT_EQ(registrable_domain("wafaamagazine.com"), "wafaamagazine.com");
  EXPECT_EQ(registrable_domain("someone.blogspot.com"), "someone.blogspot.com");
  EXPECT_EQ(registrable_domain("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(registrable_domain("localhost"), "localhost");
}

TEST(ArticleIdentityTest, DeclaredCanonicalIsFollowedOnlyOnTheSameSite) {
  // AMP page declares its canonical page.
  EXPECT_EQ(choose_canonical("https://www.aljazeera.com/amp/news/2024/1/1/x",
                             "https://www.aljazeera.com/news/2024/1/1/x"),
            "https://www.aljazeera.com/news/2024/1/1/x");
  // WordPress short link redirected and canonical named.
  EXPECT_EQ(choose_canonical("https://wafaamagazine.com/?p=312845", "https://wafaamagazine.com/archives/312845"),
            "https://wafaamagazine.com/archives/312845");
  // Another subdomain of the same site is fine; tracking parameters still go.
  EXPECT_EQ(choose_canonical("https://m.bbc.co.uk/news/x", "https://www.bbc.co.uk/news/x?at_medium=RSS"),
            "https://www.bbc.co.uk/news/x");
  // Relative canonical resolves against the fetched URL.
  EXPECT_EQ(choose_canonical("https://example.org/news/2024/x?page=2", "/news/2024/x"),
            "https://example.org/news/2024/x");
  // A syndication partner naming the original site: not followed.
  EXPECT_EQ(choose_canonical("https://www.annahar.com.lb/news/1", "https://www.reuters.com/world/x"),
            "https://www.annahar.com.lb/news/1");
  // co.uk is a public suffix, so two .co.uk sites are different sites.
  EXPECT_EQ(choose_canonical("https://www.site-a.co.uk/a", "https://www.site-b.co.uk/a"),
            "https://www.site-a.co.uk/a");
  // The template mistake: every page declares the front page.
  EXPECT_EQ(choose_canonical("https://example.org/news/x", "https://example.org/"), "https://example.org/news/x");
  // Nothing declared, or something unusable.
  EXPECT_EQ(choose_canonical("https://example.org/a?utm_source=x", ""), "https://example.org/a");
  EXPECT_EQ(choose_canonical("https://example.org/a", "javascript:void(0)"), "https://example.org/a");
  EXPECT_EQ(choose_canonical("https://example.org/a", "ftp://example.org/a"), "https://example.org/a");
}

}  // namespace
}  // namespace newsd::parsers
