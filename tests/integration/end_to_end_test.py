"""newsd end to end: feeds served over loopback HTTP, newsd as a separate
process, a real Kafka broker (kafka_broker.sh), records read back by kcat."""
import html
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import (Newsd, PipelineTestCase, Route, article_id, bootstrap_servers, consume, free_port,
                           http_get, seed_article, wait_for)

SEED = seed_article()

WORDPRESS_ITEM = """
	<item>
		<title>{title}</title>
		<link>https://wafaamagazine.com/archives/{post}</link>
		<comments>https://wafaamagazine.com/archives/{post}#respond</comments>
		<dc:creator><![CDATA[{author}]]></dc:creator>
		<pubDate>{date}</pubDate>
		<category><![CDATA[آخر الأخبار]]></category>
		<guid isPermaLink="false">https://wafaamagazine.com/?p={post}</guid>
		<description><![CDATA[<p>{summary}&#8230;</p>]]></description>
		<content:encoded><![CDATA[{content}]]></content:encoded>
		<wfw:commentRss>https://wafaamagazine.com/archives/{post}/feed</wfw:commentRss>
		<slash:comments>0</slash:comments>
	</item>"""


def wordpress_feed(items):
    """An RSS 2.0 feed in the shape WordPress gives wafaamagazine.com/feed."""
    body = "".join(WORDPRESS_ITEM.format(**item) for item in items)
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
	xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
	<title>مجلة وفاء wafaamagazine</title>
	<atom:link href="https://wafaamagazine.com/feed" rel="self" type="application/rss+xml" />
	<link>https://wafaamagazine.com</link>
	<description></description>
	<lastBuildDate>Wed, 19 May 2021 21:12:41 +0000</lastBuildDate>
	<language>ar</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<sy:updateFrequency>1</sy:updateFrequency>
	<generator>https://wordpress.org/?v=5.7.2</generator>{body}
</channel>
</rss>
"""


def wordpress_item(post, title, date, paragraphs):
    return {
        "post": post,
        "title": html.escape(title, quote=False),
        "author": SEED["author"],
        "date": date,
        "summary": paragraphs[0][:80],
        "content": "".join(f"<p>{p}</p>\n" for p in paragraphs),
    }


ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Loopback Wire</title>
  <link href="https://wire.example.org/"/>
  <updated>2024-03-02T10:00:00Z</updated>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <author><name>Wire Desk</name></author>
  <entry>
    <title>Harbour reopens after storm</title>
    <link href="https://wire.example.org/2024/03/02/harbour-reopens?utm_source=rss"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
    <published>2024-03-02T09:30:00+01:00</published>
    <updated>2024-03-02T10:00:00Z</updated>
    <author><name>Jane Roe</name></author>
    <summary>The harbour reopened on Saturday.</summary>
    <content type="html">&lt;p&gt;The harbour reopened on Saturday.&lt;/p&gt;&lt;p&gt;Ships queued overnight.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Council approves budget</title>
    <link href="https://wire.example.org/2024/03/01/council-budget"/>
    <id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b</id>
    <updated>2024-03-01T18:00:00Z</updated>
    <summary>The council approved the budget.</summary>
  </entry>
</feed>
"""


def config(workdir, topic, sources, listen_port, extra=""):
    text = f"""state_dir = "{workdir}/state"
[http]
listen = "127.0.0.1:{listen_port}"
[kafka]
brokers = "{bootstrap_servers()}"
topic = "{topic}"
dead_letter_topic = "{topic}-dlq"
flush_timeout = "10s"
[fetch]
user_agent = "newsd-integration-test"
allow_private_networks = true
timeout = "1s"
connect_timeout = "1s"
[log]
level = "info"
{extra}
"""
    for source_id, url in sources:
        text += f"""
[[sources]]
id = "{source_id}"
kind = "feed"
url = "{url}"
interval = "1s"
"""
    return text


class EndToEndTest(PipelineTestCase):
    topic_prefix = "it-"

    def start_newsd(self, sources, port):
        newsd = Newsd(self.workdir, config(self.workdir, self.topic, sources, port)).start()
        self.processes.append(newsd)
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200 if newsd.alive()
                 else self.fail("newsd exited: " + newsd.log_text()), 30, "/healthz")
        return newsd

    def records(self, count, what):
        return wait_for(lambda: (lambda r: r if len(r) >= count else None)(consume(self.topic)),
                        60, f"{count} records ({what})")

    def polls_after(self, path, n):
        """Waits until the server answered n more requests on path."""
        start = len(self.server.requests_for(path))
        wait_for(lambda: len(self.server.requests_for(path)) >= start + n, 30,
                 f"{n} more polls of {path}")

    def test_feeds_to_kafka_restart_new_item_and_304(self):
        second = ["الفقرة الأولى من الخبر الثاني.", "الفقرة الثانية."]
        third = ["خبر ثالث قصير."]
        rss_items = [
            wordpress_item(312847, "خبر ثالث", "Wed, 19 May 2021 22:30:00 +0000", third),
            wordpress_item(312846, "خبر ثانٍ عن الطقس", "Wed, 19 May 2021 21:40:05 +0000", second),
            wordpress_item(312845, SEED["title"], "Wed, 19 May 2021 21:12:41 +0000",
                           SEED["paragraphs"]),
        ]
        rss = Route(wordpress_feed(rss_items))
        rss_url = self.server.route("/feed", rss)
        atom_url = self.server.route("/atom.xml", Route(ATOM_FEED, "application/atom+xml"))
        port = free_port()
        sources = [("wafaamagazine", rss_url), ("wire", atom_url)]
        newsd = self.start_newsd(sources, port)

        records = self.records(5, "first run")
        by_key = {r["key"]: r for r in records}
        self.assertEqual(len(records), 5, [r["key"] for r in records])
        self.assertEqual(len(by_key), 5)

        seed_url = "https://wafaamagazine.com/archives/312845"
        seed = by_key[article_id(seed_url)]["value"]
        self.assertEqual(seed["schema"], "newsd.article.v1")
        self.assertEqual(seed["id"], article_id(seed_url))
        self.assertEqual(seed["url"], seed_url)
        self.assertEqual(seed["source"], "wafaamagazine")
        self.assertEqual(seed["title"], SEED["title"])
        self.assertEqual(seed["published_at"], "2021-05-19T21:12:41Z")
        self.assertEqual(seed["authors"], [SEED["author"]])
        self.assertEqual(seed["body"], "\n\n".join(SEED["paragraphs"]))
        self.assertEqual(seed["language"], "ar")
        self.assertEqual(seed["site_name"], "مجلة وفاء wafaamagazine")
        self.assertEqual(seed["tags"], ["آخر الأخبار"])
        self.assertEqual(seed["feed"], {"url": rss_url, "guid": "https://wafaamagazine.com/?p=312845"})
        self.assertEqual(seed["extraction"]["method"], "feed")
        self.assertEqual(seed["version"], 1)
        headers = dict(by_key[article_id(seed_url)]["headers"][i:i + 2]
                       for i in range(0, len(by_key[article_id(seed_url)]["headers"]), 2))
        self.assertEqual(headers.get("source"), "wafaamagazine")
        self.assertEqual(headers.get("schema"), "newsd.article.v1")

        # Tracking parameters are not part of the identity.
        harbour_url = "https://wire.example.org/2024/03/02/harbour-reopens"
        harbour = by_key[article_id(harbour_url)]["value"]
        self.assertEqual(harbour["url"], harbour_url)
        self.assertEqual(harbour["source"], "wire")
        self.assertEqual(harbour["title"], "Harbour reopens after storm")
        self.assertEqual(harbour["published_at"], "2024-03-02T09:30:00+01:00")
        self.assertEqual(harbour["updated_at"], "2024-03-02T10:00:00Z")
        self.assertEqual(harbour["body"], "The harbour reopened on Saturday.\n\nShips queued overnight.")
        self.assertEqual(harbour["authors"], ["Jane Roe"])
        budget = by_key[article_id("https://wire.example.org/2024/03/01/council-budget")]["value"]
        self.assertEqual(budget["published_at"], None)
        self.assertEqual(budget["updated_at"], "2024-03-01T18:00:00Z")

        # Records of one source arrive oldest first.
        wafaa_order = [r["value"]["url"] for r in records if r["value"]["source"] == "wafaamagazine"]
        self.assertEqual(wafaa_order, ["https://wafaamagazine.com/archives/312845",
                                       "https://wafaamagazine.com/archives/312846",
                                       "https://wafaamagazine.com/archives/312847"])

        # Unchanged feeds are asked conditionally and answer 304: nothing new, no error.
        wait_for(lambda: any(s == 304 for _, s, _ in self.server.requests_for("/feed")), 30,
                 "a 304 on /feed")
        wait_for(lambda: any(s == 304 for _, s, _ in self.server.requests_for("/atom.xml")), 30,
                 "a 304 on /atom.xml")
        self.polls_after("/feed", 2)
        self.assertEqual(len(consume(self.topic)), 5)
        self.assertNotIn('"level":"warning"', newsd.log_text())
        self.assertNotIn('"level":"error"', newsd.log_text())

        self.assertEqual(newsd.stop(signal.SIGTERM), 0)

        # A restart republishes nothing.
        newsd = self.start_newsd(sources, port)
        self.polls_after("/feed", 2)
        self.polls_after("/atom.xml", 2)
        self.assertEqual(len(consume(self.topic)), 5)

        # A new item yields exactly one new record.
        fourth = ["خبر رابع جديد."]
        rss.set_body(wordpress_feed(
            [wordpress_item(312848, "خبر رابع", "Thu, 20 May 2021 08:00:00 +0300", fourth)]
            + rss_items))
        records = self.records(6, "after a new item")
        self.polls_after("/feed", 2)
        records = consume(self.topic)
        self.assertEqual(len(records), 6)
        new = records[-1]["value"]
        self.assertEqual(records[-1]["key"], article_id("https://wafaamagazine.com/archives/312848"))
        self.assertEqual(new["title"], "خبر رابع")
        self.assertEqual(new["published_at"], "2021-05-20T08:00:00+03:00")

        self.assertEqual(newsd.stop(signal.SIGINT), 0)
        self.assertIn("SIGINT received", newsd.log_text())

    def test_bad_sources_are_logged_once_and_retried_while_others_flow(self):
        good = self.server.route("/good.xml", Route(ATOM_FEED, "application/atom+xml"))
        bad = {
            "not-xml": self.server.route("/not-xml", Route("this is not a feed\n", "text/plain")),
            "empty": self.server.route("/empty", Route("", "application/rss+xml")),
            "missing": self.server.url("/missing"),
            "broken": self.server.route("/broken", Route("oops", "text/plain", status=500)),
            "slow": self.server.route("/slow", Route(ATOM_FEED, delay=3.0)),
            "refused": "http://127.0.0.1:%d/feed" % free_port(),
        }
        port = free_port()
        newsd = self.start_newsd([("good", good)] + list(bad.items()), port)
        self.records(2, "the good source")
        for path in ["/not-xml", "/empty", "/missing", "/broken", "/good.xml"]:
            wait_for(lambda: len(self.server.requests_for(path)) >= 3, 60, f"3 polls of {path}")
        log = newsd.log_text()
        for source_id in bad:
            lines = [l for l in log.splitlines() if f"source {source_id}:" in l and "warn" in l]
            self.assertEqual(len(lines), 1, f"{source_id}: {lines}\n{log}")
        self.assertIn("HTTP 404", log)
        self.assertIn("HTTP 500", log)
        self.assertIn("source slow: timeout", log)
        self.assertIn("source refused: connect", log)
        self.assertEqual(http_get(f"http://127.0.0.1:{port}/healthz"), (200, "ok\n"))
        self.assertEqual(len(consume(self.topic)), 2)
        # Feeds that could not be parsed leave one dead letter each per failure
        # streak, with what was fetched; HTTP failures are only logged.
        letters = {r["value"]["source"]: r["value"] for r in consume(self.topic + "-dlq")}
        self.assertEqual(len(consume(self.topic + "-dlq")), 2, letters)
        self.assertEqual(set(letters), {"not-xml", "empty"})
        self.assertEqual(letters["not-xml"]["schema"], "newsd.deadletter.v1")
        self.assertEqual(letters["not-xml"]["body"], "this is not a feed\n")
        self.assertEqual(letters["not-xml"]["http_status"], 200)
        self.assertEqual(letters["not-xml"]["url"], bad["not-xml"])
        self.assertIn("not_a_feed", letters["not-xml"]["error"])
        self.assertEqual(newsd.stop(), 0)

    def test_file_sources_replay_saved_feeds(self):
        path = os.path.join(self.workdir, "saved.xml")
        with open(path, "w") as f:
            f.write(ATOM_FEED)
        port = free_port()
        newsd = self.start_newsd([("saved", "file://" + path)], port)
        records = self.records(2, "file source")
        self.assertEqual({r["value"]["source"] for r in records}, {"saved"})
        self.assertEqual(newsd.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
