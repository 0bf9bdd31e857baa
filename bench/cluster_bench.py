#!/usr/bin/env python3
"""newsd's cluster mode on one machine: 1, 2 and 3 instances of one group
(a fresh group, topic and state each time) polling the loopback feed farm of
tests/integration/feed_farm.py (H hosts 127.0.0.2 ... x F feeds, new items
added all along), with a Kafka broker of its own (kafka_broker.sh).

For each run, over a window after the group settled and caught up: feed
polls per second (from the farm's log), CPU seconds per instance
(/proc/PID/stat utime + stime) and new-item latency (the item added to the
farm -> a read_committed consumer reading its record; and -> the record's
timestamp). In the 3-instance run one instance is then SIGKILLed: the time
from the kill to the first poll of one of its sources by another instance,
until all of them were, until the group settled, and the latency of items
added during that rebalance against before it.

    bench/cluster_bench.py build/daemon/newsd [--hosts 30] [--feeds 8] [--duration 35] [--dir DIR]

Needs what the integration tests need (Java 17 and Maven for the broker, kcat).
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import feed_farm  # noqa: E402
import newsd_harness  # noqa: E402


def seconds(duration):
    """A config duration ("2s", "500ms") in seconds."""
    return float(duration[:-2]) / 1000 if duration.endswith("ms") else float(duration.rstrip("s"))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def fmt_latency(values):
    if not values:
        return "-"
    return "%.2f / %.2f / %.2f s (n=%d)" % (percentile(values, 50), percentile(values, 99), max(values), len(values))


class Run:
    def __init__(self, args, farm, broker, instances):
        self.args, self.farm, self.broker, self.n = args, farm, broker, instances
        self.workdir = os.path.join(args.dir, "run%d" % instances)
        shutil.rmtree(self.workdir, ignore_errors=True)
        os.makedirs(self.workdir)
        tag = uuid.uuid4().hex[:8]
        self.cluster = feed_farm.Cluster(
            self.workdir, broker.bootstrap, farm.sources_toml(args.interval), "bench-%d-%s" % (instances, tag),
            "bench-%d-%s" % (instances, tag), shards=args.shards, exactly_once=not args.at_least_once,
            session_timeout=args.session_timeout, min_host_delay=args.min_host_delay, log_level="info")
        self.result = {"instances": instances}

    def log(self, message):
        print("[%d instance%s] %s" % (self.n, "" if self.n == 1 else "s", message), flush=True)

    def latencies(self, since, until, seen, sources=None):
        """(consumed latencies, record timestamp latencies, not seen) of the items added in [since, until)."""
        consumed, stamped, missing = [], [], 0
        for item in self.farm.items():
            if not (since <= item.added_mono < until) or (sources is not None and item.feed.source_id not in sources):
                continue
            hit = seen.get((item.id, 1))
            if hit is None:
                missing += 1
                continue
            consumed.append(hit[0] - item.added_wall)
            if hit[1]:
                stamped.append(hit[1] / 1000 - item.added_wall)
        return consumed, stamped, missing

    def run(self):
        args = self.args
        instances = [self.cluster.add("b%d" % (k + 1)) for k in range(self.n)]
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.wait_healthy(60)
        t = time.monotonic()
        self.cluster.wait_stable(timeout=180)
        self.log("group settled in %.1fs" % (time.monotonic() - t))
        reader = feed_farm.LiveReader(self.broker.bootstrap, self.cluster.topic)
        try:
            # Caught up: every item listed now is on the topic.
            listed = {item.id for feed in self.farm.feeds.values() for item in feed.listed()}
            newsd_harness.wait_for(lambda: listed <= reader.keys(), 240, "the listed items on the topic")
            self.log("caught up: %d stories on the topic" % len(reader.keys()))
            start = time.monotonic()
            cpu0 = {i.id: i.cpu_seconds() for i in instances}
            time.sleep(args.duration)
            end = time.monotonic()
            cpu1 = {i.id: i.cpu_seconds() for i in instances}
            polls = [r for r in self.farm.requests(since=start, until=end) if r.source_id and r.path.endswith(".xml")]
            self.result.update(
                seconds=end - start,
                polls=len(polls) / (end - start),
                ok=sum(1 for r in polls if r.status == 200) / (end - start),
                cpu={k: cpu1[k] - cpu0[k] for k in cpu0},
                by_instance={i.id: sum(1 for r in polls if r.instance == i.id) / (end - start) for i in instances})
            if self.n >= 3:
                self.rebalance(instances, reader, start)
            # Latencies of the steady window, once its items had time to arrive.
            time.sleep(min(15, args.duration / 2))
            seen = reader.seen()
            # Items added in the last seconds before a kill may wait for the
            # takeover: the steady figure leaves them out.
            margin = 4 * seconds(self.args.interval) if self.n >= 3 else 0
            consumed, stamped, missing = self.latencies(start, end - margin, seen)
            self.result.update(latency=consumed, stamped=stamped, missing=missing)
            self.result["metrics"] = {i.id: {
                "committed": i.metric("newsd_cluster_transactions_total", {"outcome": "committed"}),
                "aborted": i.metric("newsd_cluster_transactions_total", {"outcome": "aborted"}),
                "rebalances": i.metric("newsd_cluster_rebalances_total")} for i in self.cluster.live()}
        finally:
            reader.close()
            for instance in self.cluster.live():
                try:
                    instance.terminate(timeout=60)
                except Exception as e:  # noqa: BLE001 - the bench goes on
                    self.log("%s did not stop on SIGTERM: %s" % (instance.id, e))
            self.cluster.stop_all()
        return self.result

    def rebalance(self, instances, reader, steady_start):
        args = self.args
        victim = instances[0]
        sources = {s["id"] for s in victim.json("/sources")["sources"] if s.get("owned")}
        shards = sorted(victim.cluster_view()["owned"])
        victim.kill()
        killed = time.monotonic()
        self.log("SIGKILL %s (%d sources on %d shards)" % (victim.id, len(sources), len(shards)))
        others = [i for i in instances if i is not victim]
        self.cluster.wait_stable(timeout=180, instances=others)
        settled = time.monotonic()
        deadline = time.monotonic() + 120
        first, all_polled = None, None
        while time.monotonic() < deadline:
            by_feed = self.farm.feed_requests(since=killed)
            firsts = {s: min(r.t for r in rs if r.instance != victim.id) for s, rs in by_feed.items()
                      if s in sources and any(r.instance != victim.id for r in rs)}
            if firsts:
                first = min(firsts.values())
            if len(firsts) == len(sources):
                all_polled = max(firsts.values())
                break
            time.sleep(0.5)
        rest = args.after_kill - (time.monotonic() - killed)
        if rest > 0:
            time.sleep(rest)
        time.sleep(15)  # for the items added during the rebalance to arrive
        seen = reader.seen()
        recovered = all_polled or time.monotonic()
        margin = 4 * seconds(self.args.interval)  # items that the victim had time to publish
        before = self.latencies(killed - 20 - margin, killed - margin, seen)
        during = self.latencies(killed, recovered + 2, seen)
        during_moved = self.latencies(killed, recovered + 2, seen, sources)
        during_kept = self.latencies(killed, recovered + 2, seen, set(self.farm.by_source) - sources)
        self.result["rebalance"] = {
            "victim": victim.id, "sources": len(sources), "shards": len(shards),
            "first_poll": None if first is None else first - killed,
            "all_polled": None if all_polled is None else all_polled - killed,
            "settled": settled - killed,
            "before": before, "during": during, "during_moved": during_moved, "during_kept": during_kept}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("newsd")
    parser.add_argument("--hosts", type=int, default=30)
    parser.add_argument("--feeds", type=int, default=8, help="feeds per host")
    parser.add_argument("--rate", type=float, default=5.0, help="new items per second over the farm")
    parser.add_argument("--interval", default="2s")
    parser.add_argument("--min-host-delay", default="200ms")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--session-timeout", default="6s")
    parser.add_argument("--duration", type=float, default=35, help="seconds measured per run")
    parser.add_argument("--after-kill", type=float, default=25, help="seconds watched after the SIGKILL")
    parser.add_argument("--runs", default="1,2,3", help="instance counts to run")
    parser.add_argument("--at-least-once", action="store_true", help="exactly_once = false")
    parser.add_argument("--dir", default=None, help="work directory (default: a temporary one, removed)")
    args = parser.parse_args()

    newsd_harness.NEWSD = os.path.abspath(args.newsd)
    keep = args.dir is not None
    args.dir = os.path.abspath(args.dir or tempfile.mkdtemp(prefix="newsd-cluster-bench-"))
    os.makedirs(args.dir, exist_ok=True)
    broker = feed_farm.KafkaBroker(os.path.join(args.dir, "kafka"))
    print(broker.start().strip(), flush=True)
    farm = feed_farm.FeedFarm(hosts=args.hosts, feeds_per_host=args.feeds)
    farm.start_ticker(args.rate)
    print("farm: %d hosts x %d feeds on port %d, %.1f new items/s; interval %s, min_host_delay %s, %d shards, "
          "exactly_once = %s" % (args.hosts, args.feeds, farm.port, args.rate, args.interval, args.min_host_delay,
                                 args.shards, not args.at_least_once), flush=True)
    results = []
    try:
        for n in [int(x) for x in args.runs.split(",")]:
            results.append(Run(args, farm, broker, n).run())
    finally:
        farm.close()
        broker.stop()
        if not keep:
            shutil.rmtree(args.dir, ignore_errors=True)

    print()
    print("%-9s %8s %8s %-28s %10s %10s %-36s %s" % ("instances", "polls/s", "200/s", "polls/s per instance",
                                                     "CPU s/inst", "CPU s sum", "latency p50 / p99 / max",
                                                     "record ts p50"))
    for r in results:
        cpu = r["cpu"]
        print("%-9d %8.1f %8.1f %-28s %10.2f %10.2f %-36s %.2f s%s" % (
            r["instances"], r["polls"], r["ok"], " ".join("%.0f" % v for v in r["by_instance"].values()),
            sum(cpu.values()) / len(cpu), sum(cpu.values()), fmt_latency(r["latency"]),
            percentile(r["stamped"], 50), "  (%d items not seen)" % r["missing"] if r["missing"] else ""))
    base = results[0]
    base_cpu = sum(base["cpu"].values())
    for r in results[1:]:
        cpu = sum(r["cpu"].values())
        print("%d vs %d instance%s: polls/s x%.2f, CPU sum x%.2f, CPU per instance x%.2f, latency p50 x%.2f" % (
            r["instances"], base["instances"], "" if base["instances"] == 1 else "s", r["polls"] / base["polls"],
            cpu / base_cpu, (cpu / r["instances"]) / (base_cpu / base["instances"]),
            percentile(r["latency"], 50) / percentile(base["latency"], 50)))
    for r in results:
        rb = r.get("rebalance")
        if not rb:
            continue
        print("\nSIGKILL of %s (%d sources on %d shards) with %d instances:" % (
            rb["victim"], rb["sources"], rb["shards"], r["instances"]))
        print("  kill -> first poll of a moved source by another instance: %s" % (
            "%.1f s" % rb["first_poll"] if rb["first_poll"] is not None else "never (120 s)"))
        print("  kill -> every moved source polled by another instance:    %s" % (
            "%.1f s" % rb["all_polled"] if rb["all_polled"] is not None else "not within 120 s"))
        print("  kill -> /cluster of the others covers every shard:         %.1f s" % rb["settled"])
        for name in ("before", "during", "during_moved", "during_kept"):
            consumed, stamped, missing = rb[name]
            label = {"before": "items added 20 s before (not the last)", "during": "items added during the rebalance",
                     "during_moved": "  of them on moved sources", "during_kept": "  of them on the others"}[name]
            print("  %-36s latency p50 / p99 / max %s%s" % (label, fmt_latency(consumed),
                                                      "  (%d not seen)" % missing if missing else ""))
        if rb["before"][0] and rb["during"][0]:
            print("  during / before: p50 x%.2f, p99 x%.2f" % (
                percentile(rb["during"][0], 50) / percentile(rb["before"][0], 50),
                percentile(rb["during"][0], 99) / percentile(rb["before"][0], 99)))
    print("(with 3 instances or more, the steady figures leave out the items added in the last %.0f s before the "
          "kill)" % (4 * seconds(args.interval)))
    print("\nmetrics at the end of each run: " + "; ".join(
        "%d: %s" % (r["instances"], r.get("metrics")) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
