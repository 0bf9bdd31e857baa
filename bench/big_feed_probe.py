#!/usr/bin/env python3
"""Ingests one feed of N items (default 250,000, ~30 MB) plus a small feed
through newsd with the embedded broker, asks /healthz every 50 ms meanwhile,
and reports what README "Bounded per poll" states: the worst /healthz
latency, how many answers took over 100 ms, peak RSS (VmHWM) and the time
until every item of the big feed was published.

    bench/big_feed_probe.py build/daemon/newsd [--items N] [--dir DIR] [--port P]

The directory (default /tmp/newsd-big-feed) gets the feeds, newsd.toml,
newsd.log and a fresh state directory on every run.
"""
import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request


def write_feed(path, items, title):
    with open(path, "w") as out:
        out.write('<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title>'
                  "<link>https://%s.example/</link><description>d</description>" % (title, title.lower()))
        for n in range(items, 0, -1):  # newest first, as feeds list them
            out.write("<item><title>Item %d</title><link>https://%s.example/n/%d</link>"
                      "<description>Story %d.</description></item>" % (n, title.lower(), n, n))
        out.write("</channel></rss>")


def write_config(directory, port):
    (directory / "newsd.toml").write_text(f"""state_dir = "state"
[http]
listen = "127.0.0.1:{port}"
[kafka]
brokers = "embedded"
topic = "news.articles"
[log]
level = "info"
[[sources]]
id = "big"
url = "file:big.xml"
interval = "10s"
[[sources]]
id = "small"
url = "file:small.xml"
interval = "5s"
""")


def get(port, path):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10).read().decode()


def published(port):
    match = re.search(r'^newsd_articles_published_total\{source="big"\} (\S+)', get(port, "/metrics"), re.M)
    return int(float(match.group(1))) if match else 0


def status_kb(pid, field):
    return int(re.search(field + r":\s+(\d+)", pathlib.Path(f"/proc/{pid}/status").read_text()).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("newsd")
    parser.add_argument("--items", type=int, default=250_000)
    parser.add_argument("--dir", default="/tmp/newsd-big-feed")
    parser.add_argument("--port", type=int, default=19484)
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds")
    args = parser.parse_args()

    directory = pathlib.Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    big = directory / "big.xml"
    if not big.exists() or big.stat().st_size == 0 or f"Item {args.items}<" not in big.open().read(400):
        write_feed(big, args.items, "Big")
    write_feed(directory / "small.xml", 3, "Small")
    write_config(directory, args.port)
    shutil.rmtree(directory / "state", ignore_errors=True)

    log = open(directory / "newsd.log", "w")
    newsd = subprocess.Popen([os.path.abspath(args.newsd), "run", "--config", "newsd.toml"], cwd=directory,
                             stdout=log, stderr=subprocess.STDOUT)
    started = time.monotonic()
    worst, requests, slow, done_at, last_report = 0.0, 0, 0, None, 0.0
    try:
        while time.monotonic() - started < args.timeout and newsd.poll() is None:
            t0 = time.monotonic()
            try:
                get(args.port, "/healthz")
            except OSError:
                if time.monotonic() - started > 5:
                    raise
                time.sleep(0.1)  # not listening yet
                continue
            latency = time.monotonic() - t0
            requests += 1
            worst = max(worst, latency)
            slow += latency > 0.1
            if time.monotonic() - last_report > 5:
                last_report = time.monotonic()
                count = published(args.port)
                print(f"t={last_report - started:.0f}s published={count} VmRSS={status_kb(newsd.pid, 'VmRSS') // 1024} MB "
                      f"VmHWM={status_kb(newsd.pid, 'VmHWM') // 1024} MB worst={worst * 1000:.0f} ms", flush=True)
                if count >= args.items:
                    done_at = last_report - started
                    break
            time.sleep(0.05)
        hwm = status_kb(newsd.pid, "VmHWM")
    finally:
        newsd.send_signal(signal.SIGTERM)
        newsd.wait(timeout=60)
    print(f"items={args.items} published_all_after={'%.0f s' % done_at if done_at else 'not within the timeout'} "
          f"healthz_requests={requests} worst={worst * 1000:.0f} ms over_100ms={slow} VmHWM={hwm // 1024} MB")
    return 0 if done_at else 1


if __name__ == "__main__":
    sys.exit(main())
