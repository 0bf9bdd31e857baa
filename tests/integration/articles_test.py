"""Article pages end to end: a feed with fetch_articles = true and a section
page (kind = "html"), served over loopback, extracted by newsd with the
wafaamagazine template, records read back from the real broker."""
import json
import os
from datetime import datetime
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import (TEST_DATA, Newsd, PipelineTestCase, Route, article_id, bootstrap_servers, consume, free_port,
                           http_get, wait_for)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
FIXTURE = os.path.join(REPO, "templates", "tests", "wafaamagazine", "article-312845")


def fixture_page():
    with open(FIXTURE + ".html", "rb") as f:
        return f.read()


def expected_record():
    with open(FIXTURE + ".expected.json", encoding="utf-8") as f:
        return json.load(f)


class ArticlesTest(PipelineTestCase):
    topic_prefix = "art-"

    def start(self, sources_toml):
        port = free_port()
        self.newsd = Newsd(self.workdir, f"""state_dir = "{self.workdir}/state"
templates_dir = "{REPO}/templates"
[http]
listen = "127.0.0.1:{port}"
[kafka]
brokers = "{bootstrap_servers()}"
topic = "{self.topic}"
dead_letter_topic = "{self.topic}-dlq"
[fetch]
allow_private_networks = true
timeout = "5s"
{sources_toml}""").start()
        self.processes.append(self.newsd)
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30, "/healthz")

    def test_feed_items_are_completed_from_their_pages(self):
        page_url = self.server.route("/archives/312845", Route(fixture_page(), "text/html; charset=UTF-8"))
        missing_url = self.server.url("/archives/404")
        expected = expected_record()
        feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>مجلة وفاء wafaamagazine</title><link>https://wafaamagazine.com</link><language>ar</language>
<item><title>{expected["title"]}</title><link>{page_url}</link>
<pubDate>Wed, 19 May 2021 21:12:41 +0000</pubDate><dc:creator>مجلة وفاء wafaamagazine</dc:creator>
<description>مقتطف قصير&#8230;</description></item>
<item><title>خبر بلا صفحة</title><link>{missing_url}</link>
<pubDate>Wed, 19 May 2021 22:00:00 +0000</pubDate><description>نص الخلاصة فقط.</description></item>
</channel></rss>"""
        feed_url = self.server.route("/feed", Route(feed))
        self.start(f"""[[sources]]
id = "wafaamagazine"
url = "{feed_url}"
interval = "1s"
fetch_articles = true
template = "wafaamagazine"
""")
        records = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(consume(self.topic)), 60,
                           "2 records")
        by_key = {r["key"]: r["value"] for r in records}
        record = by_key[article_id(page_url)]
        self.assertEqual(record["body"], expected["body"])
        self.assertEqual(record["section"], expected["section"])
        self.assertEqual(record["breadcrumbs"], expected["breadcrumbs"])
        self.assertEqual(record["authors"], expected["authors"])
        # The feed's date wins, in the feed's offset (+0000); the page states the same instant at +03:00.
        self.assertEqual(record["published_at"], "2021-05-19T21:12:41Z")
        self.assertEqual(datetime.fromisoformat(record["published_at"]),
                         datetime.fromisoformat(expected["published_at"]))
        self.assertEqual(record["image"], expected["image"])
        self.assertEqual(record["extraction"]["method"], "template:wafaamagazine")
        # A page that cannot be fetched leaves the feed's own text in the record.
        fallback = by_key[article_id(missing_url)]
        self.assertEqual(fallback["body"], "نص الخلاصة فقط.")
        self.assertEqual(fallback["extraction"]["method"], "feed")
        self.assertEqual(len(records), 2)

    def test_section_pages_yield_their_articles(self):
        page_url = self.server.route("/archives/312845", Route(fixture_page(), "text/html; charset=UTF-8"))
        other = fixture_page().replace(b"312845", b"312999")
        other_url = self.server.route("/archives/312999", Route(other, "text/html; charset=UTF-8"))
        empty_url = self.server.route("/archives/313000", Route(
            "<html><body><nav><a href='/'>home</a></nav></body></html>", "text/html"))
        section = f"""<!doctype html><html lang="ar"><head><title>آخر الأخبار</title></head><body>
<nav><a href="/category/news">أخبار</a><a href="/tag/lebanon">لبنان</a></nav>
<main>
<article><h2><a href="/archives/312999">خبر أحدث</a></h2></article>
<article><h2><a href="/archives/312845">بلينكن ولافروف</a></h2></article>
<article><h2><a href="/archives/313000">صفحة فارغة</a></h2></article>
<a href="https://www.facebook.com/sharer.php?u=/archives/312845">share</a>
<a href="/page/2">التالي</a>
</main></body></html>"""
        section_url = self.server.route("/category/latest", Route(section, "text/html; charset=UTF-8"))
        self.start(f"""[[sources]]
id = "wafaa-latest"
kind = "html"
url = "{section_url}"
interval = "1s"
template = "wafaamagazine"
duplicates = "publish"
""")
        records = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(consume(self.topic)), 60,
                           "2 records")
        wait_for(lambda: len(self.server.requests_for("/category/latest")) >= 3, 30, "3 polls")
        records = consume(self.topic)
        self.assertEqual(sorted(r["key"] for r in records),
                         sorted([article_id(page_url), article_id(other_url)]))
        by_key = {r["key"]: r["value"] for r in records}
        self.assertEqual(by_key[article_id(page_url)]["body"], expected_record()["body"])
        self.assertEqual(by_key[article_id(page_url)]["url"], page_url)
        self.assertEqual(by_key[article_id(page_url)]["source"], "wafaa-latest")
        # The second page carries the same story: published, pointing at the first.
        self.assertEqual(by_key[article_id(other_url)]["duplicate_of"], article_id(page_url))
        self.assertIsNone(by_key[article_id(page_url)]["duplicate_of"])
        # Each page was fetched once; navigation, tag, share and paging links never.
        self.assertEqual(len(self.server.requests_for("/archives/312845")), 1)
        self.assertEqual(self.server.requests_for("/tag/lebanon"), [])
        self.assertEqual(self.server.requests_for("/page/2"), [])
        # The page without an article is a dead letter, not a record.
        letters = consume(self.topic + "-dlq")
        self.assertEqual([l["value"]["url"] for l in letters], [empty_url])


if __name__ == "__main__":
    unittest.main(verbosity=2)
