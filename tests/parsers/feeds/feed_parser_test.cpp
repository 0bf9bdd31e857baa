#include <gtest/gtest.h>


#include "parsers/feeds/feed.hpp"
#include "tests/support/test_file.hpp"

namespace newsd::parsers {
namespace {

std::string fixture(const std::string& name) {
  return testing_support::read_test_file(std::string(NEWSD_TEST_DATA_DIR) + "/feeds/" + name);
}

Feed parse_ok(std::string_view bytes, FeedSource source = {}) {
  FeedResult result = parse_feed(bytes, source);
  EXPECT_TRUE(result.feed) << to_string(result.error) << ": " << result.detail;
  return result.feed ? std::move(*result.feed) : Feed{};
}

std::string rfc3339(const std::optional<FeedDate>& date) {
  return date && date->value ? format_rfc3339(*date->value) : "(none)";
}

TEST(FeedParser, WordPressArabicRss) {
  const Feed feed = parse_ok(fixture("wafaamagazine_rss.xml"), {.url = "https://wafaamagazine.com/feed"});
  EXPECT_EQ(feed.format, "rss2.0");
  EXPECT_EQ(feed.title, "مجلة وفاء wafaamagazine");
  EXPECT_EQ(feed.link, "https://wafaamagazine.com");
  EXPECT_EQ(feed.language, "ar");
  EXPECT_EQ(rfc3339(feed.updated), "2021-05-19T21:15:02Z");
  ASSERT_TRUE(feed.image);
  EXPECT_EQ(feed.image->url, "https://wafaamagazine.com/wp-content/uploads/2020/01/cropped-logo-32x32.png");
  EXPECT_EQ(feed.malformed, "");
  ASSERT_EQ(feed.items.size(), 2u);

  const FeedItem& item = feed.items[0];
  EXPECT_EQ(item.title, "بلينكن ولافروف يؤكدان على ضرورة الحوار رغم “الخلافات القوية”");
  EXPECT_EQ(item.link, "https://wafaamagazine.com/archives/312845");
  EXPECT_EQ(item.guid, "https://wafaamagazine.com/?p=312845");
  EXPECT_FALSE(item.guid_is_permalink);
  EXPECT_EQ(item.comments, "https://wafaamagazine.com/archives/312845#respond");
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "مجلة وفاء wafaamagazine");
  EXPECT_EQ(item.authors[0].email, "");
  EXPECT_EQ(rfc3339(item.published), "2021-05-19T21:12:41Z");
  EXPECT_EQ(item.published->raw, "Wed, 19 May 2021 21:12:41 +0000");
  EXPECT_EQ(item.categories, (std::vector<std::string>{"آخر الأخبار", "عربي ودولي"}));
  EXPECT_TRUE(item.summary.starts_with("أكد كل من وزير الخارجية"));
  EXPECT_TRUE(item.content.starts_with("<p><img class=\"size-full\""));
  EXPECT_NE(item.content.find("&#8220;لا يخفى سرا"), std::string::npos) << "CDATA content kept byte for byte";
  EXPECT_NE(item.content.find("&nbsp;"), std::string::npos);
  EXPECT_EQ(item.image, "https://wafaamagazine.com/wp-content/uploads/2021/05/img-312845.jpg");
  EXPECT_EQ(feed.items[1].title, "الطقس: أجواء ربيعية & ارتفاع في الحرارة");
}

TEST(FeedParser, RssNamespacesAndEnclosures) {
  const Feed feed = parse_ok(R"(<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:x="urn:unknown">
<channel>
  <title>Pod &amp; News</title>
  <atom:link rel="self" href="https://example.org/feed.xml"/>
  <atom:link rel="alternate" href="https://example.org/"/>
  <managingEditor>editor@example.org (Ed Itor)</managingEditor>
  <ttl>15</ttl>
  <item>
    <title><![CDATA[A <b>bold</b> move]]></title>
    <guid>https://example.org/a</guid>
    <author>Jane Doe &lt;jane@example.org&gt;</author>
    <enclosure url="/audio/a.mp3" length="123456" type="audio/mpeg"/>
    <media:group><media:thumbnail url="https://cdn.example.org/a.jpg"/></media:group>
    <itunes:keywords>one, two</itunes:keywords>
    <x:whatever>ignored</x:whatever>
  </item>
</channel></rss>)",
                             {.url = "https://example.org/feed.xml"});
  EXPECT_EQ(feed.title, "Pod & News");
  EXPECT_EQ(feed.link, "https://example.org/");
  ASSERT_EQ(feed.authors.size(), 1u);
  EXPECT_EQ(feed.authors[0].name, "Ed Itor");
  EXPECT_EQ(feed.authors[0].email, "editor@example.org");
  EXPECT_EQ(feed.ttl_minutes, 15);
  ASSERT_EQ(feed.items.size(), 1u);
  const FeedItem& item = feed.items[0];
  EXPECT_EQ(item.title, "A bold move");
  EXPECT_TRUE(item.guid_is_permalink) << "isPermaLink defaults to true";
  EXPECT_EQ(item.link, "https://example.org/a") << "a permalink guid stands in for a missing link";
  ASSERT_EQ(item.authors.size(), 1u);
  EXPECT_EQ(item.authors[0].name, "Jane Doe");
  EXPECT_EQ(item.authors[0].email, "jane@example.org");
  ASSERT_EQ(item.enclosures.size(), 1u);
  EXPECT_EQ(item.enclosures[0].url, "https://example.org/audio/a.mp3");
  EXPECT_EQ(item.enclosures[0].length, 123456);
  EXPECT_EQ(item.enclosures[0].type, "audio/mpeg");
  EXPECT_EQ(item.image, "https://cdn.example.org/a.jpg");
  EXPECT_EQ(item.categories, (std::vector<std::string>{"one", "two"}));
}

TEST(FeedParser, Atom10) {
  const Feed feed = parse_ok(R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="https://example.org/blog/">
  <title type="html">Blog &lt;i&gt;of&lt;/i&gt; things</title>
  <subtitle>All the things</subtitle>
  <link rel="self" href="feed.atom"/>
  <link rel="alternate" type="text/html" href="./"/>
  <updated>2021-05-19T21:12:41+03:00</updated>
  <author><name>Ann</name><email>ann@example.org</email></author>
  <logo>/logo.png</logo>
  <entry>
    <title>First</title>
    <link href="posts/1"/>
    <link rel="enclosure" href="/a.mp3" length="10" type="audio/mpeg"/>
    <id>tag:example.org,2021:1</id>
    <published>2021-05-18T10:00:00Z</published>
    <updated>2021-05-19T10:00:00Z</updated>
    <category term="t1" label="Label 1"/>
    <summary>Short</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hello <b>world</b></p></div></content>
  </entry>
  <entry xml:base="https://other.example/">
    <title type="text">Second</title>
    <link rel="alternate" href="two"/>
    <author><name>Bob</name></author>
    <content type="html">&lt;p&gt;Two&lt;/p&gt;</content>
  </entry>
</feed>)");
  EXPECT_EQ(feed.format, "atom1.0");
  EXPECT_EQ(feed.title, "Blog of things");
  EXPECT_EQ(feed.description, "All the things");
  EXPECT_EQ(feed.link, "https://example.org/blog/");
  EXPECT_EQ(feed.language, "en");
  EXPECT_EQ(rfc3339(feed.updated), "2021-05-19T21:12:41+03:00");
  ASSERT_TRUE(feed.image);
  EXPECT_EQ(feed.image->url, "https://example.org/logo.png");
  ASSERT_EQ(feed.items.size(), 2u);
  const FeedItem& first = feed.items[0];
  EXPECT_EQ(first.link, "https://example.org/blog/posts/1");
  EXPECT_EQ(first.guid, "tag:example.org,2021:1");
  EXPECT_EQ(rfc3339(first.published), "2021-05-18T10:00:00Z");
  EXPECT_EQ(rfc3339(first.updated), "2021-05-19T10:00:00Z");
  EXPECT_EQ(first.categories, std::vector<std::string>{"t1"}) << "the term is the category; the label is display text";
  EXPECT_EQ(first.summary, "Short");
  EXPECT_EQ(first.content, "<p>Hello <b>world</b></p>");
  ASSERT_EQ(first.enclosures.size(), 1u);
  EXPECT_EQ(first.enclosures[0].url, "https://example.org/a.mp3");
  ASSERT_EQ(first.authors.size(), 1u);
  EXPECT_EQ(first.authors[0].name, "Ann") << "an entry without author has the feed's (RFC 4287)";
  const FeedItem& second = feed.items[1];
  EXPECT_EQ(second.link, "https://other.example/two") << "xml:base on the entry wins";
  EXPECT_EQ(second.content, "<p>Two</p>");
  EXPECT_EQ(second.authors[0].name, "Bob");
}

TEST(FeedParser, RelativeUrlsUseFeedUrlThenContentLocation) {
  const std::string rss = "<rss version=\"2.0\"><channel><item><link>/a</link></item></channel></rss>";
  EXPECT_EQ(parse_ok(rss, {.url = "https://site.example/feed"}).items[0].link, "https://site.example/a");
  EXPECT_EQ(parse_ok(rss, {.content_location = "https://cl.example/feed"}).items[0].link, "https://cl.example/a");
  EXPECT_EQ(parse_ok(rss, {}).items[0].link, "/a") << "no base: kept as published";
}

TEST(FeedParser, Rss10Rdf) {
  const Feed feed = parse_ok(R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://example.org/"><title>RDF</title><link>http://example.org/</link>
    <dc:date>2004-01-01T00:00:00Z</dc:date></channel>
  <item rdf:about="http://example.org/1"><title>One</title><link>http://example.org/1</link>
    <dc:creator>Ann</dc:creator><dc:date>2004-01-02T00:00:00Z</dc:date><dc:subject>S</dc:subject></item>
</rdf:RDF>)");
  EXPECT_EQ(feed.format, "rss1.0");
  EXPECT_EQ(feed.title, "RDF");
  EXPECT_EQ(rfc3339(feed.updated), "2004-01-01T00:00:00Z");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].authors[0].name, "Ann");
  EXPECT_EQ(rfc3339(feed.items[0].published), "2004-01-02T00:00:00Z");
  EXPECT_EQ(feed.items[0].categories, std::vector<std::string>{"S"});
}

TEST(FeedParser, UnparseableDateKeepsRaw) {
  const Feed feed =
      parse_ok("<rss version=\"2.0\"><channel><item><pubDate>sometime soon</pubDate></item></channel></rss>");
  ASSERT_TRUE(feed.items[0].published);
  EXPECT_EQ(feed.items[0].published->raw, "sometime soon");
  EXPECT_FALSE(feed.items[0].published->value);
}

TEST(FeedParser, Errors) {
  EXPECT_EQ(parse_feed("", {}).error, FeedError::empty);
  EXPECT_EQ(parse_feed("  \n", {}).error, FeedError::empty);
  EXPECT_EQ(parse_feed("<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>", {}).error,
            FeedError::not_a_feed);
  EXPECT_EQ(parse_feed("<!DOCTYPE html><html><head><meta charset=utf-8><title>x</title></head><body><p>hi</body></html>", {}).error,
            FeedError::not_a_feed);
  EXPECT_EQ(parse_feed("just some text", {}).error, FeedError::not_a_feed);
  EXPECT_EQ(parse_feed("<svg xmlns=\"http://www.w3.org/2000/svg\"/>", {}).error, FeedError::not_a_feed);
  EXPECT_STRNE(to_string(FeedError::unreadable).data(), "");
}

TEST(FeedParserFormats, Rss09x) {
  for (const char* version : {"0.91", "0.92", "0.93", "0.94"}) {
    const Feed feed = parse_ok(std::string("<rss version=\"") + version +
                               "\"><channel><title>T</title><item><title>I</title><description>D</description>"
                               "</item></channel></rss>");
    EXPECT_EQ(feed.format, std::string("rss") + version);
    ASSERT_EQ(feed.items.size(), 1u);
    EXPECT_EQ(feed.items[0].summary, "D");
  }
  const Feed rss090 = parse_ok(R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>Old</title><link>http://o.example/</link></channel>
      <item><title>One</title><link>http://o.example/1</link></item></rdf:RDF>)");
  EXPECT_EQ(rss090.format, "rss0.90");
  ASSERT_EQ(rss090.items.size(), 1u);
  EXPECT_EQ(rss090.items[0].link, "http://o.example/1");
}

TEST(FeedParserFormats, Atom03) {
  const Feed feed = parse_ok(R"(<feed version="0.3" xmlns="http://purl.org/atom/ns#">
    <title mode="escaped">A &lt;b&gt;bold&lt;/b&gt; title</title><tagline>Tag</tagline>
    <modified>2004-01-01T00:00:00Z</modified>
    <entry><title mode="base64">RW50cnkgVGl0bGU=</title><issued>2004-01-02T00:00:00Z</issued>
      <link rel="alternate" type="text/html" href="http://a.example/1"/><id>urn:a:1</id>
      <content type="text/html" mode="escaped">&lt;p&gt;Body&lt;/p&gt;</content></entry></feed>)");
  EXPECT_EQ(feed.format, "atom0.3");
  EXPECT_EQ(feed.title, "A bold title");
  EXPECT_EQ(feed.description, "Tag");
  EXPECT_EQ(rfc3339(feed.updated), "2004-01-01T00:00:00Z");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "Entry Title");
  EXPECT_EQ(rfc3339(feed.items[0].published), "2004-01-02T00:00:00Z");
  EXPECT_EQ(feed.items[0].link, "http://a.example/1");
  EXPECT_EQ(feed.items[0].content, "<p>Body</p>");
}

TEST(FeedParserFormats, JsonFeed) {
  const Feed feed = parse_ok(R"({"version": "https://jsonfeed.org/version/1.1", "title": "J",
    "home_page_url": "https://j.example/", "language": "ar", "authors": [{"name": "Ann"}],
    "items": [{"id": 42, "url": "/posts/1", "title": " One ", "content_html": "<p>x</p>",
      "summary": "s", "date_published": "2021-05-19T21:12:41+00:00", "tags": ["a", "b"],
      "image": "https://j.example/i.png",
      "attachments": [{"url": "https://j.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 7}]},
     {"id": "2", "content_text": "plain", "authors": [{"name": "Bob"}]}]})",
                             {.url = "https://j.example/feed.json"});
  EXPECT_EQ(feed.format, "json1.1");
  EXPECT_EQ(feed.title, "J");
  EXPECT_EQ(feed.link, "https://j.example/");
  ASSERT_EQ(feed.items.size(), 2u);
  const FeedItem& one = feed.items[0];
  EXPECT_EQ(one.guid, "42");
  EXPECT_EQ(one.link, "https://j.example/posts/1");
  EXPECT_EQ(one.title, "One");
  EXPECT_EQ(one.content, "<p>x</p>");
  EXPECT_EQ(rfc3339(one.published), "2021-05-19T21:12:41Z");
  EXPECT_EQ(one.categories, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(one.enclosures.size(), 1u);
  EXPECT_EQ(one.enclosures[0].length, 7);
  EXPECT_EQ(one.authors[0].name, "Ann") << "items inherit the feed's authors";
  EXPECT_EQ(feed.items[1].content, "plain");
  EXPECT_EQ(feed.items[1].authors[0].name, "Bob");
  EXPECT_EQ(parse_feed(R"({"hello": "world"})", {}).error, FeedError::not_a_feed);
  EXPECT_EQ(parse_feed(R"({"version": "1.1", "items": [)", {}).error, FeedError::unreadable);
}

TEST(FeedParserEncodings, Windows1256Declared) {
  const Feed feed = parse_ok(fixture("arabic_windows1256.xml"), {.url = "https://news.example/feed"});
  EXPECT_EQ(feed.title, "أخبار اليوم");
  EXPECT_EQ(feed.items[0].title, "عنوان الخبر الأول");
  EXPECT_EQ(feed.items[0].link, "https://news.example/1");
  EXPECT_EQ(rfc3339(feed.items[0].published), "2021-05-19T21:12:00Z");
  EXPECT_EQ(feed.malformed, "");
}

TEST(FeedParserEncodings, HttpCharsetBeatsXmlDeclarationForXmlTypes) {
  // The bytes are windows-1256 as the declaration says; an HTTP header naming
  // ISO-8859-6 wins for text/xml (RFC 7303), and decodes them differently.
  const std::string bytes = fixture("arabic_windows1256.xml");
  const Feed by_declaration = parse_ok(bytes, {.content_type = "text/html; charset=iso-8859-6"});
  EXPECT_EQ(by_declaration.title, "أخبار اليوم") << "not an XML media type: the declaration wins";
  const Feed by_http = parse_ok(bytes, {.content_type = "text/xml; charset=iso-8859-6"});
  EXPECT_NE(by_http.title, "أخبار اليوم");
  const Feed by_http_app = parse_ok(bytes, {.content_type = "application/rss+xml; charset=windows-1256"});
  EXPECT_EQ(by_http_app.title, "أخبار اليوم");
}

TEST(FeedParserEncodings, BomBeatsEverything) {
  const Feed feed = parse_ok(fixture("atom_utf16le_bom.xml"), {.content_type = "text/xml; charset=iso-8859-1"});
  EXPECT_EQ(feed.title, "Ünïcode ☃ عربي");
  std::string utf8_bom = "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss version=\"2.0\"><channel>"
                         "<title>\xD8\xB3</title></channel></rss>";
  EXPECT_EQ(parse_ok(utf8_bom).title, "س");
}

TEST(FeedParserEncodings, UndeclaredLegacyCharsetIsDetected) {
  const Feed feed = parse_ok(fixture("arabic_iso8859_6_no_decl.xml"));
  EXPECT_EQ(feed.title, "أخبار اليوم");
  EXPECT_NE(feed.malformed.find("detected"), std::string::npos) << feed.malformed;
}

TEST(FeedParserEncodings, MislabelledUtf8) {
  const Feed feed = parse_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>"
                             "<title>مجلة وفاء</title></channel></rss>");
  EXPECT_EQ(feed.title, "مجلة وفاء");
  EXPECT_NE(feed.malformed.find("bytes are UTF-8"), std::string::npos);
  EXPECT_EQ(parse_ok("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>"
                     "<title>caf\xE9 \x93q\x94</title></channel></rss>")
                .title,
            "café “q”");
}

TEST(FeedParserMalformed, BrokenWordPressFeedIsRecovered) {
  const Feed feed = parse_ok(fixture("broken_wordpress.xml"));
  EXPECT_EQ(feed.title, "Broken & Co");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].title, "Café … Tom & Jerry show");
  EXPECT_EQ(feed.items[0].authors[0].name, "Ann");
  EXPECT_EQ(feed.items[1].title, "Second");
  EXPECT_EQ(feed.items[1].summary, "cut here");
  for (const char* note : {"junk before the XML declaration", "HTML entities", "bare '&'", "truncated",
                           "control characters"})
    EXPECT_NE(feed.malformed.find(note), std::string::npos) << note << " in: " << feed.malformed;
}

TEST(FeedParserMalformed, MismatchedTagsAreRebalanced) {
  const Feed feed = parse_ok("<rss version=\"2.0\"><channel><language>en</langauge><title>T</title>"
                             "<item><title>A</title><description>x <p>y</description></item></channel></rss>");
  EXPECT_EQ(feed.language, "en");
  EXPECT_EQ(feed.title, "T");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].title, "A");
  EXPECT_FALSE(feed.malformed.empty());
}

TEST(FeedParserMalformed, CdataIsNotTouchedByRepairs) {
  const Feed feed = parse_ok("<rss version=\"2.0\"><channel><item><description>&nbsp;</description>"
                             "<content:encoded><![CDATA[a & b &nbsp; <br>]]></content:encoded></item></channel></rss>");
  EXPECT_EQ(feed.items[0].content, "a & b &nbsp; <br>");
  EXPECT_EQ(feed.items[0].summary, "\u00A0");
}

TEST(FeedParserMalformed, EntityBombsAndExternalEntitiesAreNotExpanded) {
  std::string bomb = "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\">";
  bomb += "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">";
  bomb += "<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>";
  bomb += "<rss version=\"2.0\"><channel><title>&c; &ext;</title></channel></rss>";
  const Feed feed = parse_ok(bomb);
  EXPECT_LT(feed.title.size(), 64u) << feed.title;
  EXPECT_EQ(feed.title.find("root:"), std::string::npos);
  EXPECT_FALSE(feed.malformed.empty()) << "an entity left unexpanded is a repair";
}

TEST(FeedParserMalformed, EmptyEntityBombStopsWithinItsWorkBudget) {
  // Each level doubles the references to an entity that expands to nothing:
  // no output grows, so only a bound on work stops 2^40 expansions.
  std::string doc = "<!DOCTYPE rss [<!ENTITY e0 \"\">";
  for (int level = 1; level <= 40; ++level)
    doc += "<!ENTITY e" + std::to_string(level) + " \"&e" + std::to_string(level - 1) + ";&e" +
           std::to_string(level - 1) + ";\">";
  doc += "]><rss version=\"2.0\"><channel><title>x&e40;y</title></channel></rss>";
  const Feed feed = parse_ok(doc);
  EXPECT_EQ(feed.title, "x&e40;y");
}

TEST(FeedParser, InternalSubsetEntitiesAreExpanded) {
  const Feed feed = parse_ok(
      "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY id \"tag:example.com,\">"
      "<!ENTITY site \"Example &amp; Co &#8217;&id;\"><!ENTITY % param \"ignored\">\n"
      "<!ENTITY local SYSTEM \"file:///etc/hostname\">]>\n"
      "<rss version=\"2.0\"><channel><title>&site;</title>"
      "<item><guid isPermaLink=\"false\">&id;2006-05-04:/blog/</guid><title>&lt;&local;</title></item>"
      "</channel></rss>");
  EXPECT_EQ(feed.title, "Example & Co \u2019tag:example.com,");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].guid, "tag:example.com,2006-05-04:/blog/");
  EXPECT_EQ(feed.items[0].title, "<&local;") << "an external entity is never read";
}

TEST(FeedParser, EscapedMarkupInXhtmlAndHtmlTitlesStaysText) {
  const Feed feed = parse_ok(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"xhtml\">"
      "<div xmlns=\"http://www.w3.org/1999/xhtml\">History of the &lt;blink&gt; <b>tag</b></div></title>"
      "<subtitle type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">1 &lt; 2 &amp; 3</div></subtitle>"
      "<entry><title type=\"html\">History of the &amp;lt;blink&amp;gt; &lt;i&gt;tag&lt;/i&gt;</title></entry>"
      "<entry><title type=\"text\">a &lt;b&gt; c</title></entry></feed>");
  EXPECT_EQ(feed.title, "History of the <blink> tag");
  EXPECT_EQ(feed.description, "1 &lt; 2 &amp; 3") << "XHTML kept as markup, its text escaped";
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].title, "History of the <blink> tag");
  EXPECT_EQ(feed.items[1].title, "a <b> c");
}

TEST(FeedParser, C1ControlsReadAsWindows1252) {
  const Feed feed = parse_ok(
      "<rss version=\"2.0\"><channel><item><title>don&#146;t</title><description>don\xC2\x92t</description>"
      "</item><item><title>&#226;&#128;&#166;</title><description><![CDATA[don&#146;t]]></description>"
      "</item></channel></rss>");
  ASSERT_EQ(feed.items.size(), 2u);
  EXPECT_EQ(feed.items[0].title, "don\u2019t");
  EXPECT_EQ(feed.items[0].summary, "don\u2019t") << "a raw C1 control is windows-1252 decoded as Latin-1";
  EXPECT_EQ(feed.items[1].title, "\u2026") << "UTF-8 written as Latin-1 references";
  EXPECT_EQ(feed.malformed, "") << "&#146; is well-formed XML";
}

TEST(FeedParser, AtomCategoryKeepsTermNotLabel) {
  const Feed feed = parse_ok(
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><category term=\"atom10\" label=\"Atom 1.0 tests\"/>"
      "<category>plain</category></entry></feed>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].categories, (std::vector<std::string>{"atom10", "plain"}));
}

TEST(FeedParser, NamespaceVariantsAreRecognised) {
  const Feed itunes = parse_ok(
      "<rss xmlns:itunes=\"http://www.itunes.com/DTDs/Podcast-1.0.dtd\"><channel>"
      "<itunes:image href=\"http://example.com/logo.jpg\"/><author>Ed (ed@example.com)</author>"
      "<item><itunes:category text=\"Technology\"><itunes:category text=\"Gadgets\"/></itunes:category>"
      "</item></channel></rss>");
  ASSERT_TRUE(itunes.image);
  EXPECT_EQ(itunes.image->url, "http://example.com/logo.jpg");
  ASSERT_EQ(itunes.authors.size(), 1u);
  EXPECT_EQ(itunes.authors[0].email, "ed@example.com");
  ASSERT_EQ(itunes.items.size(), 1u);
  EXPECT_EQ(itunes.items[0].categories, (std::vector<std::string>{"Technology", "Gadgets"}));
  const Feed unknown_root = parse_ok(
      "<feed version=\"0.3\" xmlns=\"http://example.com/newformat#\" xml:lang=\"en_US\"><title>T</title></feed>");
  EXPECT_EQ(unknown_root.title, "T");
  EXPECT_EQ(unknown_root.language, "en-US");
  EXPECT_EQ(parse_ok("<rss xmlns=\"\"><channel><title>empty</title></channel></rss>").title, "empty");
}

TEST(FeedParser, XhtmlBodyAndMediaTitleInRss) {
  const Feed feed = parse_ok(
      "<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><item>"
      "<body xmlns=\"http://www.w3.org/1999/xhtml\"><p>Example &amp; content</p></body>"
      "<media:title>bar</media:title><media:category>cat1</media:category></item></channel></rss>");
  ASSERT_EQ(feed.items.size(), 1u);
  EXPECT_EQ(feed.items[0].content, "<p>Example &amp; content</p>");
  EXPECT_EQ(feed.items[0].title, "bar");
  EXPECT_EQ(feed.items[0].categories, std::vector<std::string>{"cat1"});
}

TEST(FeedParserMalformed, EveryRepairIsReported) {
  // Each of these is changed by recovery before or after parsing; none may
  // come out with an empty malformed.
  for (const char* doc : {
           "  <?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title></channel></rss>",
           "<rss version=\"2.0\"><channel><title>T &#X41;</title></channel></rss>",
           "<rss version=\"2.0\"><channel><title>T &#0;</title></channel></rss>",
           "<rss version=\"2.0\"><channel><title>T \xFF</title></channel></rss>",
           "<rss version=\"2.0\"><channel><title>T &nbsp;</title></channel></rss>",
           "<rss version=\"2.0\"><channel><title>T & U</title></channel></rss>",
           "<rss version=\"2.0\"><channel><title>T</title></channel>",
           "<rss version=\"2.0\"><channel><title>T</titel></channel></rss>",
       }) {
    EXPECT_FALSE(parse_ok(doc).malformed.empty()) << doc;
  }
}

TEST(FeedParserMalformed, HtmlPageIsNotAFeed) {
  const FeedResult result = parse_feed(fixture("html_page.html"), {});
  EXPECT_FALSE(result.feed);
  EXPECT_EQ(result.error, FeedError::not_a_feed);
}

TEST(FeedParserMalformed, OutputIsAlwaysValidUtf8) {
  const Feed feed = parse_ok("<rss version=\"2.0\"><channel><title>عربي bad \xC3\x28 bytes \xFF</title>"
                             "<item><title>&#0;&#xD800;&#150;&#x110000;</title></item></channel></rss>");
  EXPECT_EQ(feed.title, "عربي bad \xEF\xBF\xBD( bytes \xEF\xBF\xBD");
  EXPECT_EQ(feed.items[0].title, "\uFFFD\uFFFD–\uFFFD") << "HTML5 numeric-reference rules";
}

}  // namespace
}  // namespace newsd::parsers
