"""One record per story: URL variants, the same story from two sources, an
edited title, Arabic text with and without diacritics, and a restart, with
the records counted in the real broker."""
import os
import shutil
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import (NEWSD, Newsd, PipelineTestCase, Route, article_id, bootstrap_servers, consume, free_port,
                           http_get, wait_for)

HARBOUR = ("The harbour reopened on Saturday after the storm closed it for three days, and the "
           "first ferries left at dawn carrying workers and supplies to the islands. Officials "
           "said the breakwater held, though two piers need repairs before the summer season, "
           "and the coast guard will keep patrols on the northern channel for another week.")
COUNCIL = ("The city council approved next year's budget by nine votes to four after a long "
           "debate about bus routes, school repairs and the cost of the new library. The mayor "
           "said spending on roads would rise by a tenth while the parks department keeps its "
           "share, and opposition members asked for an audit of the transport contracts.")
ARABIC = ("أكد كل من وزير الخارجية الأميركي ونظيره الروسي على وجود خلافات بين بلديهما لكنهما "
          "تحدثا عن ضرورة العمل معا في بعض القضايا وذلك لدى بدء محادثاتهما في أيسلندا مساء "
          "الأربعاء وقال مسؤولون كبار إن الاجتماع لم يشهد انفراجات لكنهم وصفوه بأنه بداية طيبة")
ARABIC_WITH_TASHKEEL = ARABIC.replace("أكد", "أكَّدَ").replace("وزير", "وَزِير").replace(
    "الخارجية", "الخَارِجِيَّة").replace("خلافات", "خِلافَات").replace("ضرورة", "ضَرُورَة")


def item(title, url, body, date="Mon, 02 Nov 2026 09:00:00 +0000"):
    return (f"<item><title>{title}</title><link>{url}</link><pubDate>{date}</pubDate>"
            f"<description><![CDATA[<p>{body}</p>]]></description></item>")


def feed(items, language="en"):
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            f"<link>https://news.example.org/</link><language>{language}</language>"
            f"{''.join(items)}</channel></rss>")


class DedupeTest(PipelineTestCase):
    topic_prefix = "dd-"

    def start(self, sources, port):
        text = f"""state_dir = "{self.workdir}/state"
[http]
listen = "127.0.0.1:{port}"
[kafka]
brokers = "{bootstrap_servers()}"
topic = "{self.topic}"
[fetch]
allow_private_networks = true
"""
        for source_id, url, policy in sources:
            text += (f'\n[[sources]]\nid = "{source_id}"\nurl = "{url}"\ninterval = "1s"\n'
                     f'duplicates = "{policy}"\n')
        newsd = Newsd(self.workdir, text).start()
        self.processes.append(newsd)
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30, "/healthz")
        return newsd

    def settle(self, paths, polls=2):
        """Waits until every feed was polled `polls` more times (each poll's
        records are in the outbox before the next poll starts)."""
        for path in paths:
            start = len(self.server.requests_for(path))
            wait_for(lambda: len(self.server.requests_for(path)) >= start + polls, 30,
                     f"{polls} polls of {path}")

    def test_one_record_per_story(self):
        harbour = "https://news.example.org/world/harbour-reopens"
        council = "https://news.example.org/city/council-budget"
        arabic = "https://news.example.org/ar/talks"
        a = Route(feed([item("Harbour reopens", harbour + "?utm_source=rss&utm_medium=feed", HARBOUR),
                        item("Council approves budget", council, COUNCIL),
                        item("محادثات", arabic, ARABIC)]))
        # Source b: the same harbour story under a URL variant, the council story
        # syndicated at another site with its own furniture, the Arabic story
        # with diacritics.
        b = Route(feed([
            item("Harbour reopens", "http://www.news.example.org/world/harbour-reopens/", HARBOUR),
            item("Budget passes", "https://wire.example.com/2026/11/02/budget-passes",
                 "Share this article. " + COUNCIL + " Read more: city news."),
            item("محادثات أيسلندا", "https://wire.example.com/ar/iceland-talks", ARABIC_WITH_TASHKEEL)]))
        # Source c publishes near duplicates, pointing at the first record.
        c = Route(feed([item("Council budget (wire)", "https://mirror.example.net/council", COUNCIL)]))
        # Source a publishes first; b and c come on line once its stories are out
        # (the first source to publish a story owns it).
        later_b, later_c = b.body, c.body
        b.set_body(feed([]))
        c.set_body(feed([]))
        urls = [("a", self.server.route("/a.xml", a), "drop"),
                ("b", self.server.route("/b.xml", b), "drop"),
                ("c", self.server.route("/c.xml", c), "publish")]
        port = free_port()
        newsd = self.start(urls, port)
        wait_for(lambda: len(consume(self.topic)) >= 3, 60, "source a's 3 records")
        b.set_body(later_b)
        c.set_body(later_c)
        wait_for(lambda: len(consume(self.topic)) >= 4, 60, "4 records")
        self.settle(["/a.xml", "/b.xml", "/c.xml"])
        records = consume(self.topic)
        by_key = {r["key"]: r["value"] for r in records}
        self.assertEqual(len(records), 4, [r["value"]["url"] for r in records])
        self.assertEqual(set(by_key), {article_id(harbour), article_id(council), article_id(arabic),
                                       article_id("https://mirror.example.net/council")})
        mirror = by_key[article_id("https://mirror.example.net/council")]
        self.assertEqual(mirror["duplicate_of"], article_id(council))
        self.assertEqual(mirror["source"], "c")
        self.assertEqual(by_key[article_id(harbour)]["source"], "a")
        self.assertEqual(by_key[article_id(harbour)]["version"], 1)
        self.assertRegex(by_key[article_id(harbour)]["content_hash"], r"^[0-9a-f]{16}$")

        # An edited title: the same key again, as version 2; nothing else.
        a.set_body(feed([item("Harbour reopens after three-day storm", harbour, HARBOUR),
                         item("Council approves budget", council, COUNCIL),
                         item("محادثات", arabic, ARABIC)]))
        wait_for(lambda: len(consume(self.topic)) >= 5, 60, "the edited version")
        self.settle(["/a.xml", "/b.xml"])
        records = consume(self.topic)
        self.assertEqual(len(records), 5)
        edited = records[-1]
        self.assertEqual(edited["key"], article_id(harbour))
        self.assertEqual(edited["value"]["version"], 2)
        self.assertEqual(edited["value"]["title"], "Harbour reopens after three-day storm")
        self.assertEqual(newsd.stop(signal.SIGTERM), 0)

        # A restart remembers all of it.
        self.start(urls, port)
        self.settle(["/a.xml", "/b.xml", "/c.xml"])
        self.assertEqual(len(consume(self.topic)), 5)


    def test_a_lost_state_directory_rebuilt_from_kafka_costs_no_duplicates(self):
        """newsd stopped, its state directory deleted, `newsd rebuild-state`
        run: the restarted newsd publishes nothing again, and an edit
        continues at the next version."""
        harbour = "https://news.example.org/world/harbour-reopens"
        council = "https://news.example.org/city/council-budget"
        a = Route(feed([item("Harbour reopens", harbour, HARBOUR), item("Council approves budget", council, COUNCIL)]))
        urls = [("a", self.server.route("/a.xml", a), "drop")]
        port = free_port()
        newsd = self.start(urls, port)
        wait_for(lambda: len(consume(self.topic)) >= 2, 60, "2 records")
        a.set_body(feed([item("Harbour reopens after the storm", harbour, HARBOUR),
                         item("Council approves budget", council, COUNCIL)]))
        wait_for(lambda: len(consume(self.topic)) >= 3, 60, "the edited harbour story")
        self.assertEqual(newsd.stop(signal.SIGTERM), 0)

        shutil.rmtree(os.path.join(self.workdir, "state"))
        result = subprocess.run([NEWSD, "rebuild-state", "--config", newsd.config_path],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("3 article records, 2 stories", result.stdout)

        self.start(urls, port)
        self.settle(["/a.xml"])
        self.assertEqual(len(consume(self.topic)), 3, "nothing published again")
        a.set_body(feed([item("Harbour reopens after the storm", harbour, HARBOUR),
                         item("Council approves next year's budget", council, COUNCIL)]))
        wait_for(lambda: len(consume(self.topic)) >= 4, 60, "the edited council story")
        self.settle(["/a.xml"])
        records = consume(self.topic)
        self.assertEqual(len(records), 4)
        self.assertEqual(records[-1]["key"], article_id(council))
        self.assertEqual(records[-1]["value"]["version"], 2)
        versions = {(r["key"], r["value"]["version"]) for r in records}
        self.assertEqual(versions, {(article_id(harbour), 1), (article_id(harbour), 2),
                                    (article_id(council), 1), (article_id(council), 2)})


if __name__ == "__main__":
    unittest.main(verbosity=2)
