// URL variants seen on real news sites: pairs that must fold to one article
// id, and pairs that must stay apart. Ids compare identity_key(canonical_url).
#include <string_view>

#include <gtest/gtest.h>

#include "parsers/identity/article_identity.hpp"

namespace newsd::parsers {
namespace {

struct UrlPair {
  std::string_view a;
  std::string_view b;
  std::string_view why;
};

constexpr UrlPair kSameArticle[] = {
    // BBC: RSS campaign tags, fragments, AMP suffix and AMP folder.
    {"https://www.bbc.co.uk/news/world-middle-east-67890123",
     "https://www.bbc.co.uk/news/world-middle-east-67890123?at_medium=RSS&at_campaign=KARANGA", "BBC at_* tags"},
    {"https://www.bbc.co.uk/news/world-middle-east-67890123",
     "http://www.bbc.co.uk/news/world-middle-east-67890123#comp-comments-button", "scheme, fragment"},
    {"https://www.bbc.co.uk/news/world-middle-east-67890123",
     "https://www.bbc.co.uk/news/world-middle-east-67890123.amp", "BBC .amp"},
    {"https://www.bbc.co.uk/news/world-middle-east-67890123",
     "https://www.bbc.co.uk/news/amp/world-middle-east-67890123", "BBC /amp/"},
    {"https://www.bbc.com/arabic/articles/c4nn0000xyzo",
     "https://www.bbc.com/arabic/articles/c4nn0000xyzo?ns_source=twitter&ns_mchannel=social&ns_campaign=bbc_arabic",
     "BBC ns_* tags"},
    // Al Jazeera: /amp/ prefix, feed tags, bare host, trailing slash.
    {"https://www.aljazeera.com/news/2024/1/15/israeli-strikes-hit-southern-lebanon",
     "https://www.aljazeera.com/amp/news/2024/1/15/israeli-strikes-hit-southern-lebanon", "Al Jazeera /amp/"},
    {"https://www.aljazeera.com/news/2024/1/15/israeli-strikes-hit-southern-lebanon",
     "https://aljazeera.com/news/2024/1/15/israeli-strikes-hit-southern-lebanon/?utm_source=feedly&utm_medium=rss",
     "www, trailing slash, utm"},
    // Al Jazeera Arabic: an Arabic slug raw, escaped in lower and upper case.
    {"https://www.aljazeera.net/news/2024/1/15/غارات-إسرائيلية-على-جنوب-لبنان",
     "https://www.aljazeera.net/news/2024/1/15/%d8%ba%d8%a7%d8%b1%d8%a7%d8%aa-%d8%a5%d8%b3%d8%b1%d8%a7%d8%a6%d9%8a%d9%84%d9%8a%d8%a9-%d8%b9%d9%84%d9%89-%d8%ac%d9%86%d9%88%d8%a8-%d9%84%d8%a8%d9%86%d8%a7%d9%86",
     "IRI vs escaped"},
    {"https://www.aljazeera.net/news/2024/1/15/%D8%BA%D8%A7%D8%B1%D8%A7%D8%AA",
     "https://www.aljazeera.net/amp/news/2024/1/15/%d8%ba%d8%a7%d8%b1%d8%a7%d8%aa", "hex case, AMP"},
    // wafaamagazine (WordPress): every form its feed, share buttons and AMP plugin produce.
    {"https://wafaamagazine.com/archives/312845", "https://www.wafaamagazine.com/archives/312845/", "www, slash"},
    {"https://wafaamagazine.com/archives/312845", "http://wafaamagazine.com/archives/312845?amp=1", "?amp=1"},
    {"https://wafaamagazine.com/archives/312845", "https://wafaamagazine.com/archives/312845/amp/", "/amp/"},
    {"https://wafaamagazine.com/archives/312845", "https://wafaamagazine.com/archives/312845?amp", "?amp"},
    {"https://wafaamagazine.com/archives/312845",
     "https://wafaamagazine.com/archives/312845?utm_source=rss&utm_medium=rss&utm_campaign=x", "utm"},
    {"https://wafaamagazine.com/archives/312845",
     "https://wafaamagazine.com/archives/312845?fbclid=IwAR3xYz_abc", "fbclid"},
    // New York Times: .amp.html, share tags, the Google AMP cache.
    {"https://www.nytimes.com/2024/01/15/world/middleeast/lebanon-israel.html",
     "https://www.nytimes.com/2024/01/15/world/middleeast/lebanon-israel.amp.html", "NYT .amp.html"},
    {"https://www.nytimes.com/2024/01/15/world/middleeast/lebanon-israel.html",
     "https://www.nytimes.com/2024/01/15/world/middleeast/lebanon-israel.html?smid=tw-share&emc=rss", "NYT smid"},
    {"https://www.nytimes.com/2024/01/15/world/middleeast/lebanon-israel.html",
     "https://www-nytimes-com.cdn.ampproject.org/c/s/www.nytimes.com/2024/01/15/world/middleeast/lebanon-israel.amp.html",
     "AMP cache"},
    // Guardian: amp. host and CMP tags.
    {"https://www.theguardian.com/world/2024/jan/15/lebanon-israel-border",
     "https://amp.theguardian.com/world/2024/jan/15/lebanon-israel-border", "amp. host"},
    {"https://www.theguardian.com/world/2024/jan/15/lebanon-israel-border",
     "https://www.theguardian.com/world/2024/jan/15/lebanon-israel-border?CMP=Share_iOSApp_Other", "CMP"},
    // Washington Post: outputType=amp; CNN: index.html.
    {"https://www.washingtonpost.com/world/2024/01/15/lebanon-israel/",
     "https://www.washingtonpost.com/world/2024/01/15/lebanon-israel/?outputType=amp", "outputType=amp"},
    {"https://edition.cnn.com/2024/01/15/middleeast/lebanon-israel-intl/index.html",
     "https://edition.cnn.com/2024/01/15/middleeast/lebanon-israel-intl", "CNN index.html"},
    // Reuters, Sky News Arabia, Asharq Al-Awsat.
    {"https://www.reuters.com/world/middle-east/lebanon-2024-01-15/",
     "https://www.reuters.com/world/middle-east/lebanon-2024-01-15/?utm_source=reddit.com", "Reuters utm"},
    {"https://www.skynewsarabia.com/middle-east/1683456-lebanon",
     "https://www.skynewsarabia.com/amp/middle-east/1683456-lebanon", "Sky News Arabia /amp/"},
    {"https://aawsat.com/node/4789011", "https://aawsat.com/node/4789011/amp", "trailing /amp"},
    // Mailchimp and Instagram shares, ASP.NET default pages, dot segments, ports.
    {"https://www.example.com.lb/news/1", "https://www.example.com.lb/news/1?mc_cid=5f2&mc_eid=a1b", "mailchimp"},
    {"https://www.example.com.lb/news/1", "https://www.example.com.lb/news/1?igshid=MzRlODBiNWFl", "igshid"},
    {"https://www.example.gov.lb/ar/", "https://www.example.gov.lb/ar/Default.aspx", "default.aspx"},
    {"https://www.example.gov.lb/", "https://www.example.gov.lb/index.php", "index.php"},
    {"https://www.example.org/a/b", "https://www.example.org/a/./c/../b", "dot segments"},
    {"https://www.example.org/a/b", "https://WWW.EXAMPLE.ORG:443/a/b", "case, default port"},
    {"https://www.example.org/a?x=1&y=2", "https://www.example.org/a?y=2&x=1", "parameter order"},
};

constexpr UrlPair kDifferentArticles[] = {
    {"https://www.bbc.co.uk/news/world-67890123", "https://www.bbc.co.uk/news/world-67890124", "another id"},
    {"https://wafaamagazine.com/?p=312845", "https://wafaamagazine.com/?p=312846", "WordPress short links"},
    {"https://www.youm7.com/story/2024/1/15/x/6456789", "https://www.youm7.com/story/2024/1/15/x/6456790",
     "another story"},
    {"https://www.example.com/article.php?id=1", "https://www.example.com/article.php?id=2", "id parameter"},
    {"https://www.example.com/live?page=1", "https://www.example.com/live?page=2", "pages of a live blog"},
    {"https://news.example.com/x", "https://sport.example.com/x", "another subdomain"},
    {"https://www.example.com/News/X", "https://www.example.com/news/x", "paths are case-sensitive"},
    {"https://www.example.com/a%2Fb", "https://www.example.com/a/b", "an encoded slash is not a slash"},
    {"http://www.example.com:8080/x", "http://www.example.com/x", "another port"},
    {"https://www.nytimes.com/2024/01/15/world/x.html", "https://www.nytimes.com/2024/01/15/world/x",
     "only index pages fold"},
    {"https://www.example.com/tech/amplifier-review", "https://www.example.com/tech/", "amp inside a word"},
    {"https://www.example.com/2024/amp-ceo-resigns", "https://www.example.com/2024/ceo-resigns",
     "amp inside a slug"},
    {"https://www.aljazeera.com/news/2024/1/15/x", "https://www.aljazeera.net/news/2024/1/15/x",
     "another site (.com vs .net)"},
    {"https://www.example.com/x?lang=en", "https://www.example.com/x?lang=ar", "another language"},
};

TEST(CanonicalUrlCasesTest, VariantsOfOneArticleFoldToOneId) {
  for (const auto& pair : kSameArticle) {
    EXPECT_EQ(article_id_for_url(pair.a), article_id_for_url(pair.b))
        << pair.why << "\n  " << pair.a << " -> " << identity_key(pair.a) << "\n  " << pair.b << " -> "
        << identity_key(pair.b);
  }
}

TEST(CanonicalUrlCasesTest, DifferentArticlesKeepDifferentIds) {
  for (const auto& pair : kDifferentArticles) {
    EXPECT_NE(article_id_for_url(pair.a), article_id_for_url(pair.b))
        << pair.why << "\n  " << pair.a << "\n  " << pair.b << "\n  both -> " << identity_key(pair.a);
  }
}

TEST(CanonicalUrlCasesTest, PublishedUrlsAreTheSitesOwnPages) {
  EXPECT_EQ(canonical_url("https://amp.theguardian.com/world/2024/jan/15/x?CMP=fb_gu"),
            "https://www.theguardian.com/world/2024/jan/15/x");
  EXPECT_EQ(canonical_url("https://www-nytimes-com.cdn.ampproject.org/c/s/www.nytimes.com/2024/01/15/world/x.amp.html"),
            "https://www.nytimes.com/2024/01/15/world/x.html");
  EXPECT_EQ(canonical_url("https://www.bbc.co.uk/news/amp/world-67890123"), "https://www.bbc.co.uk/news/world-67890123");
  EXPECT_EQ(canonical_url("https://wafaamagazine.com/archives/312845/amp/"), "https://wafaamagazine.com/archives/312845/");
  EXPECT_EQ(canonical_url("https://edition.cnn.com/2024/01/15/middleeast/x/index.html"),
            "https://edition.cnn.com/2024/01/15/middleeast/x/");
  EXPECT_EQ(canonical_url("https://amp.dev/about"), "https://amp.dev/about");  // amp. is the site itself
}

}  // namespace
}  // namespace newsd::parsers
