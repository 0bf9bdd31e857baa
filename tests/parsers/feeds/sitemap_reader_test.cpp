// parse_sitemap() on the fixtures of tests/data/sitemaps (written for newsd)
// and on generated documents for the protocol's limits.
#include "parsers/feeds/sitemap_reader.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

std::string read(const std::string& name) {
  const std::string path = std::string(NEWSD_TEST_DATA_DIR) + "/sitemaps/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

FeedSource source(std::string url = "https://news.example.org/sitemap-news.xml", std::string content_type = {}) {
  FeedSource s;
  s.url = std::move(url);
  s.content_type = std::move(content_type);
  return s;
}

std::string rfc3339(const std::optional<FeedDate>& date) {
  return date && date->value ? format_rfc3339(*date->value) : "(none)";
}

Sitemap parsed(std::string_view bytes, const FeedSource& from = source()) {
  SitemapResult result = parse_sitemap(bytes, from);
  EXPECT_TRUE(result.sitemap) << to_string(result.error) << ": " << result.detail;
  return result.sitemap ? std::move(*result.sitemap) : Sitemap{};
}

TEST(SitemapReader, ReadsAGoogleNewsSitemapWhateverItsPrefixes) {
  const Sitemap sitemap = parsed(read("news-sitemap.xml"));
  EXPECT_EQ(sitemap.kind, Sitemap::Kind::urlset);
  EXPECT_EQ(sitemap.malformed, "");
  ASSERT_EQ(sitemap.entries.size(), 3u);

  const SitemapEntry& arabic = sitemap.entries[0];
  EXPECT_EQ(arabic.loc, "https://news.example.org/2024/05/04/beirut-talks");
  EXPECT_EQ(arabic.title, "وزير الخارجية يلتقي نظيره الفرنسي في بيروت");  // CDATA
  EXPECT_EQ(arabic.publication_name, "المجلة المثال");
  EXPECT_EQ(arabic.language, "ar");
  EXPECT_EQ(rfc3339(arabic.publication_date), "2024-05-04T08:30:00+03:00");
  EXPECT_EQ(rfc3339(arabic.lastmod), "2024-05-04T09:15:00+03:00");
  EXPECT_EQ(arabic.keywords, (std::vector<std::string>{"سياسة", "لبنان", "فرنسا"}));
  EXPECT_EQ(arabic.image, "https://news.example.org/images/talks.jpg");  // the first image

  const SitemapEntry& entities = sitemap.entries[1];
  EXPECT_EQ(entities.loc, "https://news.example.org/2024/05/03/markets?id=7&lang=en");  // trimmed, &amp; decoded
  EXPECT_EQ(entities.title, "Markets & \"oil\" rise — “cautiously”");
  EXPECT_EQ(entities.publication_name, "Example & Co. News");
  EXPECT_EQ(rfc3339(entities.publication_date), "2024-05-03T00:00:00Z");  // date only
  ASSERT_TRUE(entities.publication_date);
  EXPECT_EQ(entities.publication_date->raw, "2024-05-03");
  EXPECT_FALSE(entities.lastmod);
  EXPECT_TRUE(entities.keywords.empty());

  const SitemapEntry& relative = sitemap.entries[2];
  EXPECT_EQ(relative.loc, "https://news.example.org/2024/05/02/relative-page");  // against the sitemap's URL
  EXPECT_EQ(rfc3339(relative.lastmod), "2024-05-02T23:00:00-05:00");
  EXPECT_EQ(relative.title, "");
  EXPECT_FALSE(relative.publication_date);

  // javascript:, mailto: and a <url> without <loc>.
  EXPECT_EQ(sitemap.dropped, 3u);
  EXPECT_EQ(sitemap.over_cap, 0u);
}

TEST(SitemapReader, RelativeLocsWithoutABaseAreDropped) {
  const Sitemap sitemap = parsed(read("news-sitemap.xml"), source(""));
  ASSERT_EQ(sitemap.entries.size(), 2u);
  EXPECT_EQ(sitemap.dropped, 4u);
}

TEST(SitemapReader, ReadsAPlainUrlset) {
  const Sitemap sitemap = parsed(read("urlset.xml"), source("https://www.example.com/sitemap.xml"));
  EXPECT_EQ(sitemap.kind, Sitemap::Kind::urlset);
  ASSERT_EQ(sitemap.entries.size(), 3u);
  EXPECT_EQ(sitemap.entries[0].loc, "https://www.example.com/");
  EXPECT_EQ(rfc3339(sitemap.entries[0].lastmod), "2024-04-30T00:00:00Z");
  EXPECT_EQ(rfc3339(sitemap.entries[1].lastmod), "2024-04-29T10:00:00+02:00");  // W3C: no seconds
  EXPECT_FALSE(sitemap.entries[2].lastmod);
  EXPECT_EQ(sitemap.entries[2].title, "");
  EXPECT_TRUE(sitemap.entries[2].keywords.empty());
  EXPECT_EQ(sitemap.dropped, 0u);
}

TEST(SitemapReader, ReadsASitemapIndex) {
  const Sitemap sitemap = parsed(read("sitemap-index.xml"), source("https://news.example.org/sitemap.xml"));
  EXPECT_EQ(sitemap.kind, Sitemap::Kind::index);
  EXPECT_TRUE(sitemap.entries.empty());
  ASSERT_EQ(sitemap.children.size(), 3u);
  EXPECT_EQ(sitemap.children[0].loc, "https://news.example.org/sitemap-news.xml");
  EXPECT_EQ(rfc3339(sitemap.children[0].lastmod), "2024-05-04T09:15:00+03:00");
  EXPECT_EQ(sitemap.children[1].loc, "https://news.example.org/sitemap-2024-04.xml.gz");
  EXPECT_EQ(rfc3339(sitemap.children[1].lastmod), "2024-04-30T00:00:00Z");
  EXPECT_EQ(sitemap.children[2].loc, "https://news.example.org/sitemap-pages.xml");
  EXPECT_FALSE(sitemap.children[2].lastmod);
  EXPECT_EQ(sitemap.dropped, 1u);  // ftp:
}

TEST(SitemapReader, DecodesTheCharsetItsDeclarationNames) {
  const Sitemap sitemap = parsed(read("windows-1256.xml"));
  ASSERT_EQ(sitemap.entries.size(), 1u);
  EXPECT_EQ(sitemap.entries[0].title, "مجلس الوزراء يقر الموازنة");
  EXPECT_EQ(sitemap.entries[0].publication_name, "صحيفة المثال");
  EXPECT_EQ(sitemap.malformed, "");
}

TEST(SitemapReader, TheHttpCharsetOfAnXmlMediaTypeWins) {
  // RFC 7303, as for feeds: the bytes are windows-1256 whatever the declaration says.
  std::string bytes = read("windows-1256.xml");
  bytes.replace(bytes.find("windows-1256"), 12, "iso-8859-1");
  const Sitemap sitemap = parsed(bytes, source("https://news.example.org/s.xml", "application/xml; charset=windows-1256"));
  ASSERT_EQ(sitemap.entries.size(), 1u);
  EXPECT_EQ(sitemap.entries[0].title, "مجلس الوزراء يقر الموازنة");
}

TEST(SitemapReader, InflatesAGzipBody) {
  const Sitemap plain = parsed(read("news-sitemap.xml"));
  const Sitemap gunzipped = parsed(read("news-sitemap.xml.gz"));
  ASSERT_EQ(gunzipped.entries.size(), plain.entries.size());
  for (std::size_t i = 0; i < plain.entries.size(); ++i) {
    EXPECT_EQ(gunzipped.entries[i].loc, plain.entries[i].loc);
    EXPECT_EQ(gunzipped.entries[i].title, plain.entries[i].title);
  }
  EXPECT_EQ(gunzipped.malformed, "");
}

TEST(SitemapReader, ATruncatedGzipBodyKeepsWhatItInflatedTo) {
  const std::string gz = read("news-sitemap.xml.gz");
  const SitemapResult result = parse_sitemap(std::string_view(gz).substr(0, gz.size() * 2 / 3), source());
  ASSERT_TRUE(result.sitemap) << result.detail;
  EXPECT_NE(result.sitemap->malformed.find("gzip stream truncated"), std::string::npos) << result.sitemap->malformed;
  ASSERT_FALSE(result.sitemap->entries.empty());
  EXPECT_EQ(result.sitemap->entries[0].loc, "https://news.example.org/2024/05/04/beirut-talks");
}

TEST(SitemapReader, GzipMagicWithGarbageIsUnreadable) {
  const SitemapResult result = parse_sitemap(std::string("\x1f\x8b\x08\x00garbage-not-deflate", 23), source());
  ASSERT_FALSE(result.sitemap);
  EXPECT_EQ(result.error, SitemapError::unreadable);
  EXPECT_NE(result.detail.find("gzip"), std::string::npos) << result.detail;
}

TEST(SitemapReader, RecoversTheEntriesOfATruncatedDocument) {
  const Sitemap sitemap = parsed(read("truncated.xml"));
  EXPECT_NE(sitemap.malformed, "");
  ASSERT_EQ(sitemap.entries.size(), 2u);
  EXPECT_EQ(sitemap.entries[0].title, "First");
  EXPECT_EQ(sitemap.entries[1].loc, "https://news.example.org/b");
  EXPECT_EQ(sitemap.entries[1].title, "Sec");
}

TEST(SitemapReader, BrokenMarkupWithoutARootIsUnreadable) {
  const SitemapResult result = parse_sitemap("<<<?? <!-- never closed", source());
  ASSERT_FALSE(result.sitemap);
  EXPECT_EQ(result.error, SitemapError::unreadable);
  EXPECT_FALSE(result.detail.empty());
}

TEST(SitemapReader, AFeedIsNotASitemap) {
  const SitemapResult result = parse_sitemap(
      R"(<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
         <item><link>https://news.example.org/a</link></item></channel></rss>)",
      source());
  ASSERT_FALSE(result.sitemap);
  EXPECT_EQ(result.error, SitemapError::not_a_sitemap);
  EXPECT_NE(result.detail.find("is a feed"), std::string::npos) << result.detail;

  const SitemapResult atom = parse_sitemap(R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>)", source());
  EXPECT_EQ(atom.error, SitemapError::not_a_sitemap);
}

TEST(SitemapReader, OtherDocumentsAreNotSitemaps) {
  EXPECT_EQ(parse_sitemap("<html><body><p>hello</p></body></html>", source()).error, SitemapError::not_a_sitemap);
  EXPECT_EQ(parse_sitemap("<catalog><book/></catalog>", source()).error, SitemapError::not_a_sitemap);
  EXPECT_EQ(parse_sitemap("just some text", source()).error, SitemapError::not_a_sitemap);
  EXPECT_EQ(parse_sitemap(" \n\t", source()).error, SitemapError::empty);
  EXPECT_EQ(parse_sitemap("", source()).error, SitemapError::empty);
}

TEST(SitemapReader, AnUndeclaredNamespaceStillReadsAsASitemap) {
  // No xmlns at all and the usual prefixes undeclared: read by their conventional meaning.
  const Sitemap sitemap = parsed(
      "<urlset><url><loc>https://news.example.org/x</loc>"
      "<news:news><news:title>Undeclared</news:title></news:news></url></urlset>");
  ASSERT_EQ(sitemap.entries.size(), 1u);
  EXPECT_EQ(sitemap.entries[0].title, "Undeclared");
}

TEST(SitemapReader, ReadsNoMoreThanTheProtocolsFiftyThousandUrls) {
  std::string document = R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (std::size_t i = 0; i < kMaxSitemapUrls + 7; ++i)
    document += "<url><loc>https://news.example.org/" + std::to_string(i) + "</loc></url>";
  document += "</urlset>";
  const Sitemap sitemap = parsed(document);
  ASSERT_EQ(sitemap.entries.size(), kMaxSitemapUrls);
  EXPECT_EQ(sitemap.entries.back().loc, "https://news.example.org/49999");
  EXPECT_EQ(sitemap.over_cap, 7u);
}

TEST(SitemapReader, RefusesADocumentOverFiftyMebibytes) {
  const std::string document(kMaxSitemapBytes + 1, 'x');
  const SitemapResult result = parse_sitemap(document, source());
  ASSERT_FALSE(result.sitemap);
  EXPECT_EQ(result.error, SitemapError::too_large);
}

TEST(SitemapReader, EntriesBecomeFeedItems) {
  const Sitemap sitemap = parsed(read("news-sitemap.xml"));
  const FeedItem item = sitemap_entry_as_item(sitemap.entries[0]);
  EXPECT_EQ(item.link, "https://news.example.org/2024/05/04/beirut-talks");
  EXPECT_EQ(item.guid, "");
  EXPECT_EQ(item.title, "وزير الخارجية يلتقي نظيره الفرنسي في بيروت");
  EXPECT_EQ(rfc3339(item.published), "2024-05-04T08:30:00+03:00");
  EXPECT_EQ(rfc3339(item.updated), "2024-05-04T09:15:00+03:00");
  EXPECT_EQ(item.language, "ar");
  EXPECT_EQ(item.categories, (std::vector<std::string>{"سياسة", "لبنان", "فرنسا"}));
  EXPECT_EQ(item.image, "https://news.example.org/images/talks.jpg");

  // A plain entry's lastmod is no publication date.
  const FeedItem plain = sitemap_entry_as_item(sitemap.entries[2]);
  EXPECT_FALSE(plain.published);
  EXPECT_EQ(rfc3339(plain.updated), "2024-05-02T23:00:00-05:00");

  const Feed feed = sitemap_as_feed(sitemap);
  EXPECT_EQ(feed.format, "sitemap");
  EXPECT_EQ(feed.title, "المجلة المثال");
  EXPECT_EQ(feed.language, "ar");
  ASSERT_EQ(feed.items.size(), 3u);
  EXPECT_EQ(feed.items[1].link, "https://news.example.org/2024/05/03/markets?id=7&lang=en");
}

}  // namespace
}  // namespace newsd::parsers
