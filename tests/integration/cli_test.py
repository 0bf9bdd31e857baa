"""The newsd command line as an operator meets it: bad configs refused with
file:line and what was expected, usage errors, version, the embedded broker.
Needs no Kafka broker of its own."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import (TEST_DATA, NEWSD, FeedServer, Newsd, Route, free_port, http_get, validate_record,
                           wait_for)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def run(*args):
    return subprocess.run([NEWSD, *args], capture_output=True, text=True, timeout=30)


class CliTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="newsd-cli-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_missing_config_is_refused(self):
        path = os.path.join(self.dir, "nope.toml")
        for command in (["run", "--config", path], ["check-config", path]):
            result = run(*command)
            self.assertEqual(result.returncode, 3, result)
            self.assertIn(f"{path}: config file does not exist", result.stderr)

    def test_unreadable_config_is_refused(self):
        result = run("check-config", self.dir)
        self.assertEqual(result.returncode, 3)
        self.assertIn(f"{self.dir}: config file is a directory", result.stderr)

    def test_every_mistake_is_reported_with_its_line(self):
        path = self.write("bad.toml", """state_dir = "state"
[http]
listen = "localhost"
[kafka]
brokers = "127.0.0.1:9092"
topic = "bad topic!"
compresion = "zstd"
[fetch]
timeout = "soon"
[[sources]]
id = "a"
url = "ftp://example.org/feed"
[[sources]]
id = "a"
kind = "page"
url = "https://example.org/feed"
interval = 5
fetch_articles = "yes"
[[sources]]
url = "https://example.org/other"
""")
        result = run("check-config", path)
        self.assertEqual(result.returncode, 3, result.stdout)
        expected = [
            (3, "http.listen: expected host:port"),
            (6, "kafka.topic: expected a Kafka topic name"),
            (7, "unknown key 'kafka.compresion'"),
            (9, "fetch.timeout: expected a duration"),
            (12, "sources[0].url: expected an absolute http://, https:// or file:// URL"),
            (13, "duplicate source id 'a' (first defined on line 10)"),
            (15, "sources[1].kind: expected \"feed\", \"html\" or \"sitemap\""),
            (18, "sources[1].fetch_articles: expected true or false"),
            (19, "sources[2].id: missing"),
        ]
        lines = result.stderr.splitlines()
        for line_number, message in expected:
            self.assertTrue(any(l.startswith(f"{path}:{line_number}:") and message in l
                                for l in lines), f"line {line_number} '{message}' in:\n{result.stderr}")
        self.assertEqual(len(lines), len(expected), result.stderr)
        # The daemon refuses the same file before doing anything.
        self.assertEqual(run("run", "--config", path).returncode, 3)

    def test_toml_syntax_error_is_located(self):
        path = self.write("syntax.toml", 'state_dir = "x"\n[kafka\nbrokers = "a"\n')
        result = run("check-config", path)
        self.assertEqual(result.returncode, 3)
        self.assertRegex(result.stderr, rf"^{path}:2:\d+: not valid TOML")

    def test_example_config_is_valid(self):
        result = run("check-config", os.path.join(REPO, "deploy", "newsd.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ok", result.stdout)

    def test_usage_and_version(self):
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run("run").returncode, 2)
        version = run("version")
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^newsd \d+\.\d+\.\d+")
        for command in ("run", "check-config", "parse-feed", "extract"):
            result = run(command, "--help")
            self.assertEqual(result.returncode, 0, command)
            self.assertIn("usage: newsd " + command, result.stdout)

    def test_one_shot_commands_fetch_urls_like_the_daemon(self):
        """parse-feed and extract fetch http(s) inputs through newsd's fetcher;
        every input gets its line, failures included, in input order."""
        import json
        server = FeedServer()
        try:
            with open(os.path.join(REPO, "deploy", "samples", "sample-feed.xml"), "rb") as f:
                feed_url = server.route("/feed.xml", Route(f.read()))
            with open(os.path.join(REPO, "templates", "tests", "wafaamagazine", "article-312845.html"), "rb") as f:
                page_url = server.route("/archives/312845", Route(f.read(), "text/html; charset=UTF-8"))
            missing = server.url("/missing")
            result = run("parse-feed", feed_url, missing)
            self.assertEqual(result.returncode, 1, result.stderr)
            lines = [json.loads(l) for l in result.stdout.splitlines()]
            self.assertEqual(len(lines), 2)
            self.assertEqual(lines[0]["format"], "rss2.0")
            self.assertEqual(len(lines[0]["items"]), 3)
            self.assertEqual(lines[1]["input"], missing)
            self.assertIn("HTTP 404", json.dumps(lines[1]))
            result = run("extract", "--templates", os.path.join(REPO, "templates"), page_url, missing)
            self.assertEqual(result.returncode, 1, result.stderr)
            lines = [json.loads(l) for l in result.stdout.splitlines()]
            validate_record(lines[0])
            self.assertEqual(lines[0]["extraction"]["method"], "template:wafaamagazine")
            self.assertEqual(lines[0]["section"], "آخر الأخبار")
            self.assertRegex(lines[0]["content_hash"], r"^[0-9a-f]{16}$")
            self.assertIn("HTTP 404", lines[1]["error"])
        finally:
            server.close()

    def test_state_dir_that_cannot_be_created_fails_clearly(self):
        blocker = self.write("file", "not a directory")
        port = free_port()
        path = self.write("state.toml", f"""state_dir = "{blocker}/state"
[http]
listen = "127.0.0.1:{port}"
[[sources]]
id = "x"
url = "file:///dev/null"
""")
        result = run("run", "--config", path)
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot start: state directory", result.stderr)

    def test_embedded_broker_quick_start(self):
        """brokers = "embedded": records flow with no Kafka installed, and kcat
        can read them at the logged address."""
        feed = os.path.join(REPO, "deploy", "samples", "sample-feed.xml")
        port = free_port()
        newsd = Newsd(self.dir, f"""state_dir = "{self.dir}/state"
[http]
listen = "127.0.0.1:{port}"
[kafka]
brokers = "embedded"
topic = "news.articles"
[[sources]]
id = "sample"
url = "file://{feed}"
interval = "1h"
""").start()
        try:
            address = wait_for(lambda: next((l.split("embedded broker at ")[1].split()[0]
                                             for l in newsd.log_text().splitlines()
                                             if "embedded broker at " in l), None), 30,
                               "the embedded broker's address")
            address = address.rstrip(";")

            def read():
                r = subprocess.run(["kcat", "-b", address, "-t", "news.articles", "-C", "-e", "-q", "-J"],
                                   capture_output=True, text=True, timeout=30)
                records = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
                for record in records:
                    validate_record(json.loads(record["payload"]))
                keys = [record["key"] for record in records]
                return keys if len(keys) >= 3 else None
            keys = wait_for(read, 60, "records from the embedded broker")
            self.assertEqual(len(set(keys)), len(keys))
            self.assertEqual(http_get(f"http://127.0.0.1:{port}/healthz")[0], 200)
            self.assertEqual(newsd.stop(signal.SIGTERM), 0)
        finally:
            newsd.kill()


if __name__ == "__main__":
    unittest.main(verbosity=2)
