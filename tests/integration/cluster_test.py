"""Cluster mode ([cluster]): several newsd instances share a loopback feed
farm (feed_farm.py) through a Kafka consumer group, on a broker of this
test's own (kafka_broker.sh), while instances are killed, frozen, added and
restarted and the broker restarts.

What is checked, from the farm's request log (each request names its
instance in the User-Agent) and a read_committed reader of the topic:
- every story the farm published reaches the topic, and with
  exactly_once = true every (id, version) exactly once;
- a feed is polled by one instance at a time: at most one stray poll (by
  an instance that did not hold it: an old owner, a zombie) per handover,
  and no more handovers of a feed than membership events;
- per host, request starts (the farm's kernel receive time stamps) are
  min_host_delay apart, except a few pairs from two instances around a
  handover and, for one instance, one pair per 100 requests after a stall
  (see the constants below for the exact allowances);
- a new owner's first request for a feed polled before is conditional;
- at the end /readyz is 200 on every live instance and their /cluster owned
  sets partition the shards.

Sizes can be changed with NEWSD_CLUSTER_HOSTS, NEWSD_CLUSTER_FEEDS,
NEWSD_CLUSTER_RATE (items per second); NEWSD_CLUSTER_BROKER_RESTART=0 leaves
the broker restart out (to look at the rest); NEWSD_KEEP_TEST_DIRS=1 keeps the
work directory (logs of each instance, the broker, farm.log).
"""
import bisect
import collections
import json
import os
import shutil
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feed_farm import (Cluster, FeedFarm, KafkaBroker, LiveReader, close_pairs, describe,  # noqa: E402
                       handovers, read_topic, unconditional_takeovers, version_of)

HOSTS = int(os.environ.get("NEWSD_CLUSTER_HOSTS", "30"))
FEEDS = int(os.environ.get("NEWSD_CLUSTER_FEEDS", "8"))
RATE = float(os.environ.get("NEWSD_CLUSTER_RATE", "5"))
BROKER_RESTART = os.environ.get("NEWSD_CLUSTER_BROKER_RESTART", "1") != "0"
SHARDS = 16
INTERVAL = "2s"
MIN_HOST_DELAY = 0.5          # seconds; with 8 feeds a host, a feed is polled about every 4 s
SESSION_TIMEOUT = 6           # seconds
# Request times are taken by the farm when it reads the request line, so two
# starts newsd spaced exactly min_host_delay apart can arrive a little closer
# when the first one waited for the farm (a loaded 2-core machine): a pair
# counts as too close below min_host_delay - SLACK.
SLACK = 0.25 * MIN_HOST_DELAY
# A handover may bring two instances' requests to one host close together:
# the old owner's last against the new owner's first, and a stray poll's
# against its two neighbours. Each move of a host (as often as the most
# handed over of its feeds) and each stray poll on it allows this many close
# pairs of two instances there; pairs of one instance are never allowed.
CLOSE_PAIRS_PER_HANDOVER = 2
# One instance's two requests to a host: newsd spaces their starts
# min_host_delay apart, but when its event loop is busy (restoring the shards
# it was just given, a burst of pollers starting) one request may go out a
# little late and the next on time, so the farm sees them closer. Seen:
# 5 pairs 0.37 s apart after a broker restart in 8,000 requests, and 44 pairs
# 0.31-0.37 s apart (min_host_delay 0.5 s) at membership events in 6,500.
# Allowed: one such pair per 100 requests; none ever closer than half of
# min_host_delay (that would be newsd not spacing them at all).
SAME_INSTANCE_CLOSE_RATE = 0.01
# The new owner's first request is checked for validators when the feed had
# a 200 answer at least this long before (its state had time to reach Kafka).
CONDITIONAL_GRACE = 10.0


class ClusterTestCase(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="newsd-cluster-")
        self.t0 = time.monotonic()
        self.events = []
        self.broker = KafkaBroker(os.path.join(self.workdir, "kafka"))
        self.broker.start()
        self.addCleanup(self.cleanup)
        self.cluster = None
        self.reader = None
        self.farm = None
        self.problems = []  # what went wrong but let the test go on

    def cleanup(self):
        if self.cluster:
            self.cluster.stop_all()
        if self.reader:
            self.reader.close()
        if self.farm:
            self.farm.close()
            try:
                self.write_farm_log(os.path.join(self.workdir, "farm.log"))
            except OSError:
                pass
        try:
            self.broker.stop()
        except Exception as e:  # keep the test's own failure
            print("broker stop failed:", e, file=sys.stderr)
        if os.environ.get("NEWSD_KEEP_TEST_DIRS"):
            print("\nwork directory kept:", self.workdir, file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- helpers ------------------------------------------------------------
    def event(self, what):
        self.events.append((time.monotonic(), what))
        print("t=%6.1fs %s" % (time.monotonic() - self.t0, what), file=sys.stderr, flush=True)

    def timeline(self):
        return "; ".join("t=%.1f %s" % (t - self.t0, what) for t, what in self.events)

    def rel(self, t):
        return t - self.t0

    def write_farm_log(self, path):
        with open(path, "w") as f:
            for r in self.farm.requests():
                f.write("%.3f %s %s %s %s %d %s\n" % (r.t - self.t0, r.host, r.path, r.instance,
                                                      "cond" if r.conditional else "-", r.status,
                                                      ",".join(map(str, r.items[-3:]))))

    def logs(self, n=2500):
        return "\n".join("--- %s (%s) log tail:\n%s" % (i.id, "alive" if i.alive() else "dead", i.log_tail(n))
                         for i in self.cluster.instances.values() if i.newsd)

    def start_farm(self, hosts, feeds):
        self.farm = FeedFarm(hosts=hosts, feeds_per_host=feeds)
        self.group = "newsd-it-" + uuid.uuid4().hex[:8]
        self.topic = "cl-" + uuid.uuid4().hex[:10]

    def make_cluster(self, exactly_once):
        self.cluster = Cluster(self.workdir, lambda: self.broker.bootstrap, self.farm.sources_toml(INTERVAL),
                               self.group, self.topic, shards=SHARDS, exactly_once=exactly_once,
                               session_timeout="%ds" % SESSION_TIMEOUT, min_host_delay="%dms" % (MIN_HOST_DELAY * 1000))
        return self.cluster

    def start(self, instance_id, fresh_state=False):
        instance = self.cluster.instances.get(instance_id) or self.cluster.add(instance_id)
        instance.start(fresh_state=fresh_state)
        try:
            instance.wait_healthy(60)
        except AssertionError as e:
            self.fail(str(e))
        self.event("started %s (pid %d, %s state)" % (instance_id, instance.pid, "fresh" if fresh_state else "its"))
        return instance

    def settle(self, instances=None, timeout=150, what="", soft=False):
        """Waits for the group to settle; fails the test if it does not, or,
        soft, notes the problem (see `problems`) and goes on."""
        try:
            owned = self.cluster.wait_stable(timeout=timeout, instances=instances)
        except AssertionError as e:
            message = "%s: %s\ntimeline: %s\n%s" % (what, e, self.timeline(), self.logs(1500))
            if not soft:
                self.fail(message)
            self.problems.append(message)
            self.event("NOT settled (%s)" % what)
            return None
        self.event("settled%s: %s" % (" (" + what + ")" if what else "",
                                      ", ".join("%s=%d shards" % (k, len(v)) for k, v in owned.items())))
        return owned

    def source_shards(self, instance):
        """{source id: (shard, owned)} from the instance's /sources."""
        data = instance.json("/sources")
        self.assertIsNotNone(data, f"{instance.id}: /sources does not answer")
        return {s["id"]: (s.get("shard"), s.get("owned")) for s in data["sources"]}

    def wait_polled_by_others(self, source_ids, victim, since, timeout=90):
        """Until every source of source_ids was polled after `since` by
        another instance than `victim`."""
        deadline = time.monotonic() + timeout
        while True:
            by_feed = self.farm.feed_requests(since=since)
            left = [s for s in source_ids if not any(r.instance != victim for r in by_feed.get(s, ()))]
            if not left:
                return
            if time.monotonic() > deadline:
                self.fail("%d of %d sources of %s were not polled by another instance within %ds after t=%.1f: "
                          "%s\ntimeline: %s\n%s" % (len(left), len(source_ids), victim, timeout, self.rel(since),
                                                     left[:10], self.timeline(), self.logs()))
            time.sleep(0.5)

    def wait_all_published(self, timeout):
        """Until the reader has seen every item and every expected version."""
        deadline = time.monotonic() + timeout
        while True:
            expected = self.expected_versions()
            seen = self.reader.seen()
            missing = [(k, v) for k, vs in expected.items() for v in vs if (k, v) not in seen]
            if not missing:
                return True
            if time.monotonic() > deadline:
                return False  # check_records() says what is missing
            time.sleep(1)

    def expected_versions(self):
        return {item.id: set(range(1, 2 + item.edits)) for item in self.farm.items()}

    def missing_message(self, missing, when):
        items = self.farm.published()
        never = {i.id for i in self.farm.never_served()}
        by_feed = collections.Counter(items[k].feed.source_id for k, _ in missing)
        polls = self.farm.feed_requests()
        lines = []
        for source_id, n in by_feed.most_common(8):
            ps = polls.get(source_id, [])
            gone = sorted({items[k].n for k, _ in missing if items[k].feed.source_id == source_id})
            served = [items[k].first_served_mono for k, _ in missing
                      if items[k].feed.source_id == source_id and items[k].first_served_mono is not None]
            # The polls from the one that first served a missing item on, and the last ones.
            start = min(served) if served else (ps[0].t if ps else 0)
            around = [r for r in ps if r.t >= start - 0.001][:10]
            lines.append("  %s: %d missing (items %s, first served at t=%s); polls (instance@t, status) from then: %s"
                         " ... last: %s" % (
                             source_id, n, gone[:10], "%.1f" % self.rel(min(served)) if served else "never",
                             " ".join("%s@%.1f/%d" % (r.instance, self.rel(r.t), r.status) for r in around),
                             " ".join("%s@%.1f/%d" % (r.instance, self.rel(r.t), r.status) for r in ps[-4:])))
        return ("%d (id, version) of %d expected not on the topic %s (%d of them never served by the farm, "
                "%d versions > 1); %d feeds affected:\n%s\ntimeline: %s\n%s" % (
                    len(missing), sum(len(v) for v in self.expected_versions().values()), when,
                    sum(1 for k, _ in missing if k in never), sum(1 for _, v in missing if v > 1),
                    len(by_feed), "\n".join(lines), self.timeline(), self.logs()))

    # --- the checks on the farm's log ---------------------------------------
    def incarnations(self, requests):
        """The requests with an instance started more than once named by
        its incarnation (n1#2 after n1's first restart): a restarted member
        is another process, which static membership may give its shards back."""
        out = []
        for r in requests:
            instance = self.cluster.instances.get(r.instance)
            if instance is not None and len(instance.starts) > 1:
                r = r._replace(instance="%s#%d" % (r.instance, bisect.bisect_right(instance.starts, r.t)))
            out.append(r)
        return out

    def check_polling(self, membership_events):
        """One poller per feed, politeness per host and conditional
        takeovers, from the farm's log; fails with every problem found, else
        returns a summary. membership_events: how many starts, kills,
        freezes, thaws and broker restarts the test made (each may move a
        shard once)."""
        problems = []
        by_feed = {s: self.incarnations(rs) for s, rs in self.farm.feed_requests().items()}
        unattributed = [r for rs in by_feed.values() for r in rs if r.instance is None]
        if unattributed:
            problems.append("%d feed requests without ' newsd-instance/<id>' at the end of the User-Agent, e.g. %r"
                            % (len(unattributed), unattributed[0].user_agent))
        hos, strays = handovers(by_feed)
        per_feed_handovers = collections.Counter(h.source_id for h in hos)
        # One poller at a time: at most one stray poll (an old owner's, or a
        # zombie's) per handover of the feed.
        too_many = {s: (len(v), per_feed_handovers[s]) for s, v in strays.items()
                    if len(v) > per_feed_handovers[s]}
        if too_many:
            problems.append("%d feeds polled by an instance that did not hold them more often than once per "
                            "handover ({feed: (stray polls, handovers)}): %s; e.g. %s" % (
                                len(too_many), dict(list(too_many.items())[:8]),
                                [describe(r, self.t0) for s in list(too_many)[:3] for r, _ in strays[s]]))
        # Two instances polling one feed in turn look like handover after
        # handover: a feed changes hands at most once per membership event.
        churn = {s: n for s, n in per_feed_handovers.items() if n > membership_events}
        if churn:
            s = max(churn, key=churn.get)
            problems.append("%d feeds changed hands more often than the %d membership events (e.g. %s: %d times: "
                            "%s)" % (len(churn), membership_events, s, churn[s], " ".join(
                                "%s@%.1f" % (r.instance, self.rel(r.t)) for r in by_feed[s])))

        # Politeness per host.
        by_host = {h: self.incarnations(rs) for h, rs in self.farm.requests_by_host().items()}
        pairs = close_pairs(by_host, MIN_HOST_DELAY, SLACK)
        same = [p for p in pairs if p[1].instance == p[2].instance]
        requests = sum(len(rs) for rs in by_host.values())
        far_too_close = [p for p in same if p[3] < MIN_HOST_DELAY / 2]
        if far_too_close or len(same) > requests * SAME_INSTANCE_CLOSE_RATE:
            problems.append("%d pairs of request starts to one host by one instance closer than %.3fs "
                            "(min_host_delay %.3fs; %d of them closer than half of it; at most %d allowed in %d "
                            "requests, none that close): %s" % (
                                len(same), MIN_HOST_DELAY - SLACK, MIN_HOST_DELAY, len(far_too_close),
                                int(requests * SAME_INSTANCE_CLOSE_RATE), requests,
                                ["%s, %.3fs after %s" % (describe(b, self.t0), gap, a.path)
                                 for _, a, b, gap in (far_too_close or same)[:8]]))
        # A host's feeds share a shard: the host changed hands as often as the
        # most handed over of its feeds.
        host_moves, host_strays = collections.Counter(), collections.Counter()
        for source_id, n in per_feed_handovers.items():
            host = self.farm.by_source[source_id].host
            host_moves[host] = max(host_moves[host], n)
        for source_id, ss in strays.items():
            host_strays[self.farm.by_source[source_id].host] += len(ss)
        cross = collections.Counter(p[0] for p in pairs if p[1].instance != p[2].instance)
        over = {h: (n, host_moves[h], host_strays[h]) for h, n in cross.items()
                if n > CLOSE_PAIRS_PER_HANDOVER * (host_moves[h] + host_strays[h])}
        if over:
            problems.append("hosts with more close request pairs of two instances than %d per handover or "
                            "stray poll ({host: (pairs, handovers, strays)}): %s; e.g. %s" % (
                                CLOSE_PAIRS_PER_HANDOVER, over,
                                ["%s, %.3fs after %s" % (describe(b, self.t0), gap, describe(a, self.t0))
                                 for h, a, b, gap in pairs if h in over][:8]))

        # Conditional takeovers.
        bare = unconditional_takeovers(by_feed, CONDITIONAL_GRACE)
        if bare:
            problems.append("%d of %d handovers where the new owner's first request had neither If-None-Match "
                            "nor If-Modified-Since although the feed had answered 200 at least %.0fs before: %s" % (
                                len(bare), len(hos), CONDITIONAL_GRACE, [
                                    "%s %s->%s at t=%.1f (last 200 by %s at t=%.1f)" % (
                                        h.source_id, h.old, h.new, self.rel(h.t), last.instance, self.rel(last.t))
                                    for h, last in bare[:8]]))
        summary = ("%d feed handovers (%d first requests with If-None-Match), %d stray polls on %d feeds, "
                   "at most %d handovers of one feed; %d close request pairs of two instances over %d host "
                   "handovers (at most %d on one host); %d feed requests in all" % (
                       len(hos), sum(1 for h in hos if h.first_request.inm), sum(len(v) for v in strays.values()),
                       len(strays), max(per_feed_handovers.values(), default=0), sum(cross.values()),
                       sum(host_moves.values()), max(cross.values(), default=0),
                       sum(len(v) for v in by_feed.values())))
        if problems:
            self.fail("the farm's log (%s):\n- %s\ntimeline: %s" % (summary, "\n- ".join(problems), self.timeline()))
        return summary

    def check_final_state(self):
        """/readyz, /cluster, /sources and metrics of the live instances,
        and who polled each host in the last seconds."""
        owned = self.settle(what="end", timeout=60)
        live = self.cluster.live()
        # /sources: shard per source, all of a host's feeds on one shard, owned = shard in /cluster owned.
        host_shard = {}
        owner_of_shard = {s: i for i, shards in owned.items() for s in shards}
        for instance in live:
            view = self.source_shards(instance)
            self.assertEqual(set(view), set(self.farm.by_source), f"{instance.id}: /sources lists other sources")
            for source_id, (shard, is_owned) in view.items():
                self.assertIsInstance(shard, int, f"{instance.id} /sources {source_id}: shard {shard!r}")
                self.assertTrue(0 <= shard < SHARDS, f"{instance.id} /sources {source_id}: shard {shard}")
                host = self.farm.by_source[source_id].host
                self.assertEqual(host_shard.setdefault(host, shard), shard,
                                 f"{host}'s sources on two shards ({instance.id} /sources {source_id}: {shard}, "
                                 f"another: {host_shard[host]})")
                self.assertEqual(bool(is_owned), shard in owned[instance.id],
                                 f"{instance.id} /sources {source_id}: shard {shard} owned={is_owned} but /cluster "
                                 f"owned={owned[instance.id]}")
        # The farm agrees: over the last polls, each host hears only from its shard's owner.
        since = time.monotonic()
        time.sleep(3 * FEEDS * MIN_HOST_DELAY)
        wrong = collections.Counter()
        for r in self.farm.requests(since=since):
            owner = owner_of_shard.get(host_shard.get(r.host))
            if r.host in host_shard and r.instance != owner:
                wrong[(r.host, r.instance, owner)] += 1
        self.assertEqual(dict(wrong), {}, "requests in the last %.0fs by an instance that does not own the host's "
                         "shard ({(host, by, owner): n})" % (3 * FEEDS * MIN_HOST_DELAY))
        metrics = {}
        for instance in live:
            metrics[instance.id] = {
                "owned": instance.metric("newsd_cluster_owned_shards"),
                "rebalances": instance.metric("newsd_cluster_rebalances_total"),
                "committed": instance.metric("newsd_cluster_transactions_total", {"outcome": "committed"}),
                "aborted": instance.metric("newsd_cluster_transactions_total", {"outcome": "aborted"}),
                "fenced": instance.metric("newsd_cluster_fenced_total"),
                "restore_s": instance.metric("newsd_cluster_restore_seconds"),
            }
        absent = ["%s: %s" % (i, ", ".join(k for k, v in m.items() if v is None)) for i, m in metrics.items()
                  if None in m.values()]
        self.assertEqual(absent, [], "metrics missing on /metrics (newsd_cluster_owned_shards, _rebalances_total, "
                         "_transactions_total{outcome=committed|aborted}, _fenced_total, _restore_seconds)")
        self.assertEqual(sum(m["owned"] or 0 for m in metrics.values()), SHARDS,
                         "newsd_cluster_owned_shards of the live instances: %s" % metrics)
        for instance_id, m in metrics.items():
            self.assertEqual(m["owned"], len(owned[instance_id]),
                             f"{instance_id}: newsd_cluster_owned_shards {m['owned']} but /cluster owns "
                             f"{len(owned[instance_id])}")
        return owned, metrics

    def check_records(self, exactly_once):
        """Reads the topic (read_committed) and checks every item and version;
        returns (records, summary)."""
        records = read_topic(self.broker.bootstrap, self.topic, committed=True)
        expected = self.expected_versions()
        by_version = collections.defaultdict(list)
        for r in records:
            by_version[(r["key"], version_of(r))].append(r)
        missing = [(k, v) for k, vs in expected.items() for v in vs if (k, v) not in by_version]
        if missing:
            self.fail(self.missing_message(missing, "read back with read_committed"))
        unknown = sorted({k for k, _ in by_version} - set(expected))
        self.assertEqual(unknown, [], "%d ids on the topic that the farm never published" % len(unknown))
        extra_versions = sorted((k, v) for k, v in by_version if v not in expected[k])
        self.assertEqual(extra_versions, [], "%d (id, version) beyond the farm's edits, e.g. %s" % (
            len(extra_versions), [(k, v, by_version[(k, v)][0]["value"].get("title")) for k, v in extra_versions[:5]]))
        items = self.farm.published()
        for (key, version), rs in by_version.items():
            self.assertEqual(rs[0]["value"].get("url"), items[key].link, f"record {key} v{version}: url")
        repeats = {k: rs for k, rs in by_version.items() if len(rs) > 1}
        if exactly_once:
            if repeats:
                uncommitted = read_topic(self.broker.bootstrap, self.topic, committed=False, validate=False)
                self.fail("%d of %d (id, version) appear more than once on a read_committed read (%d records, "
                          "%d read_uncommitted); e.g. %s\ntimeline: %s" % (
                              len(repeats), len(by_version), len(records), len(uncommitted),
                              ["%s v%s: %d times, offsets %s, sources %s, identical values: %s" % (
                                  k[0], k[1], len(rs), [r["offset"] for r in rs],
                                  sorted({items[k[0]].feed.source_id}), len({r["payload"] for r in rs}) == 1)
                               for k, rs in list(repeats.items())[:6]], self.timeline()))
        else:
            differing = {k: rs for k, rs in repeats.items() if len({r["payload"] for r in rs}) > 1}
            if differing:
                k, rs = next(iter(differing.items()))
                a, b = json.loads(rs[0]["payload"]), json.loads(rs[1]["payload"])
                self.fail("%d of %d repeated (id, version) carry different values; e.g. %s v%s at offsets %s, "
                          "fields that differ: %s" % (len(differing), len(repeats), k[0], k[1],
                                                       [r["offset"] for r in rs],
                                                       {f: (a.get(f), b.get(f)) for f in set(a) | set(b)
                                                        if a.get(f) != b.get(f)}))
        summary = "%d records for %d (id, version) of %d items (%d edited), %d repeated" % (
            len(records), len(by_version), len(expected), sum(1 for i in items.values() if i.edits), len(repeats))
        return records, summary


class ClusterTest(ClusterTestCase):
    def test_exactly_once_through_kill_freeze_join_restart_and_broker_restart(self):
        self.start_farm(HOSTS, FEEDS)
        cluster = self.make_cluster(exactly_once=True)
        self.event("farm: %d hosts x %d feeds on port %d, %d shards, group %s" % (
            HOSTS, FEEDS, self.farm.port, SHARDS, self.group))
        for instance_id in ("n1", "n2", "n3"):
            self.start(instance_id)
        self.settle(what="n1 n2 n3")
        self.reader = LiveReader(self.broker.bootstrap, self.topic)
        self.farm.start_ticker(RATE)
        self.event("ticker: %.1f items/s" % RATE)

        # Steady: the initial items (3 a feed) reach the topic.
        initial = len(self.farm.by_source) * 3
        deadline = time.monotonic() + 120
        while len(self.reader.keys()) < initial * 0.9:
            if time.monotonic() > deadline:
                self.fail("only %d of %d initial stories on the topic after 120s\n%s" % (
                    len(self.reader.keys()), initial, self.logs()))
            time.sleep(1)
        self.event("%d stories on the topic" % len(self.reader.keys()))

        # Edits of stories n1 published, just before n1 is killed: their
        # version 2 is decided by n1 or by the shards' next owners.
        n1 = cluster.instances["n1"]
        n1_sources = sorted(s for s, (_, owned) in self.source_shards(n1).items() if owned)
        self.assertTrue(n1_sources, "n1 owns no sources")
        seen = self.reader.keys()
        candidates = [item for s in n1_sources for item in self.farm.by_source[s].listed()
                      if item.id in seen and item.edits == 0]
        edited = candidates[::max(1, len(candidates) // 24)][:24]
        self.farm.edit_items(edited)
        self.event("edited %d stories on %d of n1's %d sources" % (
            len(edited), len({i.feed.source_id for i in edited}), len(n1_sources)))
        time.sleep(FEEDS * MIN_HOST_DELAY)  # about one poll of each feed

        # SIGKILL n1 mid-stream.
        n1.kill()
        killed_at = time.monotonic()
        self.event("SIGKILL n1")
        self.settle(instances=[cluster.instances["n2"], cluster.instances["n3"]], what="n1 killed")
        self.wait_polled_by_others(n1_sources, "n1", killed_at)
        self.event("n1's %d sources polled by n2/n3 (%.1fs after the kill)" % (
            len(n1_sources), time.monotonic() - killed_at))

        # SIGSTOP n2 past the session timeout: n3 takes everything; SIGCONT.
        n2, n3 = cluster.instances["n2"], cluster.instances["n3"]
        n2_sources = sorted(s for s, (_, owned) in self.source_shards(n2).items() if owned)
        n2.pause()
        paused_at = time.monotonic()
        self.event("SIGSTOP n2 (%d sources)" % len(n2_sources))
        self.settle(instances=[n3], what="n2 frozen")
        self.wait_polled_by_others(n2_sources, "n2", paused_at)
        n2.resume()
        self.event("SIGCONT n2 after %.1fs" % (time.monotonic() - paused_at))
        self.settle(instances=[n2, n3], what="n2 back")

        # A fourth instance joins; n1 comes back with the same id and an empty state directory.
        self.start("n4")
        self.settle(what="n4 joined")
        self.start("n1", fresh_state=True)
        self.settle(what="n1 restarted")

        # The broker restarts (same ports, same data).
        if BROKER_RESTART:
            self.broker.stop()
            self.event("broker stopped")
            time.sleep(3)
            self.broker.resume()
            self.event("broker resumed")
            self.settle(timeout=240, what="broker restarted", soft=True)

        time.sleep(10)
        self.farm.stop_ticker()
        self.event("ticker stopped: %d items published" % len(self.farm.items()))
        if self.wait_all_published(240):
            self.event("every item and version seen by the reader")

        # Every check runs, and the test fails with all that went wrong.
        summaries = []
        events = sum(1 for _, what in self.events
                     if what.split()[0] in ("started", "SIGKILL", "SIGSTOP", "SIGCONT", "broker"))
        for check in (lambda: self.check_records(exactly_once=True)[1],
                      lambda: self.check_polling(membership_events=events),
                      lambda: "owned at the end: %s\nmetrics: %s" % self.check_final_state()):
            try:
                summaries.append(check())
            except AssertionError as e:
                self.problems.append(str(e))
        for instance in cluster.live():
            code = instance.terminate()
            if code != 0:
                self.problems.append(f"{instance.id} exited {code} on SIGTERM: {instance.log_tail()}")
        print("\n%s\ntimeline: %s" % ("\n".join(summaries), self.timeline()), file=sys.stderr)
        if self.problems:
            self.fail("%d problems:\n\n%s" % (len(self.problems), "\n\n".join(self.problems)))

    def test_at_least_once_repeats_only_identical_values(self):
        self.start_farm(max(4, HOSTS // 3), max(2, FEEDS // 2))
        cluster = self.make_cluster(exactly_once=False)
        self.event("farm: %d hosts, %d sources, exactly_once = false" % (len(self.farm.host_ips),
                                                                         len(self.farm.by_source)))
        self.start("n1")
        self.start("n2")
        self.settle(what="n1 n2")
        self.reader = LiveReader(self.broker.bootstrap, self.topic)
        self.farm.start_ticker(RATE / 2)
        initial = len(self.farm.by_source) * 3
        wait_until = time.monotonic() + 120
        while len(self.reader.keys()) < initial * 0.9:
            if time.monotonic() > wait_until:
                self.fail("only %d of %d initial stories on the topic after 120s\n%s" % (
                    len(self.reader.keys()), initial, self.logs()))
            time.sleep(1)
        time.sleep(3 * FEEDS * MIN_HOST_DELAY)  # a few polls of each feed, with new items
        n1 = cluster.instances["n1"]
        n1_sources = sorted(s for s, (_, owned) in self.source_shards(n1).items() if owned)
        n1.kill()
        killed_at = time.monotonic()
        self.event("SIGKILL n1 (%d sources)" % len(n1_sources))
        self.settle(instances=[cluster.instances["n2"]], what="n1 killed")
        self.wait_polled_by_others(n1_sources, "n1", killed_at)
        self.start("n1")
        self.settle(what="n1 restarted")
        time.sleep(8)
        self.farm.stop_ticker()
        self.event("ticker stopped: %d items published" % len(self.farm.items()))
        self.wait_all_published(180)  # else check_records() says what is missing
        _, summary = self.check_records(exactly_once=False)
        summary += "\n" + self.check_polling(membership_events=sum(
            1 for _, what in self.events if what.split()[0] in ("started", "SIGKILL")))
        for instance in cluster.live():
            self.assertEqual(instance.terminate(), 0, f"{instance.id} on SIGTERM: {instance.log_tail()}")
        print("\n%s\ntimeline: %s" % (summary, self.timeline()), file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
