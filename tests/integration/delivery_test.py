"""Delivery that loses nothing: a broker that goes away and comes back, and
newsd killed with SIGKILL while it produces. Each test runs its own Apache
Kafka broker (kafka_broker.sh) so that it can stop it."""
import collections
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import (Newsd, PipelineTestCase, Route, article_id, consume, free_port, http_get, wait_for)

BROKER_SCRIPT = os.path.join(os.path.dirname(__file__), "kafka_broker.sh")


def rss(prefix, first, count, edited=()):
    """An RSS 2.0 feed of `count` items, newest first, numbered from `first`;
    the items numbered in `edited` have a changed title."""
    items = []
    for n in range(first + count - 1, first - 1, -1):
        title = f"{prefix} story {n}" + (" (updated)" if n in edited else "")
        items.append(f"""<item><title>{title}</title>
<link>https://news.example.org/{prefix}/{n}</link>
<guid>https://news.example.org/{prefix}/{n}</guid>
<pubDate>Mon, 02 Nov 2026 09:{n // 60 % 60:02d}:{n % 60:02d} +0000</pubDate>
<description>{"Body of %s story %d. " % (prefix, n) * 40}</description></item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{prefix}</title><link>https://news.example.org/</link>
<language>en</language>{"".join(items)}</channel></rss>"""


class Broker:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "kafka")

    def run(self, command):
        subprocess.run([BROKER_SCRIPT, command, self.dir], check=True, capture_output=True,
                       text=True, timeout=180)

    @property
    def bootstrap(self):
        with open(os.path.join(self.dir, "bootstrap")) as f:
            return f.read().strip()


class DeliveryTest(PipelineTestCase):
    topic_prefix = "dl-"

    def setUp(self):
        super().setUp()
        self.broker = Broker(self.workdir)
        self.broker.run("start")

    def tearDown(self):
        for process in self.processes:
            process.kill()
        self.broker.run("stop")  # before its data in the work directory goes
        super().tearDown()

    def config(self, sources, port, extra_kafka=""):
        text = f"""state_dir = "{self.workdir}/state"
[http]
listen = "127.0.0.1:{port}"
[kafka]
brokers = "{self.broker.bootstrap}"
topic = "{self.topic}"
flush_timeout = "2s"
{extra_kafka}
[kafka.properties]
"reconnect.backoff.max.ms" = "500"
[fetch]
allow_private_networks = true
timeout = "5s"
"""
        for source_id, url in sources:
            text += f'\n[[sources]]\nid = "{source_id}"\nurl = "{url}"\ninterval = "1s"\n'
        return text

    def start(self, sources, port, extra_kafka=""):
        newsd = Newsd(self.workdir, self.config(sources, port, extra_kafka)).start()
        self.processes.append(newsd)
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30, "/healthz")
        return newsd

    def records(self):
        return consume(self.topic, self.broker.bootstrap)

    @staticmethod
    def metric(port, name):
        """The sum of a metric's series on /metrics (None when unreachable)."""
        status, text = http_get(f"http://127.0.0.1:{port}/metrics", timeout=2)
        if status != 200:
            return None
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name + "{") or line.startswith(name + " "))

    def test_sigkill_with_records_in_flight_repeats_only_identical_values(self):
        """kill -9 while records are produced but not yet acknowledged (seen on
        /metrics: newsd_kafka_outstanding_records > 0, the broker frozen so
        that they stay so), after some acknowledgements of the same run, with
        stories edited before each kill: every (id, version) arrives, and
        every repeat of one carries the same key and the byte-identical value."""
        total = 1200
        feeds = {name: Route(rss(name, 1, total)) for name in ("x", "y")}
        sources = [(name, self.server.route(f"/{name}.xml", route)) for name, route in feeds.items()]
        port = free_port()
        slow = '[kafka.properties]\n"linger.ms" = "100"'
        in_flight_at_kills = []
        edited = set()
        broker_pid = int(open(os.path.join(self.broker.dir, "pid")).read())
        for round_, progress in enumerate((1, 300, 1, 300)):
            newsd = Newsd(self.workdir, self.config(sources, port).replace(
                '[kafka.properties]\n"reconnect.backoff.max.ms" = "500"',
                slow + '\n"reconnect.backoff.max.ms" = "500"')).start()
            self.processes.append(newsd)

            def metric(name):
                value = self.metric(port, name)
                return value if value is not None else -1
            try:
                # Some acknowledgements of this run first (replayed records'
                # included): their commits race the kill.
                wait_for(lambda: metric("newsd_kafka_delivery_latency_seconds_count") >= progress, 60,
                         f"{progress} acknowledgements")
                # Then the broker freezes (SIGSTOP) and the sources edit 200
                # stories each: the new versions are produced and wait for an
                # acknowledgement that cannot come, and newsd is killed. Once
                # thawed, the broker appends what it had received: those
                # records reach the topic although newsd never heard so.
                os.kill(broker_pid, signal.SIGSTOP)
                try:
                    edited |= set(range(1 + 200 * round_, 201 + 200 * round_))
                    for name, route in feeds.items():
                        route.set_body(rss(name, 1, total, edited))
                    outstanding = wait_for(lambda: (lambda n: n if n > 0 else None)(
                        metric("newsd_kafka_outstanding_records")), 60, "records in flight")
                    newsd.process.send_signal(signal.SIGKILL)
                    newsd.process.wait()
                finally:
                    os.kill(broker_pid, signal.SIGCONT)
            except AssertionError as e:
                raise AssertionError(f"round {round_}: {e}; newsd's log ends:\n" + newsd.log_text()[-3000:])
            newsd.log.close()
            in_flight_at_kills.append(outstanding)
        self.assertTrue(all(n > 0 for n in in_flight_at_kills), in_flight_at_kills)

        newsd = self.start(sources, port)
        expected_versions = {}
        for name in feeds:
            for n in range(1, total + 1):
                key = article_id(f"https://news.example.org/{name}/{n}")
                expected_versions[key] = 1 + (n in edited)

        def complete():
            seen = {(r["key"], r["value"]["version"]) for r in self.records()}
            return all((key, v) in seen for key, last in expected_versions.items() for v in range(1, last + 1))
        wait_for(complete, 240, "every version of every story after the last restart")
        self.assertEqual(newsd.stop(), 0)
        records = self.records()
        by_version = collections.defaultdict(set)
        for r in records:
            by_version[(r["key"], r["value"]["version"])].add(r["payload"])
        two_values = {k: v for k, v in by_version.items() if len(v) > 1}
        self.assertEqual(two_values, {}, "an (id, version) published with two values")
        self.assertEqual({key for key, _ in by_version}, set(expected_versions))
        for key, last in expected_versions.items():
            self.assertNotIn((key, last + 1), by_version, "no version beyond the edits")
        repeats = len(records) - len(by_version)
        print(f"\n{len(records)} records for {len(by_version)} (id, version) after {len(in_flight_at_kills)} "
              f"kills with {in_flight_at_kills} records in flight: {repeats} repeats, all identical",
              file=sys.stderr)

    def test_broker_outage_pauses_fetching_and_loses_nothing(self):
        feed = Route(rss("a", 1, 5))
        url = self.server.route("/a.xml", feed)
        port = free_port()
        newsd = self.start([("a", url)], port, "outbox_capacity = 10")
        wait_for(lambda: len(self.records()) >= 5, 60, "the first 5 records")
        self.assertEqual(http_get(f"http://127.0.0.1:{port}/readyz")[0], 200)

        self.broker.run("stop")
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/readyz")[0] == 503, 30,
                 "/readyz 503 while kafka is down")
        self.assertIn("kafka", http_get(f"http://127.0.0.1:{port}/readyz")[1])
        # 25 new stories while the broker is away: persisted, not lost; the
        # outbox fills past its capacity and fetching pauses.
        feed.set_body(rss("a", 1, 30))
        wait_for(lambda: "fetching paused" in newsd.log_text(), 30, "backpressure")
        polls = len(self.server.requests_for("/a.xml"))
        wait_for(lambda: "fetching paused" in newsd.log_text(), 1, "still paused")
        self.assertTrue(newsd.alive())

        self.broker.run("resume")
        wait_for(lambda: len(self.records()) >= 30, 120, "all 30 records after the outage")
        wait_for(lambda: len(self.server.requests_for("/a.xml")) > polls + 1, 30, "polling resumed")
        records = self.records()
        keys = [r["key"] for r in records]
        self.assertEqual(len(keys), 30, "no loss and no duplicate")
        self.assertEqual(len(set(keys)), 30)
        # In order per source: the stories were published 1..30.
        titles = [r["value"]["title"] for r in records]
        self.assertEqual(titles, [f"a story {n}" for n in range(1, 31)])
        self.assertEqual(http_get(f"http://127.0.0.1:{port}/readyz")[0], 200)
        self.assertEqual(newsd.stop(), 0)

    def test_sigkill_while_producing_loses_nothing(self):
        """kill -9 at full speed, several times: every article arrives at least
        once; the repeats are few and each repeats its key and content exactly."""
        total_per_feed = 1500
        sources = []
        for name in ("x", "y"):
            sources.append((name, self.server.route(f"/{name}.xml",
                                                    Route(rss(name, 1, total_per_feed)))))
        port = free_port()
        for kill_after in (1, 400, 1200):
            newsd = self.start(sources, port)
            wait_for(lambda: len(self.records()) >= kill_after, 120, f"{kill_after} records")
            newsd.process.send_signal(signal.SIGKILL)
            newsd.process.wait()
            newsd.log.close()
        newsd = self.start(sources, port)
        expected = 2 * total_per_feed
        wait_for(lambda: len({r["key"] for r in self.records()}) >= expected, 180,
                 "every article after the last restart")
        self.assertEqual(newsd.stop(), 0)
        records = self.records()
        by_key = collections.defaultdict(list)
        for r in records:
            by_key[r["key"]].append(r["payload"])
        self.assertEqual(len(by_key), expected)
        repeated = {k: v for k, v in by_key.items() if len(v) > 1}
        for key, payloads in repeated.items():
            self.assertEqual(len(set(payloads)), 1, f"{key} repeated with other content")
        # Only records produced but not yet acknowledged at a kill can repeat:
        # at most one outbox's worth per kill.
        self.assertLessEqual(len(records) - expected, 3 * expected)
        print(f"\n{len(records)} records for {expected} articles after 3 kills: "
              f"{len(repeated)} repeated", file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
