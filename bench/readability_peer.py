#!/usr/bin/python3
"""The peer extract_bench compares newsd with: readability-lxml (Debian's
python3-readability) on the same pages, one core, timed per page.

usage: readability_peer.py LIST [ROUNDS]   (LIST: one .html or .html.gz path per line)
Prints {"pages": N, "pages_per_s": ..., "p50_ms": ..., "p99_ms": ...}.
"""
import gzip
import json
import sys
import time

from readability import Document


def read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def main():
    with open(sys.argv[1]) as f:
        paths = [line.strip() for line in f if line.strip()]
    pages = [read(p) for p in paths]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    times = []
    # Fastest of `rounds` runs per page, as extract_bench does for newsd.
    for html in pages:
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                doc = Document(html)
                doc.title()
                doc.summary()
            except Exception:  # a page readability cannot handle still took its time
                pass
            best = min(best, (time.perf_counter() - start) * 1000.0)
        times.append(best)
    total = sum(times) / 1000.0
    ordered = sorted(times)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    print(json.dumps({"pages": len(times), "pages_per_s": len(times) / total,
                      "p50_ms": at(0.5), "p99_ms": at(0.99)}))


if __name__ == "__main__":
    main()
