"""The newsd command line as an operator meets it: bad configs refused with
file:line and what was expected, usage errors, version, the embedded broker,
records as JSON lines without any broker. Needs no Kafka broker of its own."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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


SAMPLE_FEED = os.path.join(REPO, "deploy", "samples", "sample-feed.xml")


def jsonl_config(state_dir, port, path, topic_line=""):
    return f"""state_dir = "{state_dir}"
[http]
listen = "127.0.0.1:{port}"
[sink]
kind = "jsonl"
path = "{path}"
[kafka]
brokers = "127.0.0.1:1"                 # never contacted by the jsonl sink
[[sources]]
id = "sample"
url = "file://{SAMPLE_FEED}"
interval = "1h"
{topic_line}
"""


def check_lines(test, lines, topic):
    """Every line is a whole record: its value an article record that meets
    the schema, keyed by its id, with its version in the headers."""
    records = [json.loads(line) for line in lines]
    for record in records:
        test.assertEqual(sorted(record), ["headers", "key", "topic", "value"])
        validate_record(record["value"])
        test.assertEqual(record["topic"], topic)
        test.assertEqual(record["key"], record["value"]["id"])
        test.assertEqual(record["headers"]["version"], str(record["value"]["version"]))
        test.assertEqual(record["headers"]["schema"], "newsd.article.v1")
    return records


class JsonLinesSinkTest(unittest.TestCase):
    """[sink] kind = "jsonl": `newsd run` with no broker at all writes one JSON
    line per record, with the same delivery promise as Kafka."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="newsd-jsonl-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def sources(self, port):
        status, text = http_get(f"http://127.0.0.1:{port}/sources")
        return json.loads(text) if status == 200 else None

    def polled_and_settled(self, port, seen):
        """The sample source was polled, saw its items, and nothing waits in the outbox."""
        sources = self.sources(port)
        if not sources:
            return None
        counts = sources["sources"][0].get("counts", {})
        return counts.get("polls", 0) >= 1 and counts.get("items_seen", 0) >= seen and sources["in_flight"] == 0

    def test_records_are_lines_in_a_file_and_a_restart_adds_none(self):
        port = free_port()
        # A relative path: resolved against the config file's folder, not the working directory.
        config = jsonl_config(f"{self.dir}/state", port, "records.jsonl", 'topic = "news.{source}"')
        output = os.path.join(self.dir, "records.jsonl")
        self.assertIn("jsonl " + output, run("check-config", self.write_config(config)).stdout)

        newsd = Newsd(self.dir, config).start()
        try:
            lines = wait_for(lambda: self.lines_in(output, 3), 30, "three lines in " + output)
            records = check_lines(self, lines, "news.sample")
            self.assertEqual(len({r["key"] for r in records}), 3)
            wait_for(lambda: self.polled_and_settled(port, 3), 30, "the poll to settle")
            self.assertEqual(http_get(f"http://127.0.0.1:{port}/readyz")[0], 200)
            self.assertEqual(newsd.stop(signal.SIGTERM), 0)
        finally:
            newsd.kill()
        with open(output, "rb") as f:
            first_run = f.read()
        self.assertEqual(len(first_run.splitlines()), 3)

        # A restart polls the same feed again: those (id, version)s are published, nothing is appended.
        newsd = Newsd(self.dir, config).start()
        try:
            wait_for(lambda: self.polled_and_settled(port, 3), 30, "the poll after the restart")
            self.assertEqual(newsd.stop(signal.SIGTERM), 0)
        finally:
            newsd.kill()
        with open(output, "rb") as f:
            self.assertEqual(f.read(), first_run)

    def test_a_file_that_cannot_be_written_keeps_the_records_and_makes_newsd_unready(self):
        port = free_port()
        newsd = Newsd(self.dir, jsonl_config(f"{self.dir}/state", port, "/dev/full")).start()
        try:
            def unready():
                status, text = http_get(f"http://127.0.0.1:{port}/readyz")
                return status == 503 and "jsonl: write to /dev/full failed" in text and text
            wait_for(unready, 30, "/readyz to say the file cannot be written")
            sources = self.sources(port)
            self.assertEqual(sources["in_flight"], 3)  # kept in the outbox, retried
            self.assertEqual(sources["published_total"], 0)
            self.assertEqual(newsd.stop(signal.SIGTERM), 0)
        finally:
            newsd.kill()
        self.assertIn("3 left in the outbox", newsd.log_text())

    def test_dash_writes_the_records_to_standard_output(self):
        port = free_port()
        config = self.write_config(jsonl_config(f"{self.dir}/state", port, "-"))
        with open(os.path.join(self.dir, "newsd.log"), "wb") as log:
            process = subprocess.Popen([NEWSD, "run", "--config", config], stdout=subprocess.PIPE, stderr=log)
            lines = []
            reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
            reader.start()
            try:
                # The lines themselves: "seen and settled" can come true before
                # the poll's records reach the sink.
                wait_for(lambda: len(lines) >= 3 and self.polled_and_settled(port, 3), 30, "the records on stdout")
                process.send_signal(signal.SIGTERM)
                self.assertEqual(process.wait(timeout=30), 0)
                reader.join(timeout=10)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                process.stdout.close()
        self.assertEqual(len(lines), 3, lines)
        check_lines(self, lines, "news.articles")

    def write_config(self, text):
        path = os.path.join(self.dir, "newsd.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    @staticmethod
    def lines_in(path, count):
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            lines = f.read().splitlines()
        return lines if len(lines) >= count else None


if __name__ == "__main__":
    unittest.main(verbosity=2)
