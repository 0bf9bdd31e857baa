"""What the integration tests share: a scriptable feed server on loopback, a
newsd process under test, and an independent Kafka consumer (kcat).

Nothing here sleeps to wait: every wait is a condition polled until a
deadline, and a missed deadline fails the test with what was seen.
"""
import hashlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

NEWSD = os.environ.get("NEWSD_BIN", "newsd")
# Fixtures the tests read: tests/data in this repository (see its README).
TEST_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
# The record contracts (JSON Schema 2020-12) every record read back must meet.
SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas")


def _load_validators():
    import jsonschema  # Debian's python3-jsonschema (deploy/install-deps.sh)
    validators = {}
    for name in os.listdir(SCHEMA_DIR):
        if name.endswith(".json"):
            with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
                schema = json.load(f)
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[name[:-len(".json")]] = jsonschema.Draft202012Validator(schema)
    return validators


_VALIDATORS = None


def validate_record(value):
    """Fails unless `value` meets the JSON Schema its "schema" field names
    (schemas/<schema>.json), so the published contract cannot drift from
    what newsd produces."""
    global _VALIDATORS
    if _VALIDATORS is None:
        _VALIDATORS = _load_validators()
    name = value.get("schema") if isinstance(value, dict) else None
    if name not in _VALIDATORS:
        raise AssertionError("record names no known schema (%r): %s" % (name, json.dumps(value)[:300]))
    errors = sorted(_VALIDATORS[name].iter_errors(value), key=lambda e: list(e.path))
    if errors:
        raise AssertionError("record %s does not meet schemas/%s.json: %s" % (
            value.get("id") or value.get("url"), name,
            "; ".join("%s: %s" % ("/".join(map(str, e.path)) or "(record)", e.message) for e in errors[:5])))


def bootstrap_servers():
    path = os.environ.get("KAFKA_BOOTSTRAP_FILE")
    if path and os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return os.environ["KAFKA_BOOTSTRAP"]


def wait_for(condition, timeout, what):
    """Polls condition() until it returns a truthy value or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def article_id(url):
    """The record id newsd derives from an already canonical http(s) URL: the
    digest of its identity key (no scheme, no leading www., no trailing
    slash on a non-root path)."""
    key = url.split(":", 1)[1]
    if key.startswith("//www."):
        key = "//" + key[6:]
    host_end = key.find("/", 2)
    if host_end != -1 and len(key) > host_end + 1 and key.endswith("/"):
        key = key[:-1]
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class Route:
    """One path of the feed server: its body and how it behaves."""

    def __init__(self, body=b"", content_type="application/rss+xml; charset=UTF-8",
                 status=200, delay=0.0, location=None):
        self.body = body if isinstance(body, bytes) else body.encode()
        self.content_type = content_type
        self.status = status
        self.delay = delay
        self.location = location  # sent as Location (with a 3xx status)
        self.version = 1

    def set_body(self, body):
        self.body = body if isinstance(body, bytes) else body.encode()
        self.version += 1

    @property
    def etag(self):
        return '"v%d-%s"' % (self.version, hashlib.md5(self.body).hexdigest()[:8])


class FeedServer:
    """HTTP/1.1 server on 127.0.0.1 serving scripted routes, with ETag and
    Last-Modified validators, and a log of every request it answered."""

    def __init__(self):
        self.routes = {}
        self.requests = []  # (path, status, if_none_match)
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with server.lock:
                    route = server.routes.get(self.path)
                    snapshot = None if route is None else (
                        route.body, route.content_type, route.status, route.delay, route.etag, route.location)
                if snapshot is None:
                    self.reply(404, b"not found", "text/plain")
                    return
                body, content_type, status, delay, etag, location = snapshot
                if delay:
                    time.sleep(delay)
                inm = self.headers.get("If-None-Match")
                if status == 200 and inm == etag:
                    self.reply(304, b"", content_type, etag, inm)
                    return
                self.reply(status, body, content_type, etag if status == 200 else None, inm, location)

            def reply(self, status, body, content_type, etag=None, inm=None, location=None):
                with server.lock:
                    server.requests.append((self.path, status, inm))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)) if status != 304 else "0")
                    if location:
                        self.send_header("Location", location)
                    if etag:
                        self.send_header("ETag", etag)
                        self.send_header("Last-Modified", "Wed, 19 May 2021 21:12:41 GMT")
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.httpd.server_address[1], path)

    def route(self, path, route):
        with self.lock:
            self.routes[path] = route
        return self.url(path)

    def requests_for(self, path):
        with self.lock:
            return [r for r in self.requests if r[0] == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Newsd:
    """One newsd process with its own config, state directory and log."""

    def __init__(self, workdir, config_text):
        self.workdir = workdir
        self.config_path = os.path.join(workdir, "newsd.toml")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(workdir, "newsd.log")
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([NEWSD, "run", "--config", self.config_path],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        finally:
            self.log.close()
        return code

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            self.log.close()

    def alive(self):
        return self.process.poll() is None

    def log_text(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy


def http_get(url, timeout=5):
    """(status, body); status 0 when nothing answered."""
    try:
        with _opener.open(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        return 0, str(e)


def consume(topic, bootstrap=None):
    """Every record of the topic, read by kcat from the beginning to the end."""
    result = subprocess.run(
        ["kcat", "-b", bootstrap or bootstrap_servers(), "-t", topic, "-C", "-e", "-q", "-J",
         "-X", "topic.metadata.refresh.interval.ms=100"],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        # A topic nobody produced to yet does not exist: no records.
        if "Unknown topic" in result.stderr or "UNKNOWN_TOPIC" in result.stderr:
            return []
        raise AssertionError("kcat failed: " + result.stderr)
    records = []
    for line in result.stdout.splitlines():
        if not line.strip():
            continue
        envelope = json.loads(line)
        # A tombstone (a retraction on the latest topic) has a null payload.
        envelope["value"] = None if envelope["payload"] is None else json.loads(envelope["payload"])
        if envelope["value"] is not None:
            validate_record(envelope["value"])
        records.append(envelope)
    return records


def seed_article():
    """The wafaamagazine article the project started from: breadcrumbs,
    title, byline, then paragraphs."""
    with open(os.path.join(TEST_DATA, "wafaamagazine", "seed-312845.txt"), encoding="utf-8") as f:
        blocks = [b.strip() for b in f.read().split("\n\n") if b.strip()]
    return {"title": blocks[1], "author": blocks[2], "paragraphs": blocks[3:]}


def make_workdir():
    return tempfile.mkdtemp(prefix="newsd-it-")


class PipelineTestCase(unittest.TestCase):
    """A work directory, a FeedServer, a topic of its own and the newsd
    processes the test starts (append them to self.processes), all cleaned up
    after each test; NEWSD_KEEP_TEST_DIRS=1 keeps the directory to look at."""

    topic_prefix = "it-"

    def setUp(self):
        self.workdir = make_workdir()
        self.server = FeedServer()
        self.topic = self.topic_prefix + uuid.uuid4().hex[:10]
        self.processes = []

    def start_newsd(self, sources_toml, kafka_toml=""):
        """newsd on this test's state directory, topic and the broker, with
        loopback sources allowed, `kafka_toml` lines added to [kafka] and
        `sources_toml` after [fetch]; returns it once /healthz answers (fails
        at once with its log if it exits)."""
        port = free_port()
        newsd = Newsd(self.workdir, f"""state_dir = "{self.workdir}/state"
[http]
listen = "127.0.0.1:{port}"
[kafka]
brokers = "{bootstrap_servers()}"
topic = "{self.topic}"
{kafka_toml}
[fetch]
allow_private_networks = true
timeout = "5s"
{sources_toml}""").start()
        self.processes.append(newsd)
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz")[0] == 200 if newsd.alive()
                 else self.fail("newsd exited: " + newsd.log_text()), 30, "/healthz")
        return newsd

    def tearDown(self):
        for process in self.processes:
            process.kill()
        self.server.close()
        if not os.environ.get("NEWSD_KEEP_TEST_DIRS"):
            shutil.rmtree(self.workdir, ignore_errors=True)
