#!/usr/bin/env python3
"""The peer for bench/feed_parse_bench: Python feedparser on the same inputs.

usage: feedparser_peer.py --seconds S --corpus LIST_FILE --big FILE

Parses every file named in LIST_FILE (one path a line) round after round for
at least S seconds, then the big feed for at least S seconds, and prints one
JSON object: {"corpus_feeds_per_s", "corpus_mb_per_s", "big_mb_per_s", "version"}.
"""
import argparse
import json
import time

import feedparser


def rate(payloads, seconds):
    """Feeds and bytes parsed per second, over whole rounds of payloads."""
    feeds = 0
    size = 0
    start = time.perf_counter()
    while True:
        for payload in payloads:
            feedparser.parse(payload)
        feeds += len(payloads)
        size += sum(len(p) for p in payloads)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return feeds / elapsed, size / elapsed / 1e6


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--big", required=True)
    args = parser.parse_args()
    with open(args.corpus, encoding="utf-8") as listing:
        paths = [line.strip() for line in listing if line.strip()]
    corpus = []
    for path in paths:
        with open(path, "rb") as f:
            corpus.append(f.read())
    with open(args.big, "rb") as f:
        big = f.read()
    corpus_feeds, corpus_mb = rate(corpus, args.seconds)
    _, big_mb = rate([big], args.seconds)
    print(json.dumps({
        "corpus_feeds_per_s": corpus_feeds,
        "corpus_mb_per_s": corpus_mb,
        "big_mb_per_s": big_mb,
        "version": feedparser.__version__,
    }))


if __name__ == "__main__":
    main()
