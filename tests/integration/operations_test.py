"""newsd as an operator runs it: under a service manager that owns the
notify socket (READY, WATCHDOG, RELOADING, STOPPING), watched over its HTTP
port (/healthz, /readyz, /metrics, /sources, the status page), reloaded with
SIGHUP while it runs, logging JSON lines, and installed from its .deb.

Needs no Kafka broker of its own: the daemon runs with the embedded broker,
or against a closed port where Kafka must be unreachable."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import NEWSD, FeedServer, Newsd, Route, free_port, http_get, wait_for

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BUILD_DIR = os.environ.get("NEWSD_BUILD_DIR", os.path.join(REPO, "build"))
SAMPLE_FEED = os.path.join(REPO, "deploy", "samples", "sample-feed.xml")


def rss(items, title="Operations test feed"):
    """An RSS 2.0 document; items are (guid number, title)."""
    body = "".join(
        f"<item><title>{t}</title><link>https://news.example.org/a/{n}</link>"
        f"<guid>https://news.example.org/a/{n}</guid>"
        f"<pubDate>Wed, 19 May 2021 21:{n % 60:02d}:00 +0000</pubDate>"
        f"<description>Body of article {n}.</description></item>" for n, t in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title><link>https://news.example.org/</link>{body}</channel></rss>")


class NotifySocket:
    """The service manager's end of sd_notify: an AF_UNIX datagram socket
    (a path, or a name in the abstract namespace) and every datagram it got."""

    def __init__(self, directory, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "newsd-test-%s" % uuid.uuid4().hex
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(directory, "notify.sock")
            self.sock.bind(self.address)
        self.sock.settimeout(0.2)
        self.datagrams = []  # (monotonic time, text)
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.datagrams.append((time.monotonic(), data.decode()))

    def messages(self):
        with self.lock:
            return list(self.datagrams)

    def states(self):
        """Every KEY=value line received, in order."""
        return [line for _, text in self.messages() for line in text.split("\n") if line]

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


class OperatedNewsd(Newsd):
    """A newsd process with a chosen environment; learns its HTTP address
    from its log, so that it can listen on port 0."""

    def start(self, env=None):
        self.log = open(self.log_path, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.process = subprocess.Popen([self.binary, "run", "--config", self.config_path],
                                        stdout=self.log, stderr=subprocess.STDOUT, env=full_env)
        return self

    binary = NEWSD

    def rewrite(self, config_text):
        with open(self.config_path, "w") as f:
            f.write(config_text)

    def base_url(self, timeout=30):
        def address():
            if not self.alive():
                raise AssertionError("newsd exited:\n" + self.log_text())
            m = re.search(r"health on http://([0-9.]+:[0-9]+)", self.log_text())
            return m and m.group(1)
        return "http://" + wait_for(address, timeout, "newsd's HTTP address in its log")

    def log_lines(self):
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]


METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def parse_metrics(text):
    """Parses the Prometheus text format 0.0.4 strictly: every line must be
    a HELP, a TYPE or a sample. Returns ({(name, labels): value}, {name: type})."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        m = METRIC_LINE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels, rest = {}, m.group(2) or ""
        while rest:
            lm = LABEL.match(rest)
            assert lm, f"bad labels in {line!r}"
            labels[lm.group(1)] = lm.group(2)
            rest = rest[lm.end():]
        key = (m.group(1), tuple(sorted(labels.items())))
        assert key not in samples, f"duplicate series {line!r}"
        samples[key] = float(m.group(3))
    return samples, types


def metric(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


class OperationsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="newsd-ops-")
        self.server = FeedServer()
        self.processes = []
        self.sockets = []

    def tearDown(self):
        for p in self.processes:
            p.kill()
        for s in self.sockets:
            s.close()
        self.server.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def config(self, sources, brokers="embedded", extra=""):
        text = f"""state_dir = "{self.dir}/state"
[http]
listen = "127.0.0.1:0"
[kafka]
brokers = "{brokers}"
topic = "news.ops"
flush_timeout = "2s"
[fetch]
allow_private_networks = true
timeout = "5s"
{extra}
"""
        for source_id, url, interval in sources:
            text += f'[[sources]]\nid = "{source_id}"\nurl = "{url}"\ninterval = "{interval}"\n'
        return text

    def newsd(self, config_text, env=None):
        n = OperatedNewsd(self.dir, config_text).start(env)
        self.processes.append(n)
        return n

    def notify_socket(self, abstract=False):
        s = NotifySocket(self.dir, abstract)
        self.sockets.append(s)
        return s

    def scrape(self, base):
        status, text = http_get(base + "/metrics")
        self.assertEqual(status, 200, text)
        return parse_metrics(text)

    def sources(self, base):
        status, text = http_get(base + "/sources")
        self.assertEqual(status, 200, text)
        return {s["id"]: s for s in json.loads(text)["sources"]}

    # --- systemd -----------------------------------------------------------

    def test_notify_socket_ready_watchdog_reloading_stopping(self):
        notify = self.notify_socket()
        n = self.newsd(self.config([("sample", "file://" + SAMPLE_FEED, "1h")]),
                       env={"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "1000000"})
        wait_for(lambda: "READY=1" in notify.states(), 30, "READY=1")
        states = notify.states()
        ready_at = states.index("READY=1")
        self.assertTrue(states[ready_at + 1].startswith("STATUS=") and "sources polled" in
                        states[ready_at + 1], states)
        # The state is open and the port bound before READY: /healthz answers at once.
        base = n.base_url()
        self.assertEqual(http_get(base + "/healthz"), (200, "ok\n"))

        # WATCHDOG=1 at half of WATCHDOG_USEC (1 s): every 0.5 s, well within the period.
        def pings():
            times = [t for t, m in notify.messages() if m == "WATCHDOG=1"]
            return times if len(times) >= 6 else None
        times = wait_for(pings, 30, "6 watchdog pings")
        gaps = [b - a for a, b in zip(times[1:], times[2:])]
        self.assertLess(max(gaps), 1.0, f"pings further apart than the watchdog period: {gaps}")
        self.assertGreater(min(gaps), 0.2, f"pings far too frequent: {gaps}")

        # SIGHUP: RELOADING=1, then READY=1 again.
        before = len(notify.states())
        n.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "READY=1" in notify.states()[before:], 20, "READY=1 after the reload")
        after = notify.states()[before:]
        self.assertIn("RELOADING=1", after)
        self.assertLess(after.index("RELOADING=1"), after.index("READY=1"))

        self.assertEqual(n.stop(signal.SIGTERM), 0)
        self.assertIn("STOPPING=1", notify.states())

    def test_notify_socket_in_the_abstract_namespace_and_no_pings_for_another_pid(self):
        notify = self.notify_socket(abstract=True)
        n = self.newsd(self.config([("sample", "file://" + SAMPLE_FEED, "1h")]),
                       env={"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "200000",
                            "WATCHDOG_PID": "1"})
        wait_for(lambda: "READY=1" in notify.states(), 30, "READY=1 on @" + notify.address)
        n.base_url()
        # Watchdog pings are meant for another process: none from newsd.
        self.assertNotIn("WATCHDOG=1", notify.states())
        self.assertEqual(n.stop(signal.SIGTERM), 0)
        self.assertIn("STOPPING=1", notify.states())
        self.assertNotIn("WATCHDOG=1", notify.states())

    # --- HTTP endpoints ----------------------------------------------------

    def test_every_endpoint_over_http(self):
        feed = self.server.route("/feed.xml", Route(rss([(1, "First &amp; foremost"),
                                                          (2, "Second <b>story</b>"),
                                                          (3, "خبر ثالث")])))
        missing = self.server.url("/missing.xml")
        garbage = self.server.route("/garbage", Route("this is not a feed", "text/plain"))
        n = self.newsd(self.config([("feed", feed, "1s"), ("missing", missing, "1s"),
                                    ("garbage", garbage, "1s")]))
        base = n.base_url()

        def published():
            samples, _ = self.scrape(base)
            return metric(samples, "newsd_articles_published_total", source="feed") == 3
        wait_for(published, 60, "3 articles published from 'feed'")
        wait_for(lambda: len(self.server.requests_for("/feed.xml")) >= 2, 30, "a second poll")

        # A changed feed with the same three items and one more: one new article,
        # three deduplicated.
        self.server.routes["/feed.xml"].set_body(rss([(1, "First &amp; foremost"),
                                                      (2, "Second <b>story</b>"),
                                                      (3, "خبر ثالث"), (4, "Fourth")]))
        wait_for(lambda: metric(self.scrape(base)[0], "newsd_articles_published_total",
                                source="feed") == 4, 60, "the fourth article")

        self.assertEqual(http_get(base + "/healthz"), (200, "ok\n"))
        self.assertEqual(http_get(base + "/readyz"), (200, "ready\n"))

        samples, types = self.scrape(base)
        m = lambda name, **labels: metric(samples, name, **labels)
        self.assertGreaterEqual(m("newsd_source_polls_total", source="feed"), 2)
        self.assertGreaterEqual(m("newsd_source_http_responses_total", source="feed", code="200"), 2)
        self.assertGreaterEqual(m("newsd_source_http_responses_total", source="missing", code="404"), 1)
        self.assertGreaterEqual(m("newsd_source_fetch_errors_total", source="missing",
                                  error="HTTP 404"), 1)
        self.assertGreaterEqual(m("newsd_source_error_streak", source="missing"), 1)
        self.assertEqual(m("newsd_source_error_streak", source="feed"), 0)
        self.assertGreater(m("newsd_source_fetched_bytes_total", source="feed"), 500)
        parse = [v for (name, labels), v in samples.items()
                 if name == "newsd_source_parse_failures_total" and ("source", "garbage") in labels]
        self.assertTrue(parse and sum(parse) >= 1, "parse failures of 'garbage'")
        self.assertEqual(m("newsd_articles_extracted_total", source="feed"), 7)
        self.assertEqual(m("newsd_articles_deduplicated_total", source="feed"), 3)
        self.assertEqual(m("newsd_articles_produced_total", source="feed"), 4)
        self.assertEqual(m("newsd_articles_published_total", source="feed"), 4)
        self.assertEqual(m("newsd_kafka_delivery_latency_seconds_count"), 4)
        self.assertEqual(m("newsd_kafka_delivery_latency_seconds_bucket", le="+Inf"), 4)
        self.assertGreater(m("newsd_kafka_delivery_latency_seconds_sum"), 0)
        self.assertEqual(types["newsd_kafka_delivery_latency_seconds"], "histogram")
        self.assertEqual(types["newsd_source_polls_total"], "counter")
        self.assertEqual(m("newsd_outbox_records"), 0)
        self.assertEqual(m("newsd_kafka_outstanding_records"), 0)
        self.assertEqual(m("newsd_published_ids"), 4)
        self.assertEqual(m("newsd_sources", state="ok"), 1)
        self.assertEqual(m("newsd_sources", state="failing"), 2)
        # Every warning is counted: the two failing sources logged one each.
        self.assertGreaterEqual(m("newsd_log_messages_total", level="warning", component="source"), 2)
        self.assertEqual(m("newsd_build_info", version=subprocess.run(
            [NEWSD, "version"], capture_output=True, text=True).stdout.split()[1]), 1)

        # The Grafana dashboard only plots series that exist.
        with open(os.path.join(REPO, "deploy", "grafana-dashboard.json")) as f:
            dashboard = json.load(f)
        names = {name for name, _ in samples}
        for panel in dashboard["panels"]:
            for target in panel["targets"]:
                for used in re.findall(r"newsd_[a-z_]+", target["expr"]):
                    base_name = re.sub(r"_(bucket|sum|count)$", "", used)
                    self.assertTrue(used in names or base_name in types,
                                    f"panel '{panel['title']}' uses unknown {used}")

        sources = self.sources(base)
        self.assertEqual(set(sources), {"feed", "missing", "garbage"})
        self.assertEqual(sources["feed"]["state"], "ok")
        self.assertEqual(sources["feed"]["counts"]["published"], 4)
        self.assertEqual(sources["feed"]["last_status"], 200)
        self.assertRegex(sources["feed"]["last_poll"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(sources["feed"]["next_poll"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIsNone(sources["feed"]["last_error"])
        self.assertEqual(sources["missing"]["state"], "failing")
        self.assertEqual(sources["missing"]["last_error"], "HTTP 404")
        self.assertGreaterEqual(sources["missing"]["error_streak"], 1)
        self.assertEqual(sources["garbage"]["state"], "failing")
        self.assertIn("not a usable feed", sources["garbage"]["last_error"])

        status, page = http_get(base + "/")
        self.assertEqual(status, 200)
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        for source_id in ("feed", "missing", "garbage"):
            self.assertIn(f"<strong>{source_id}</strong>", page)
        self.assertIn("HTTP 404", page)
        self.assertIn("خبر ثالث", page)
        self.assertIn('href="https://news.example.org/a/4"', page)
        self.assertNotIn("<b>story</b>", page)  # feed text is escaped, never markup
        self.assertIn("<svg", page)
        self.assertIn("4 in total", page)  # the chart's title counts what it plots

        self.assertEqual(http_get(base + "/nope")[0], 404)
        head = subprocess.run(["curl", "-sS", "-I", "--noproxy", "*", base + "/metrics"],
                              capture_output=True, text=True, timeout=10)
        self.assertIn("200", head.stdout.splitlines()[0])
        self.assertIn("text/plain; version=0.0.4", head.stdout)
        post = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--noproxy",
                               "*", "-X", "POST", base + "/metrics"],
                              capture_output=True, text=True, timeout=10)
        self.assertEqual(post.stdout, "405")
        self.assertEqual(n.stop(), 0)

    def test_readyz_is_503_with_the_reason_while_kafka_is_unreachable(self):
        closed = free_port()  # nothing listens there
        n = self.newsd(self.config([("sample", "file://" + SAMPLE_FEED, "1h")],
                                   brokers=f"127.0.0.1:{closed}"))
        base = n.base_url()
        self.assertEqual(http_get(base + "/healthz"), (200, "ok\n"))
        status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(
            http_get(base + "/readyz")), 60, "/readyz 503")
        self.assertIn("kafka", body)
        self.assertNotIn("ready\n", body.splitlines()[0] + "\n")
        # The first poll comes within the start-up spread (at most 10 s).
        samples = wait_for(lambda: (lambda s: s if metric(s, "newsd_outbox_records") >= 3 else None)(
            self.scrape(base)[0]), 30, "3 records waiting in the outbox")
        self.assertEqual(metric(samples, "newsd_articles_published_total", source="sample"), 0)
        self.assertIn("not ready", http_get(base + "/")[1])
        self.assertFalse(json.loads(http_get(base + "/sources")[1])["ready"])
        self.assertEqual(n.stop(), 0)

    # --- reload ------------------------------------------------------------

    def test_sighup_adds_removes_and_rejects(self):
        a = self.server.route("/a.xml", Route(rss([(10, "A one"), (11, "A two")])))
        b = self.server.route("/b.xml", Route(rss([(20, "B one"), (21, "B two"), (22, "B three")])))
        n = self.newsd(self.config([("a", a, "1s")]))
        base = n.base_url()
        wait_for(lambda: self.sources(base)["a"]["counts"]["published"] == 2, 60, "a published")
        polls_a = self.sources(base)["a"]["counts"]["polls"]

        # Add b.
        n.rewrite(self.config([("a", a, "1s"), ("b", b, "1s")]))
        n.process.send_signal(signal.SIGHUP)
        wait_for(lambda: self.sources(base).get("b", {}).get("counts", {}).get("published") == 3,
                 60, "b added and published")
        sources = self.sources(base)
        # a kept its poller: its counts went on, never reset.
        self.assertGreaterEqual(sources["a"]["counts"]["polls"], polls_a)
        self.assertEqual(sources["a"]["counts"]["published"], 2)
        self.assertIn("config: source b added", n.log_text())

        # Remove a: it is no longer polled.
        n.rewrite(self.config([("b", b, "1s")]))
        n.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "a" not in self.sources(base), 30, "a removed")
        requests_a = len(self.server.requests_for("/a.xml"))
        b_polls = len(self.server.requests_for("/b.xml"))
        wait_for(lambda: len(self.server.requests_for("/b.xml")) >= b_polls + 3, 30,
                 "3 more polls of b")
        # At most the one poll that was in flight when the reload came.
        self.assertLessEqual(len(self.server.requests_for("/a.xml")), requests_a + 1)
        # Reloads free the pollers they replace: 20 reloads that change b each
        # time leave one running poller and none retired.
        for i in range(20):
            n.rewrite(self.config([("b", b, f"{1 + i % 2}s")]))
            n.process.send_signal(signal.SIGHUP)
            wait_for(lambda: metric(self.scrape(base)[0], "newsd_config_reloads_total", result="ok") == 3 + i,
                     30, f"reload {i + 2}")
        wait_for(lambda: metric(self.scrape(base)[0], "newsd_pollers", state="retired") == 0, 60,
                 "the replaced pollers freed")
        self.assertEqual(metric(self.scrape(base)[0], "newsd_pollers", state="running"), 1)
        n.rewrite(self.config([("b", b, "1s")]))
        n.process.send_signal(signal.SIGHUP)
        wait_for(lambda: metric(self.scrape(base)[0], "newsd_config_reloads_total", result="ok") == 23, 30,
                 "reload 23")
        samples, _ = self.scrape(base)
        self.assertIsNone(metric(samples, "newsd_source_polls_total", source="a"))
        self.assertEqual(metric(samples, "newsd_config_reloads_total", result="ok"), 23)

        # A broken config is rejected with file:line; the running one goes on.
        n.rewrite(self.config([("b", b, "1s")]) + '[[sources]]\nid = "b"\nurl = "ftp://x"\n')
        n.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload rejected" in n.log_text(), 30, "the rejection")
        self.assertTrue(n.alive())
        self.assertRegex(n.log_text(), re.escape(n.config_path) + r":\d+:\d+: sources\[1\]")
        b_polls = len(self.server.requests_for("/b.xml"))
        wait_for(lambda: len(self.server.requests_for("/b.xml")) >= b_polls + 2, 30,
                 "b still polled after the rejected reload")
        samples, _ = self.scrape(base)
        self.assertEqual(metric(samples, "newsd_config_reloads_total", result="rejected"), 1)
        self.assertEqual(set(self.sources(base)), {"b"})

        # Re-adding a publishes nothing again: the publication state is shared.
        n.rewrite(self.config([("a", a, "2s"), ("b", b, "1s")]))
        n.process.send_signal(signal.SIGHUP)
        wait_for(lambda: metric(self.scrape(base)[0], "newsd_articles_deduplicated_total",
                                source="a") == 2, 30, "a polled again, its articles known")
        samples, _ = self.scrape(base)
        self.assertEqual(metric(samples, "newsd_published_ids"), 5)
        self.assertEqual(metric(samples, "newsd_articles_deduplicated_total", source="a"), 2)
        self.assertEqual(n.stop(), 0)

    # --- logs --------------------------------------------------------------

    def test_logs_are_json_lines_with_component_levels(self):
        failing = self.server.route("/fail", Route("x", "text/plain", status=500))
        refused = "http://127.0.0.1:%d/feed" % free_port()
        n = self.newsd(self.config([("failing", failing, "1s"), ("refused", refused, "1s")],
                                   extra="""
[log]
level = "info"
format = "json"
[log.components]
"source.refused" = "error"
"""))
        base = n.base_url()
        wait_for(lambda: self.sources(base)["refused"]["state"] == "failing", 30, "refused failing")
        wait_for(lambda: any(l.get("source") == "failing" for l in n.log_lines()), 30,
                 "the warning about 'failing'")
        lines = n.log_lines()  # every line is one JSON object
        for line in lines:
            self.assertEqual(set(line) - {"source"}, {"time", "level", "component", "message"})
            self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        warning = next(l for l in lines if l.get("source") == "failing")
        self.assertEqual(warning["level"], "warning")
        self.assertEqual(warning["component"], "source")
        self.assertEqual(warning["message"], "source failing: HTTP 500 (will retry)")
        # source.refused is at "error": its warning is not written, though the
        # source is failing (above).
        self.assertFalse([l for l in lines if l.get("source") == "refused"])
        self.assertTrue(any(l["component"] == "kafka" and "embedded broker at" in l["message"]
                            for l in lines))
        self.assertEqual(n.stop(), 0)

    # --- command line ------------------------------------------------------

    def test_every_command_has_help_and_documents_exit_codes(self):
        for command in (["run"], ["check-config"], ["parse-feed"], ["extract"], ["version"], []):
            r = subprocess.run([NEWSD, *command, "--help"], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.returncode, 0, (command, r.stderr))
            self.assertIn("usage: newsd", r.stdout, command)
        r = subprocess.run([NEWSD, "run", "--help"], capture_output=True, text=True, timeout=30)
        for code in ("0", "1", "2", "3"):
            self.assertRegex(r.stdout, rf"\b{code}\b")
        self.assertIn("SIGHUP", r.stdout)

    # --- packaging ---------------------------------------------------------

    def test_deb_package_installs_into_a_scratch_root_and_starts(self):
        cache = os.path.join(BUILD_DIR, "CMakeCache.txt")
        if not os.path.exists(os.path.join(BUILD_DIR, "CPackConfig.cmake")):
            self.fail(f"no CPackConfig.cmake in {BUILD_DIR}: set NEWSD_BUILD_DIR")
        with open(cache) as f:
            prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", f.read(), re.M).group(1)
        if prefix != "/usr":
            self.skipTest(f"the build's install prefix is {prefix}, the package layout is for /usr")
        out = os.path.join(self.dir, "package")
        r = subprocess.run(["cpack", "-G", "DEB", "-B", out], cwd=BUILD_DIR, capture_output=True,
                           text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        debs = [f for f in os.listdir(out) if f.endswith(".deb")]
        self.assertEqual(len(debs), 1, debs)
        deb = os.path.join(out, debs[0])

        contents = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True).stdout
        for path in ("./usr/bin/newsd", "./etc/newsd/newsd.toml",
                     "./etc/newsd/templates/wafaamagazine.toml",
                     "./usr/lib/systemd/system/newsd.service"):
            self.assertIn(path, contents)
        field = lambda name: subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True,
                                            text=True).stdout.strip()
        depends = field("Depends")
        for library in ("librdkafka1", "libcurl4", "liblmdb0", "libboost-json1.81.0", "libc6"):
            self.assertIn(library, depends)
        # Every dependency is a package (or a virtual one) this Debian knows.
        provided = set()
        listing = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Provides}\n"],
                                 capture_output=True, text=True).stdout
        for line in listing.splitlines():
            for word in re.split(r"[ ,]+", line):
                if word and not word.startswith("(") and not word.endswith(")"):
                    provided.add(word.split(":")[0])
        for dependency in depends.split(","):
            name = dependency.strip().split(" ")[0]
            self.assertIn(name, provided, f"{name} is not installed here")
        control = subprocess.run(["dpkg-deb", "--ctrl-tarfile", deb], capture_output=True).stdout
        self.assertIn(b"conffiles", control)

        root = os.path.join(self.dir, "root")
        subprocess.run(["dpkg", "-x", deb, root], check=True)
        binary = os.path.join(root, "usr/bin/newsd")
        self.assertTrue(os.access(binary, os.X_OK))

        # The unit passes systemd-analyze verify, pointed at the unpacked binary.
        with open(os.path.join(root, "usr/lib/systemd/system/newsd.service")) as f:
            unit = f.read()
        self.assertIn("Type=notify", unit)
        self.assertIn("WatchdogSec=", unit)
        local_unit = os.path.join(self.dir, "newsd.service")
        with open(local_unit, "w") as f:
            f.write(unit.replace("/usr/bin/newsd", binary))
        verify = subprocess.run(["systemd-analyze", "verify", local_unit], capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertEqual(verify.stderr.strip(), "", verify.stderr)

        # The packaged config is valid as installed (its paths moved into the
        # scratch root, where the package put its templates)...
        etc_config = os.path.join(root, "etc/newsd/newsd.toml")
        with open(etc_config) as f:
            text = f.read()
        text = text.replace('"/var/lib/newsd"', f'"{root}/var/lib/newsd"')
        text = text.replace('"/etc/newsd/templates"', f'"{root}/etc/newsd/templates"')
        relocated = os.path.join(self.dir, "installed.toml")
        with open(relocated, "w") as f:
            f.write(text)
        r = subprocess.run([binary, "check-config", relocated], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        # ...and starts under a notify socket.
        text = re.sub(r'listen = "[^"]*"', 'listen = "127.0.0.1:0"', text)
        text = re.sub(r'brokers = "[^"]*"', 'brokers = "embedded"', text)
        text = text[:text.index("[[sources]]")] + (
            f'[[sources]]\nid = "sample"\nurl = "file://{SAMPLE_FEED}"\ninterval = "1h"\n')
        notify = self.notify_socket()
        installed = OperatedNewsd(self.dir, text)
        installed.binary = binary
        installed.start({"NOTIFY_SOCKET": notify.address, "WATCHDOG_USEC": "2000000"})
        self.processes.append(installed)
        wait_for(lambda: "READY=1" in notify.states(), 30, "READY=1 from the packaged binary")
        base = installed.base_url()
        self.assertEqual(http_get(base + "/healthz"), (200, "ok\n"))
        wait_for(lambda: self.sources(base)["sample"]["counts"]["published"] == 3, 60,
                 "the packaged binary publishing")
        self.assertEqual(installed.stop(), 0)
        self.assertIn("STOPPING=1", notify.states())


if __name__ == "__main__":
    unittest.main(verbosity=2)
