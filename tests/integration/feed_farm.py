"""A loopback feed farm for newsd's cluster mode, and what the cluster test
and bench/cluster_bench.py share: the newsd instances of one group, a broker
of their own, a read_committed reader of the topic and the analyses of the
farm's request log.

The farm: H hosts 127.0.0.2 ... 127.0.0.(H+1), each a ThreadingHTTPServer
bound to its own address (one port number for all of them), serving F RSS
feeds each (/f1.xml ... /fF.xml). Source ids are "h<last octet>-f<k>", so
h5-f3 is http://127.0.0.5:PORT/f3.xml. Items are added over time
(add_items(), or a background ticker); each feed lists its newest `window`
items, each linking to a page on the same host
(http://127.0.0.x:PORT/fK/item-N.html) with a unique guid, title,
description and pubDate. Every feed body has an ETag (and a Last-Modified);
If-None-Match matching it (or, without one, If-Modified-Since not older than
it) gets a 304. Every request is logged with its host, path, times, the
User-Agent and the instance id of its " newsd-instance/<id>" suffix.

    farm = FeedFarm(hosts=30, feeds_per_host=8)
    toml = farm.sources_toml(interval="2s")
    farm.start_ticker(rate=5)          # items per second, over random feeds
    ...
    farm.stop_ticker()
    farm.published()                   # {story id: Item}: what must reach Kafka
    farm.requests()                    # [FarmRequest]
    farm.close()

Run it alone to look at it: python3 tests/integration/feed_farm.py --hosts 3
"""
import collections
import email.utils
import hashlib
import http.server
import json
import os
import random
import re
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import newsd_harness  # noqa: E402
from newsd_harness import Newsd, article_id, free_port, http_get, wait_for  # noqa: E402,F401

BROKER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafka_broker.sh")
INSTANCE_UA = re.compile(r" newsd-instance/([A-Za-z0-9._-]+)\s*$")
FEED_PATH = re.compile(r"^/f(\d+)\.xml$")
ITEM_PATH = re.compile(r"^/f(\d+)/item-(\d+)\.html$")

# Words for titles and bodies: random, so that no two stories of the farm
# look alike to newsd's near-duplicate rules (shared headline words, close
# SimHashes).
_SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sa", "vor", "el", "qui", "dan", "po", "zer", "an", "bel",
              "cho", "fi", "gra", "hum", "ist", "jo", "kel", "mar", "nu", "op", "pra", "rof", "sil",
              "tam", "ulv", "wen", "yas", "zo", "bri", "cal", "dor", "esk", "fal", "gun", "hel", "ix"]


def _word(rng):
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def _words(rng, n):
    return " ".join(_word(rng) for _ in range(n))


def http_date(wall):
    return email.utils.formatdate(wall, usegmt=True)


class Item:
    """One story of a feed. `edits` counts title changes: the versions newsd
    should publish are 1 .. 1 + edits (when it saw each title)."""

    __slots__ = ("feed", "n", "link", "id", "guid", "title", "description", "added_mono", "added_wall",
                 "edits", "edited_mono", "first_served_mono", "titles")

    def __init__(self, feed, n, link, rng, mono, wall):
        self.feed = feed
        self.n = n
        self.link = link
        self.id = article_id(link)
        self.guid = "urn:newsd-farm:%s:%d" % (feed.source_id, n)
        self.title = "%s %d %s" % (_words(rng, 5).capitalize(), n, _word(rng))
        self.description = _words(rng, 40).capitalize() + "."
        self.added_mono = mono
        self.added_wall = wall
        self.edits = 0
        self.edited_mono = []
        self.first_served_mono = None
        self.titles = [self.title]

    def xml(self):
        return ("<item><title>%s</title><link>%s</link><guid isPermaLink=\"false\">%s</guid>"
                "<pubDate>%s</pubDate><description>%s</description></item>" % (
                    self.title, self.link, self.guid, http_date(self.added_wall), self.description))


class Feed:
    def __init__(self, farm, host_ip, k):
        self.farm = farm
        self.host = host_ip
        self.k = k
        self.path = "/f%d.xml" % k
        self.source_id = "h%s-f%d" % (host_ip.rsplit(".", 1)[1], k)
        self.items = []  # all items ever, oldest first
        self.rng = random.Random("%s/%s" % (farm.seed, self.source_id))
        self._body = None
        self._etag = None
        self._last_modified = float(int(time.time()))

    @property
    def url(self):
        return "http://%s:%d%s" % (self.host, self.farm.port, self.path)

    def item_url(self, n):
        return "http://%s:%d/f%d/item-%d.html" % (self.host, self.farm.port, self.k, n)

    def add(self, mono, wall, initial=False):
        item = Item(self, len(self.items) + 1, self.item_url(len(self.items) + 1), self.rng, mono, wall)
        self.items.append(item)
        if not initial:
            self._changed(wall)
        return item

    def edit(self, item, wall, mono):
        item.edits += 1
        item.edited_mono.append(mono)
        item.title = "%s %d %s (update %d)" % (_words(self.rng, 5).capitalize(), item.n, _word(self.rng),
                                                item.edits)
        item.titles.append(item.title)
        self._changed(wall)

    def listed(self):
        return self.items[-self.farm.window:]

    def _changed(self, wall):
        # Last-Modified has whole seconds: each change gets a later second
        # than the one before, so that If-Modified-Since never hides a change.
        self._body = None
        self._last_modified = max(float(int(wall)), float(int(self._last_modified)) + 1)

    def body(self):
        """(body bytes, etag, last-modified wall time); called with the farm's lock held."""
        if self._body is None:
            items = "".join(item.xml() for item in reversed(self.listed()))  # newest first
            self._body = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                          "<title>Farm %s</title><link>http://%s:%d/</link><description>farm feed</description>"
                          "<language>en</language>%s</channel></rss>" % (
                              self.source_id, self.host, self.farm.port, items)).encode()
            self._etag = '"%s"' % hashlib.sha1(self._body).hexdigest()[:16]
        return self._body, self._etag, self._last_modified


# One request the farm answered. t: time.monotonic() when its request line
# was read; wall: time.time() then; sent: when its first bytes reached the
# farm's socket (the kernel's receive time stamp, wall clock; on loopback
# the time newsd sent it, however late the farm's thread got to it);
# instance: from the User-Agent suffix, None without one; conditional:
# If-None-Match or If-Modified-Since sent; items: the item numbers a 200
# feed body listed.
FarmRequest = collections.namedtuple(
    "FarmRequest", "host path source_id t wall user_agent instance conditional inm ims status items sent")
FarmRequest.__new__.__defaults__ = (None,)

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


def _arrival(sock):
    """Waits for the next request's first bytes and returns the kernel's
    receive time stamp of them (None when unavailable or at the end)."""
    try:
        data, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
            seconds, nanoseconds = struct.unpack("qq", payload[:16])
            return seconds + nanoseconds / 1e9
    return None


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def server_bind(self):
        super().server_bind()
        try:  # inherited by the accepted connections: their first request is stamped too
            self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a client that went away
            super().handle_error(request, client_address)


class FeedFarm:
    def __init__(self, hosts=30, feeds_per_host=8, window=20, initial_items=3, port=None, seed=1, first_octet=2):
        self.window = window
        self.seed = seed
        self.lock = threading.Lock()
        self.log = []
        self.feeds = {}  # (host ip, path) -> Feed
        self.by_source = {}
        self.servers = []
        self.threads = []
        self._ticker = None
        self._ticker_stop = threading.Event()
        self._rng = random.Random(seed)
        self.host_ips = ["127.0.0.%d" % (first_octet + i) for i in range(hosts)]
        self.port = self._bind_all(port)
        now_mono, now_wall = time.monotonic(), time.time()
        for ip in self.host_ips:
            for k in range(1, feeds_per_host + 1):
                feed = Feed(self, ip, k)
                self.feeds[(ip, feed.path)] = feed
                self.by_source[feed.source_id] = feed
                for _ in range(initial_items):
                    feed.add(now_mono, now_wall, initial=True)
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
            thread.start()
            self.threads.append(thread)

    # --- serving ------------------------------------------------------------
    def _bind_all(self, port):
        """Binds every host on one port number: the given one, else a free
        one found on the first host (tried again if another host has it)."""
        for _ in range(20):
            candidate = port
            servers = []
            try:
                for ip in self.host_ips:
                    server = _Server((ip, candidate or 0), self._handler())
                    servers.append(server)
                    candidate = server.server_address[1]
                self.servers = servers
                return candidate
            except OSError:
                for server in servers:
                    server.server_close()
                if port:
                    raise
        raise RuntimeError("no port number free on all of " + ", ".join(self.host_ips))

    def _handler(self):
        farm = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                except OSError:
                    pass

            def handle_one_request(self):
                # newsd does not pipeline: a request's bytes are all read
                # with it, so the next one starts a new receive.
                self.sent = _arrival(self.connection)
                super().handle_one_request()

            def do_GET(self):
                t, wall = time.monotonic(), time.time()
                host = self.connection.getsockname()[0]
                path = urllib.parse.urlsplit(self.path).path
                ua = self.headers.get("User-Agent", "")
                match = INSTANCE_UA.search(ua)
                inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
                status, body, ctype, extra, source_id, listed = farm._answer(host, path, inm, ims, t)
                with farm.lock:
                    farm.log.append(FarmRequest(host, path, source_id, t, wall, ua, match.group(1) if match else None,
                                                bool(inm or ims), inm, ims, status, listed,
                                                self.sent if self.sent and self.sent <= wall else wall))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in extra:
                        self.send_header(name, value)
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def _answer(self, host, path, inm, ims, t):
        """(status, body, content type, headers, source id, item numbers listed)."""
        with self.lock:
            feed = self.feeds.get((host, path))
            if feed is not None:
                body, etag, last_modified = feed.body()
                headers = [("ETag", etag), ("Last-Modified", http_date(last_modified)),
                           ("Cache-Control", "no-cache")]
                fresh = (inm is not None and etag in [v.strip() for v in inm.split(",")]) or (
                    inm is None and ims is not None and _parse_http_date(ims) >= int(last_modified))
                if fresh:
                    return 304, b"", "application/rss+xml", headers, feed.source_id, ()
                listed = feed.listed()
                for item in listed:
                    if item.first_served_mono is None:
                        item.first_served_mono = t
                return (200, body, "application/rss+xml; charset=UTF-8", headers, feed.source_id,
                        tuple(item.n for item in listed))
            page = ITEM_PATH.match(path)
            if page:
                feed = self.feeds.get((host, "/f%s.xml" % page.group(1)))
                n = int(page.group(2))
                if feed is not None and 1 <= n <= len(feed.items):
                    item = feed.items[n - 1]
                    html = ("<!doctype html><html><head><title>%s</title></head><body><article><h1>%s</h1>"
                            "<p>%s</p></article></body></html>" % (item.title, item.title, item.description))
                    return 200, html.encode(), "text/html; charset=UTF-8", [], feed.source_id, ()
        return 404, b"not found", "text/plain", [], None, ()

    # --- content ------------------------------------------------------------
    def sources(self):
        """[(source id, url)] of every feed, host by host."""
        return [(feed.source_id, feed.url) for feed in self.feeds.values()]

    def sources_toml(self, interval="2s", extra=""):
        return "".join('\n[[sources]]\nid = "%s"\nurl = "%s"\ninterval = "%s"\n%s' % (sid, url, interval, extra)
                       for sid, url in self.sources())

    def add_items(self, n=1, source_ids=None):
        """Adds n items, each to a random feed (of source_ids when given);
        returns them."""
        added = []
        with self.lock:
            pool = [self.by_source[s] for s in source_ids] if source_ids else list(self.feeds.values())
            for _ in range(n):
                added.append(self._rng.choice(pool).add(time.monotonic(), time.time()))
        return added

    def edit_items(self, items):
        """Changes the title of each item (which must still be listed)."""
        with self.lock:
            for item in items:
                item.feed.edit(item, time.time(), time.monotonic())

    def start_ticker(self, rate):
        """Adds about `rate` items per second over random feeds until stop_ticker()."""
        self.stop_ticker()
        self._ticker_stop = threading.Event()

        def tick():
            period = 1.0 / rate
            next_at = time.monotonic()
            while not self._ticker_stop.is_set():
                next_at += period
                self.add_items(1)
                self._ticker_stop.wait(max(0.0, next_at - time.monotonic()))

        self._ticker = threading.Thread(target=tick, daemon=True)
        self._ticker.start()

    def stop_ticker(self):
        if self._ticker is not None:
            self._ticker_stop.set()
            self._ticker.join()
            self._ticker = None

    def items(self):
        with self.lock:
            return [item for feed in self.feeds.values() for item in feed.items]

    def published(self):
        """{story id: Item} of every item ever published: what must reach Kafka."""
        return {item.id: item for item in self.items()}

    def never_served(self):
        """Items no 200 response ever listed (their feed was not polled while
        they were among its newest `window`, or not at all)."""
        return [item for item in self.items() if item.first_served_mono is None]

    # --- the log ------------------------------------------------------------
    def requests(self, since=None, until=None):
        with self.lock:
            log = list(self.log)
        return [r for r in log if (since is None or r.t >= since) and (until is None or r.t < until)]

    def requests_by_host(self, **window):
        by_host = collections.defaultdict(list)
        for r in self.requests(**window):
            by_host[r.host].append(r)
        return by_host

    def feed_requests(self, **window):
        """{source id: [FarmRequest]} of the feed polls, in time order."""
        by_feed = collections.defaultdict(list)
        for r in self.requests(**window):
            if r.source_id and FEED_PATH.match(r.path):
                by_feed[r.source_id].append(r)
        return by_feed

    def close(self):
        self.stop_ticker()
        for server in self.servers:
            server.shutdown()
            server.server_close()


def _parse_http_date(text):
    try:
        return int(email.utils.parsedate_to_datetime(text).timestamp())
    except (TypeError, ValueError):
        return -1


# --- analyses of the request log ---------------------------------------------

Tenure = collections.namedtuple("Tenure", "instance requests")  # a run of one instance's polls


def tenures(polls):
    """The polls of one feed, in time order, as tenures of one instance
    each, and the strays: single polls by an instance that did not hold the
    feed then (a zombie's, or an old owner's extra poll in a handover). A
    single poll between two tenures of one other instance (X, Y, X) is not
    a tenure of Y's: the strays are the fewest single polls whose removal
    leaves no such poll, and of two ways with as many, the one whose strays
    come later (a zombie polls after the new owner started).
    Returns ([Tenure], [(stray poll, None)])."""
    runs = []
    for r in polls:
        if runs and runs[-1][0] == r.instance:
            runs[-1][1].append(r)
        else:
            runs.append((r.instance, [r]))
    if not runs:
        return [], []
    # Dynamic programming over the runs. State: (instance of the tenure
    # before the open one, instance of the open tenure, its poll count
    # capped at 2) -> ((strays, -sum of their indexes), back pointer, action).
    last = len(runs) - 1
    layers = [{(None, runs[0][0], min(2, len(runs[0][1]))): ((0, 0), None, "keep")}]
    for i in range(1, len(runs)):
        instance, rs = runs[i]
        layer = {}

        def offer(state, cost, back, action):
            if state not in layer or cost < layer[state][0]:
                layer[state] = (cost, back, action)
        for state, (cost, _, _) in layers[-1].items():
            before, open_instance, count = state
            if len(rs) == 1 and i < last:
                offer(state, (cost[0] + 1, cost[1] - i), state, "stray")
            if instance == open_instance:
                offer((before, instance, min(2, count + len(rs))), cost, state, "keep")
            elif count >= 2 or before is None or before != instance:
                offer((open_instance, instance, min(2, len(rs))), cost, state, "keep")
        layers.append(layer)
    state = min(layers[-1], key=lambda s: layers[-1][s][0])
    actions = []
    for i in range(len(runs) - 1, -1, -1):
        _, back, action = layers[i][state]
        actions.append(action)
        state = back
    actions.reverse()
    out, strays = [], []
    for (instance, rs), action in zip(runs, actions):
        if action == "stray":
            strays.append((rs[0], None))
        elif out and out[-1].instance == instance:
            out[-1].requests.extend(rs)
        else:
            out.append(Tenure(instance, list(rs)))
    return out, strays


Handover = collections.namedtuple("Handover", "source_id old new t first_request")


def handovers(by_feed):
    """Every change of a feed's poller: [Handover] and {source id: strays}."""
    result, strays_by_feed = [], {}
    for source_id, polls in by_feed.items():
        ts, strays = tenures(polls)
        if strays:
            strays_by_feed[source_id] = strays
        for previous, current in zip(ts, ts[1:]):
            first = current.requests[0]
            result.append(Handover(source_id, previous.instance, current.instance, first.t, first))
    return sorted(result, key=lambda h: h.t), strays_by_feed


def close_pairs(by_host, min_delay, slack):
    """Consecutive request starts to one host (when they reached the farm's
    socket) less than min_delay - slack apart: [(host, earlier, later, gap)]."""
    pairs = []
    for host, rs in by_host.items():
        rs = sorted(rs, key=lambda r: r.sent if r.sent is not None else r.wall)
        for a, b in zip(rs, rs[1:]):
            gap = (b.sent or b.wall) - (a.sent or a.wall)
            if gap < min_delay - slack:
                pairs.append((host, a, b, gap))
    return pairs


def unconditional_takeovers(by_feed, grace):
    """Handovers after which the new poller's first request carried neither
    If-None-Match nor If-Modified-Since although the feed had a 200 answer
    at least `grace` seconds before: [(Handover, last 200 before it)]."""
    found = []
    hos, _ = handovers(by_feed)
    for h in hos:
        polls = by_feed[h.source_id]
        ok_before = [r for r in polls if r.status == 200 and r.t < h.t - grace]
        if ok_before and not h.first_request.conditional:
            found.append((h, ok_before[-1]))
    return found


def describe(r, t0=0.0):
    return "%s%s by %s at t=%.2f (%d%s)" % (r.host, r.path, r.instance, r.t - t0, r.status,
                                            ", conditional" if r.conditional else "")


# --- Kafka --------------------------------------------------------------------

class KafkaBroker:
    """A broker of its own (kafka_broker.sh start / stop / resume DIR)."""

    def __init__(self, directory):
        self.dir = directory

    def run(self, command):
        result = subprocess.run([BROKER_SCRIPT, command, self.dir], capture_output=True, text=True, timeout=240)
        if result.returncode != 0:
            raise RuntimeError("kafka_broker.sh %s failed (%d): %s%s" % (command, result.returncode,
                                                                        result.stdout, result.stderr))
        return result.stdout

    def start(self):
        return self.run("start")

    def stop(self):
        return self.run("stop")

    def resume(self):
        return self.run("resume")

    @property
    def bootstrap(self):
        with open(os.path.join(self.dir, "bootstrap")) as f:
            return f.read().strip()

    @property
    def pid(self):
        with open(os.path.join(self.dir, "pid")) as f:
            return int(f.read())


def _kcat_record(line):
    envelope = json.loads(line)
    payload = envelope.get("payload")
    envelope["value"] = None if payload is None else json.loads(payload)
    headers = envelope.get("headers") or []
    envelope["headers"] = dict(zip(headers[0::2], headers[1::2])) if headers and isinstance(headers[0], str) \
        else {}
    return envelope


def read_topic(bootstrap, topic, committed=True, validate=True, timeout=120):
    """Every record of the topic, from the beginning to the end, read by kcat
    (read_committed by default: aborted transactions' records left out)."""
    argv = ["kcat", "-b", bootstrap, "-t", topic, "-C", "-e", "-q", "-J",
            "-X", "topic.metadata.refresh.interval.ms=500",
            "-X", "isolation.level=" + ("read_committed" if committed else "read_uncommitted")]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        if "Unknown topic" in result.stderr or "UNKNOWN_TOPIC" in result.stderr:
            return []
        raise AssertionError("kcat failed: " + result.stderr[-2000:])
    records = [_kcat_record(line) for line in result.stdout.splitlines() if line.strip()]
    if validate:
        for r in records:
            if r["value"] is not None:
                newsd_harness.validate_record(r["value"])
    return records


def version_of(record):
    value = record.get("value") or {}
    if "version" in value:
        return value["version"]
    try:
        return int(record["headers"].get("version"))
    except (TypeError, ValueError):
        return None


class LiveReader:
    """A read_committed kcat that follows the topic from its beginning and
    notes the wall time each (key, version) was first seen, started again if
    it exits (before the topic exists, say)."""

    def __init__(self, bootstrap, topic):
        self.bootstrap, self.topic = bootstrap, topic
        self.lock = threading.Lock()
        self.first_seen = {}  # (key, version) -> (wall time consumed, record timestamp ms)
        self.seen_offsets = set()
        self.count = 0
        self._stop = threading.Event()
        self._process = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            argv = ["kcat", "-b", self.bootstrap, "-t", self.topic, "-C", "-o", "beginning", "-u", "-q", "-J",
                    "-X", "isolation.level=read_committed", "-X", "topic.metadata.refresh.interval.ms=500"]
            self._process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            for line in self._process.stdout:
                now = time.time()
                try:
                    record = _kcat_record(line)
                except ValueError:
                    continue
                where = (record.get("partition"), record.get("offset"))
                with self.lock:
                    if where in self.seen_offsets:
                        continue
                    self.seen_offsets.add(where)
                    self.count += 1
                    self.first_seen.setdefault((record.get("key"), version_of(record)), (now, record.get("ts")))
            self._process.wait()
            self._process.stdout.close()
            self._stop.wait(1.0)

    def keys(self):
        with self.lock:
            return {key for key, _ in self.first_seen}

    def seen(self):
        with self.lock:
            return dict(self.first_seen)

    def close(self):
        self._stop.set()
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait()
        self._thread.join(timeout=10)


# --- newsd instances of one group ----------------------------------------------

class Instance:
    """One newsd of a cluster: its own work directory (config, log, state
    directory) and HTTP port; the group, topic and sources are the cluster's."""

    def __init__(self, workdir, instance_id, cluster):
        self.id = instance_id
        self.cluster = cluster
        self.dir = os.path.join(workdir, instance_id)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.state_generation = 0
        self.newsd = None
        self.stopped = False  # SIGSTOPped
        self.starts = []  # time.monotonic() of each start: its incarnations

    @property
    def state_dir(self):
        return os.path.join(self.dir, "state%d" % self.state_generation)

    def config(self):
        c = self.cluster
        return f"""state_dir = "{self.state_dir}"
[http]
listen = "127.0.0.1:{self.port}"
[log]
level = "{c.log_level}"
[kafka]
brokers = "{c.bootstrap()}"
topic = "{c.topic}"
flush_timeout = "2s"
[kafka.properties]
"reconnect.backoff.max.ms" = "500"
[fetch]
allow_private_networks = true
timeout = "5s"
min_host_delay = "{c.min_host_delay}"
max_connections_per_host = {c.max_connections_per_host}
[cluster]
group = "{c.group}"
shards = {c.shards}
instance_id = "{self.id}"
exactly_once = {"true" if c.exactly_once else "false"}
session_timeout = "{c.session_timeout}"
{c.sources_toml}"""

    def start(self, fresh_state=False):
        if fresh_state:
            self.state_generation += 1
        self.starts.append(time.monotonic())
        if self.newsd is None:
            self.newsd = Newsd(self.dir, self.config())
        else:
            with open(self.newsd.config_path, "w") as f:
                f.write(self.config())
        self.newsd.start()
        self.stopped = False
        self.expect_alive = True
        self.started_at = time.monotonic()
        return self

    def wait_healthy(self, timeout=60):
        wait_for(lambda: self.get("/healthz")[0] == 200 if self.alive()
                 else _fail("newsd %s exited (%s): %s" % (self.id, self.newsd.process.returncode,
                                                          self.log_tail())), timeout, f"{self.id} /healthz")

    @property
    def pid(self):
        return self.newsd.process.pid

    def alive(self):
        return self.newsd is not None and self.newsd.process is not None and self.newsd.alive()

    def kill(self):
        """SIGKILL, and reaped."""
        self.expect_alive = False
        self.newsd.process.send_signal(signal.SIGKILL)
        self.newsd.process.wait()
        self.newsd.log.close()

    def terminate(self, timeout=60):
        """SIGTERM; returns the exit code."""
        self.expect_alive = False
        if self.stopped:
            self.resume()
        return self.newsd.stop(signal.SIGTERM, timeout=timeout)

    def pause(self):
        self.newsd.process.send_signal(signal.SIGSTOP)
        self.stopped = True

    def resume(self):
        self.newsd.process.send_signal(signal.SIGCONT)
        self.stopped = False

    def get(self, path, timeout=3):
        return http_get(f"http://127.0.0.1:{self.port}{path}", timeout=timeout)

    def json(self, path):
        status, body = self.get(path)
        if status != 200:
            return None
        try:
            return json.loads(body)
        except ValueError:
            return None

    def cluster_view(self):
        return self.json("/cluster")

    def metric(self, name, labels=None):
        """The sum of a metric's series (those with all of `labels`); None
        when /metrics does not answer or has no such series."""
        status, text = self.get("/metrics")
        if status != 200:
            return None
        total, found = 0.0, False
        for line in text.splitlines():
            if not (line.startswith(name + "{") or line.startswith(name + " ")):
                continue
            if labels and not all('%s="%s"' % kv in line for kv in labels.items()):
                continue
            total += float(line.rsplit(" ", 1)[1])
            found = True
        return total if found else None

    def cpu_seconds(self):
        """utime + stime of the process (/proc/PID/stat), in seconds."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, n=4000):
        """The end of the log, without the per-source lines of shards
        coming and going ("config: source ... added/removed")."""
        if not self.newsd:
            return ""
        lines = [line for line in self.newsd.log_text().splitlines()
                 if not re.search(r'"config: source \S+ (added|removed)"', line)]
        return "\n".join(lines)[-n:]

    def log_lines(self, *words):
        return [line for line in self.newsd.log_text().splitlines() if all(w in line for w in words)]


def _fail(message):
    raise AssertionError(message)


class Cluster:
    """The instances of one group, all with the same sources and topic."""

    def __init__(self, workdir, bootstrap, sources_toml, group, topic, shards=16, exactly_once=True,
                 session_timeout="6s", min_host_delay="500ms", max_connections_per_host=1, log_level="info"):
        self.workdir = workdir
        self.bootstrap = bootstrap if callable(bootstrap) else (lambda: bootstrap)
        self.sources_toml = sources_toml
        self.group, self.topic, self.shards = group, topic, shards
        self.exactly_once = exactly_once
        self.session_timeout = session_timeout
        self.min_host_delay = min_host_delay
        self.max_connections_per_host = max_connections_per_host
        self.log_level = log_level
        self.instances = {}

    def add(self, instance_id):
        instance = Instance(self.workdir, instance_id, self)
        self.instances[instance_id] = instance
        return instance

    def live(self):
        return [i for i in self.instances.values() if i.alive() and not i.stopped]

    def views(self):
        return {i.id: i.cluster_view() for i in self.live()}

    def assignment_problem(self, instances=None):
        """None when the live instances' /cluster owned sets partition
        0..shards-1, none is restoring and each answers /readyz 200; else
        what is wrong."""
        instances = instances if instances is not None else self.live()
        owned = {}
        for i in instances:
            view = i.cluster_view()
            if view is None:
                return f"{i.id}: /cluster does not answer"
            if view.get("restoring"):
                return f"{i.id} restores shards {view['restoring']}"
            owned[i.id] = set(view.get("owned") or [])
        counts = collections.Counter(s for shards in owned.values() for s in shards)
        twice = sorted(s for s, n in counts.items() if n > 1)
        missing = sorted(set(range(self.shards)) - set(counts))
        if twice or missing:
            return "owned " + json.dumps({k: sorted(v) for k, v in owned.items()}) + \
                f": shards owned twice {twice}, by nobody {missing}"
        for i in instances:
            status, body = i.get("/readyz")
            if status != 200:
                return f"{i.id}: /readyz {status} {body[:200]}"
        return None

    def wait_stable(self, timeout=120, instances=None, settle=1.0):
        """Waits until assignment_problem() is None twice `settle` seconds apart."""
        last = ["not asked yet"]
        started = time.monotonic()
        deadline = started + timeout
        reported = started
        while time.monotonic() < deadline:
            if time.monotonic() - reported > 20:
                reported = time.monotonic()
                print("  still settling after %.0fs: %s" % (reported - started, last[0][:300]), file=sys.stderr,
                      flush=True)
            for i in self.instances.values():
                if i.newsd is not None and i.newsd.process is not None and not i.alive() and i.expect_alive:
                    raise AssertionError(f"newsd {i.id} exited ({i.newsd.process.returncode}): {i.log_tail()}")
            problem = self.assignment_problem(instances)
            if problem is None:
                time.sleep(settle)
                problem = self.assignment_problem(instances)
                if problem is None:
                    return {i.id: sorted(i.cluster_view()["owned"]) for i in (instances or self.live())}
            last[0] = problem
            time.sleep(0.5)
        raise AssertionError(f"the group did not settle within {timeout}s: {last[0]}")

    def stop_all(self):
        for i in self.instances.values():
            if i.newsd is not None and i.newsd.process is not None and i.alive():
                if i.stopped:
                    i.resume()
                i.newsd.kill()


Instance.expect_alive = True


def main():
    """The farm alone, for a look: serves until Ctrl-C and prints its sources."""
    import argparse
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--feeds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1.0)
    args = parser.parse_args()
    farm = FeedFarm(hosts=args.hosts, feeds_per_host=args.feeds)
    farm.start_ticker(args.rate)
    for source_id, url in farm.sources():
        print(source_id, url)
    try:
        while True:
            time.sleep(5)
            print(len(farm.requests()), "requests,", len(farm.items()), "items", flush=True)
    except KeyboardInterrupt:
        farm.close()


if __name__ == "__main__":
    main()
