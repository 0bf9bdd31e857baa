"""A story's whole life, end to end: newsd publishes a site's pages, the
site edits and removes them while newsd runs, and what newsd saw arrives as
new versions and retractions on the main topic, as the live set on the
compacted latest topic, and in a PostgreSQL table kept by
examples/postgres. Real HTTP over loopback, the real broker, a real
PostgreSQL server."""
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from postgres_fixture import PostgresServer, reexec_with, run_consumer  # noqa: E402

reexec_with()  # confluent_kafka and psycopg2 live in Debian's python3

from confluent_kafka.admin import AdminClient, ConfigResource  # noqa: E402

from newsd_harness import PipelineTestCase, Route, article_id, bootstrap_servers, consume, wait_for  # noqa: E402


def page(title, text):
    paragraphs = "".join(f"<p>{text} Paragraph {i} tells more of the story, with detail enough to read.</p>"
                         for i in range(6))
    return (f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article></body></html>")


def feed(items):
    entries = "".join(f"<item><title>{title}</title><link>{url}</link>"
                      f"<description>{title}.</description></item>" for url, title in items)
    return (f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Site</title>"
            f"<link>http://127.0.0.1/</link><description>d</description>{entries}</channel></rss>")


def live_stories(records):
    """What a consumer of a compacted topic holds after reading it from the
    start: the last record per key, a tombstone removing its key."""
    live = {}
    for r in records:
        if r["value"] is None:
            live.pop(r["key"], None)
        else:
            live[r["key"]] = r["value"]
    return live


def cleanup_policy(topic):
    admin = AdminClient({"bootstrap.servers": bootstrap_servers()})
    resource = ConfigResource("topic", topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    return configs["cleanup.policy"].value


class RevisitsTest(PipelineTestCase):
    topic_prefix = "rev-"

    def start_site(self, latest_topic, revisits='["2s", "4s", "6s", "30s"]'):
        self.newsd = self.start_newsd(f"""[[sources]]
id = "site"
url = "{self.server.url('/feed')}"
interval = "1s"
fetch_articles = true
revisits = {revisits}
""", kafka_toml=f'latest_topic = "{latest_topic}"')

    def test_edits_and_removals_reach_the_topic_the_latest_topic_and_a_database(self):
        titles = {n: f"Story {n} of the day" for n in range(1, 6)}
        routes = {n: Route(page(titles[n], f"Text of story {n}."), "text/html; charset=UTF-8") for n in titles}
        urls = {n: self.server.route(f"/news/2026/story-{n}", routes[n]) for n in titles}
        self.server.route("/", Route(page("Home", "The front page."), "text/html; charset=UTF-8"))
        self.server.route("/feed", Route(feed([(urls[n], titles[n]) for n in sorted(titles)])))
        latest = self.topic + ".latest"
        self.start_site(latest)
        ids = {n: article_id(urls[n]) for n in titles}

        def versions():
            return [(r["key"], r["value"]["version"], bool(r["value"].get("retracted"))) for r in consume(self.topic)]

        wait_for(lambda: len(versions()) == 5, 60, "the five stories' first versions")
        self.assertEqual(cleanup_policy(latest), "compact", "newsd creates the latest topic compacted")

        # While newsd runs: story 1 gets a new headline and text, story 2 one
        # changed word, story 3 is deleted (404), story 4 now redirects to the
        # home page; story 5 stays as it was.
        titles[1] = "Story 1, updated: the harbour reopens"
        routes[1].set_body(page(titles[1], "Text of story 1, rewritten after the storm."))
        routes[2].set_body(page(titles[2], "Text of story 2.").replace("tells more", "tells much more", 1))
        routes[3].status = 404
        routes[4].status, routes[4].location = 301, self.server.url("/")

        expected = {(ids[1], 2, False), (ids[2], 2, False), (ids[3], 1, True), (ids[4], 1, True)}
        wait_for(lambda: expected <= set(versions()), 90, "versions 2 of stories 1 and 2, retractions of 3 and 4")
        records = consume(self.topic)
        seen = [(r["key"], r["value"]["version"], bool(r["value"].get("retracted"))) for r in records]
        self.assertEqual(len(seen), len(set(seen)), f"a (key, version) published twice: {seen}")
        by_event = {(r["key"], r["value"]["version"], bool(r["value"].get("retracted"))): r["value"] for r in records}
        self.assertEqual(by_event[(ids[1], 2, False)]["title"], titles[1])
        self.assertIn("rewritten after the storm", by_event[(ids[1], 2, False)]["body"])
        self.assertIn("tells much more", by_event[(ids[2], 2, False)]["body"])
        self.assertEqual(by_event[(ids[3], 1, True)]["retraction_reason"], "gone")
        self.assertEqual(by_event[(ids[4], 1, True)]["retraction_reason"], "redirected")
        self.assertNotIn((ids[5], 2, False), by_event, "an unchanged page gives no new version")
        # A first 404 is asked again before the story is retracted.
        self.assertGreaterEqual(len([r for r in self.server.requests_for("/news/2026/story-3") if r[1] == 404]), 2)
        # Unchanged pages are revisited with their validators (conditional GET).
        self.assertTrue(any(r[2] for r in self.server.requests_for("/news/2026/story-5")),
                        "story 5 was never revisited with If-None-Match")

        # The latest topic, read from the start: exactly the live stories at their current versions.
        wait_for(lambda: set(live_stories(consume(latest))) == {ids[1], ids[2], ids[5]}, 30,
                 "the latest topic to hold stories 1, 2 and 5 only")
        live = live_stories(consume(latest))
        self.assertEqual(live[ids[1]]["version"], 2)
        self.assertEqual(live[ids[1]]["title"], titles[1])
        self.assertEqual(live[ids[5]]["version"], 1)

        # The example consumer's table says what the pages say now.
        with PostgresServer() as pg:
            code, stats, log = run_consumer(bootstrap_servers(), self.topic, "pg-" + uuid.uuid4().hex[:8], pg.dsn)
            self.assertEqual(code, 0, log)
            rows = {row["id"]: row for row in pg.query("SELECT id, version, title FROM newsd_articles")}
        self.assertEqual(set(rows), {ids[1], ids[2], ids[5]}, "retracted stories are deleted")
        self.assertEqual(rows[ids[1]]["version"], 2)
        self.assertEqual(rows[ids[1]]["title"], titles[1])
        self.assertEqual(rows[ids[5]]["title"], titles[5])

    def test_an_existing_latest_topic_that_is_not_compacted_is_reported_at_start(self):
        plain = self.topic + ".plain"
        # A topic created by the broker's defaults (cleanup.policy=delete).
        from confluent_kafka import Producer
        producer = Producer({"bootstrap.servers": bootstrap_servers()})
        producer.produce(plain, b"x")
        producer.flush(30)
        self.assertEqual(cleanup_policy(plain), "delete")
        self.server.route("/feed", Route(feed([])))
        self.start_site(plain)
        wait_for(lambda: "is NOT compacted" in self.newsd.log_text(), 30, "newsd to say the topic is not compacted")


if __name__ == "__main__":
    unittest.main()
