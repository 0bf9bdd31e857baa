#include "parsers/article_identity.hpp"

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
}

TEST(ArticleIdentityTest, IdIsTheDigestOfTheCanonicalUrl) {
  auto id = article_id_for_url("https://wafaamagazine.com/archives/312845?utm_source=feed");
  EXPECT_EQ(id, hex_digest("https://wafaamagazine.com/archives/312845"));
  EXPECT_EQ(id.size(), 32u);
  // sha256("abc") starts with ba7816bf8f01cfea414140de5dae2223
  EXPECT_EQ(hex_digest("abc"), "ba7816bf8f01cfea414140de5dae2223");
}

TEST(ArticleIdentityTest, GuidIdsAreScopedBySource) {
  EXPECT_NE(article_id_for_guid("a", "42"), article_id_for_guid("b", "42"));
  EXPECT_EQ(article_id_for_guid("a", "42"), article_id_for_guid("a", "42"));
}

TEST(ArticleIdentityTest, ContentHashIgnoresWhitespaceAndCase) {
  EXPECT_EQ(content_hash("Hello   World\n\nAgain "), content_hash("hello world again"));
  EXPECT_NE(content_hash("hello world"), content_hash("hello there"));
}

}  // namespace
}  // namespace newsd::parsers
