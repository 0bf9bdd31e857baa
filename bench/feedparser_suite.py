#!/usr/bin/env python3
"""Scores `newsd parse-feed` on feedparser's own test cases.

Each feedparser case is an XML (or JSON) file with a comment holding an
`Expect:` line, a Python expression over feedparser's result. This script runs
newsd on the cases, builds a feedparser-shaped result from each feed record and
evaluates the expression. Only cases whose expression reads nothing but fields
newsd models are scored (title, link, description/summary/subtitle, content,
author, guid/id, categories, dates, language, enclosures, comments, image,
bozo = malformed); the rest are counted as skipped. Cases that need HTTP
headers (a `Header:` line) are skipped too: parse-feed reads files.

Text is compared with or without markup: a plain-text field (title) matches
when it equals the expected value or the expected value's text; an HTML field
(summary, content) when its text equals the expected value's text.

usage: bench/feedparser_suite.py [--newsd build/daemon/newsd] [-v] DIR...
  DIR: feedparser's tests/wellformed, tests/illformed, tests/entities, ...
  (pip download --no-deps --no-binary :all: feedparser==6.0.11 has them)

A peer in the same run: bench/gofeed_peer prints gofeed's result as newsd's
feed record (gofeed has no bozo flag, so its `malformed` is always null);
  go -C bench/gofeed_peer build -o /tmp/gofeed_peer .
  bench/feedparser_suite.py --with-gofeed /tmp/gofeed_peer DIR...   # both
  bench/feedparser_suite.py --peer gofeed --peer-bin /tmp/gofeed_peer -v DIR...
--command CMD scores any `CMD FILE...` printing such records.
"""
import argparse
import ast
import calendar
import html
import html.parser
import json
import os
import re
import shlex
import subprocess
import sys
import time

# ---- text comparison -------------------------------------------------------


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def _ws(text):
    return " ".join(text.split())


def html_text(text):
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return _ws("".join(parser.parts))


class Text(str):
    """A newsd string that compares the way the score is defined."""

    is_html = False

    def __eq__(self, other):
        if not isinstance(other, str):
            return False
        if str.__eq__(self, other) or _ws(self) == _ws(other):
            return True
        if self.is_html:
            return html_text(self) == html_text(other)
        return _ws(self) == html_text(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = str.__hash__


class Html(Text):
    is_html = True


class Author(Text):
    """feedparser's author string: "name (email)" or whatever the feed wrote."""

    def __new__(cls, person):
        name, email = person.get("name") or "", person.get("email") or ""
        value = f"{name} ({email})" if name and email else name or email
        obj = super().__new__(cls, value)
        obj.forms = {value, name, email, f"{email} ({name})", f"{name} <{email}>"}
        return obj

    def __eq__(self, other):
        return isinstance(other, str) and (_ws(other) in self.forms or super().__eq__(other))

    __hash__ = str.__hash__


# ---- which expectations newsd can meet -------------------------------------

_PERSON = {"name": None, "email": None}
_FEED = {
    "title": None, "title_detail": {"value": None},
    "link": None,
    "subtitle": None, "subtitle_detail": {"value": None},
    "tagline": None, "tagline_detail": {"value": None},
    "description": None,
    "language": None, "updated_parsed": None,
    "author": None, "author_detail": _PERSON, "authors": {"*": _PERSON},
    "image": {"href": None, "url": None, "title": None},
}
_ENTRY = {
    "title": None, "title_detail": {"value": None},
    "link": None, "id": None, "guid": None, "guidislink": None,
    "summary": None, "summary_detail": {"value": None}, "description": None,
    "content": {"*": {"value": None}},
    "author": None, "author_detail": _PERSON, "authors": {"*": _PERSON},
    "tags": {"*": {"term": None}}, "category": None,
    "published_parsed": None, "updated_parsed": None,
    "enclosures": {"*": {"href": None, "url": None, "length": None, "type": None}},
    "comments": None,
}
_SCHEMA = {"feed": _FEED, "entries": {"*": _ENTRY}, "bozo": None}


def _path(node):
    """The chain of keys of feed['a'][0]['b'] / feed.get('a'), root first; None if not one."""
    keys = []
    while True:
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            keys.append(node.slice.value)
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant)):
            keys.append(node.args[0].value)
            node = node.func.value
        elif isinstance(node, ast.Attribute) and node.attr not in ("get", "has_key"):
            keys.append(node.attr)
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "has_key"
              and node.args and isinstance(node.args[0], ast.Constant)):
            keys.append(node.args[0].value)
            node = node.func.value
        elif isinstance(node, ast.Name):
            keys.append(node.id)
            return list(reversed(keys))
        else:
            return None


def _allowed(keys):
    schema = _SCHEMA
    for key in keys:
        if schema is None:
            return False
        if isinstance(key, int):
            key = "*"
        if key not in schema:
            return False
        schema = schema[key]
    return True


def modelled(expression):
    tree = ast.parse(expression, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in ("feed", "entries", "bozo", "len", "ord", "True", "False",
                                                          "None", "time"):
            return False
        if isinstance(node, (ast.Subscript, ast.Call, ast.Attribute)):
            keys = _path(node)
            if keys is not None and keys[0] in _SCHEMA and not _allowed(keys):
                return False
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            # 'x' in feed: presence of a key newsd may model differently
            if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
                for comparator in node.comparators:
                    keys = _path(comparator)
                    if keys and keys[0] in _SCHEMA and not _allowed(keys + [node.left.value]):
                        return False
    return True


# ---- newsd record -> feedparser-shaped result -------------------------------


class Record(dict):
    """A feed or entry as feedparser has them (keys read as attributes too); a
    text field newsd left out (it was empty) reads as ''."""

    _TEXT = {"title", "summary", "description", "subtitle", "tagline"}

    def __missing__(self, key):
        if key in self._TEXT:
            return Text("")
        raise KeyError(key)

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def has_key(self, key):
        return key in self


def _struct(rfc3339):
    if not rfc3339:
        return None
    return time.gmtime(calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")))


def _people(out, people):
    if not people:
        return
    out["authors"] = [Record({k: Text(v) for k, v in p.items() if v}) for p in people]
    out["author_detail"] = out["authors"][0]
    out["author"] = Author(people[0])


def _text(out, keys, value, kind=Text):
    if value:
        for key in keys:
            out[key] = kind(value)
            out[key + "_detail"] = Record({"value": kind(value)})


def result_of(record):
    feed = Record()
    _text(feed, ["title"], record.get("title"))
    _text(feed, ["subtitle", "tagline", "description"], record.get("description"), Html)
    if record.get("link"):
        feed["link"] = Text(record["link"])
    if record.get("language"):
        feed["language"] = Text(record["language"])
    if record.get("updated"):
        feed["updated_parsed"] = _struct(record["updated"])
    _people(feed, record.get("authors"))
    if record.get("image"):
        image = record["image"]
        feed["image"] = Record({"href": Text(image["url"]), "url": Text(image["url"])})
        if image.get("title"):
            feed["image"]["title"] = Text(image["title"])
    entries = []
    for item in record.get("items", []):
        entry = Record()
        _text(entry, ["title"], item.get("title"))
        if item.get("link"):
            entry["link"] = Text(item["link"])
        if item.get("guid"):
            entry["id"] = entry["guid"] = Text(item["guid"])
            entry["guidislink"] = bool(item.get("guid_is_permalink")) and item.get("link") == item["guid"]
        summary = item.get("summary") or item.get("content")
        _text(entry, ["summary", "description"], summary, Html)
        if item.get("content"):
            entry["content"] = [Record({"value": Html(item["content"])})]
        _people(entry, item.get("authors"))
        if item.get("categories"):
            entry["tags"] = [Record({"term": Text(c)}) for c in item["categories"]]
            entry["category"] = Text(item["categories"][0])
        for key in ("published", "updated"):
            if item.get(key):
                entry[key + "_parsed"] = _struct(item[key])
        if item.get("enclosures"):
            entry["enclosures"] = [
                Record({k: v for k, v in {"href": Text(e["url"]), "url": Text(e["url"]),
                                   "length": None if e.get("length") is None else str(e["length"]),
                                   "type": e.get("type") and Text(e["type"])}.items() if v is not None})
                for e in item["enclosures"]]
        if item.get("comments"):
            entry["comments"] = Text(item["comments"])
        entries.append(entry)
    return {"feed": feed, "entries": entries, "bozo": record.get("malformed") is not None}


# ---- the suite ---------------------------------------------------------------

_EXPECT = re.compile(rb"^\s*Expect:\s*(.*?)\s*$", re.M)
_HEADER = re.compile(rb"^\s*Header:", re.M)


def cases(dirs):
    for top in dirs:
        for root, _, files in os.walk(top):
            for name in sorted(files):
                if name.endswith((".xml", ".json")):
                    yield os.path.join(root, name)


def run_records(command, paths):
    """One record per path: `command PATH...` in batches, one JSON line each."""
    records = []
    batch = 200
    for start in range(0, len(paths), batch):
        chunk = paths[start:start + batch]
        run = subprocess.run([*command, *chunk], capture_output=True, text=True)
        lines = run.stdout.splitlines()
        if len(lines) != len(chunk):
            sys.exit(f"{command[0]} printed {len(lines)} lines for {len(chunk)} inputs:\n{run.stderr}")
        records.extend(json.loads(line) for line in lines)
    return records


def score(scored, records):
    """The set of failing paths, scoring each record against its case's expression."""
    failing = set()
    for (path, expression), record in zip(scored, records):
        # A document the parser could not read at all is what feedparser calls bozo with no feed.
        env = result_of(record) if "error" not in record else {"feed": Record(), "entries": [], "bozo": True}
        env.update({"len": len, "ord": ord, "time": time})
        try:
            ok = bool(eval(expression, {"__builtins__": {}}, env))
        except Exception:
            ok = False
        if not ok:
            failing.add(path)
    return failing


def _fail_line(path, expression, record, label=""):
    return (f"FAIL{label} {path}\n  expect: {expression}\n"
            f"  got:    {json.dumps(record, ensure_ascii=False)[:400]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--newsd", default="build/daemon/newsd")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print each failing case (with --with-gofeed: each case where the two differ)")
    parser.add_argument("--expect-failures", metavar="FILE",
                        help="exit 1 unless the failing cases are exactly those listed in FILE "
                             "(paths relative to --root), printing the differences")
    parser.add_argument("--write-failures", metavar="FILE", help="write the failing cases to FILE")
    parser.add_argument("--root", default=".", help="what listed paths are relative to")
    peer = parser.add_mutually_exclusive_group()
    peer.add_argument("--command", metavar="CMD",
                      help="score `CMD FILE...` (one newsd-shaped JSON line per file) instead of "
                           "`NEWSD parse-feed FILE...`")
    peer.add_argument("--peer", choices=["gofeed"],
                      help="score the gofeed adapter (bench/gofeed_peer, binary given by --peer-bin) "
                           "instead of newsd")
    peer.add_argument("--with-gofeed", metavar="PATH",
                      help="score newsd, then the gofeed adapter binary PATH on the same cases; print "
                           "both and the difference (the failure options apply to newsd)")
    parser.add_argument("--peer-bin", metavar="PATH", default="/tmp/gofeed_peer",
                        help="the built gofeed adapter for --peer gofeed (go -C bench/gofeed_peer build "
                             "-o /tmp/gofeed_peer .); default %(default)s")
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()

    scored = []
    skipped = 0
    for path in cases(args.dirs):
        with open(path, "rb") as f:
            data = f.read()
        match = _EXPECT.search(data)
        if not match or _HEADER.search(data):
            skipped += 1
            continue
        expression = match.group(1).decode("utf-8", "replace")
        try:
            if not modelled(expression):
                skipped += 1
                continue
        except SyntaxError:
            skipped += 1
            continue
        scored.append((path, expression))
    paths = [path for path, _ in scored]
    total = len(scored)

    if args.command:
        label, command = args.command, shlex.split(args.command)
    elif args.peer == "gofeed":
        label, command = "gofeed", [args.peer_bin]
    else:
        label, command = "newsd", [args.newsd, "parse-feed"]
    records = run_records(command, paths)
    failing_paths = score(scored, records)
    passed = total - len(failing_paths)
    failing = {os.path.relpath(path, args.root) for path in failing_paths}

    if args.with_gofeed:
        peer_records = run_records([args.with_gofeed], paths)
        peer_failing = score(scored, peer_records)
        if args.verbose:
            for (path, expression), record, peer_record in zip(scored, records, peer_records):
                if (path in failing_paths) != (path in peer_failing):
                    print(_fail_line(path, expression, record if path in failing_paths else peer_record,
                                     " newsd " if path in failing_paths else " gofeed"))
    elif args.verbose:
        for (path, expression), record in zip(scored, records):
            if path in failing_paths:
                print(_fail_line(path, expression, record))

    line = (f"{passed}/{total} passed ({100.0 * passed / max(total, 1):.1f} %); {skipped} cases skipped "
            f"(not modelled by newsd or need HTTP headers)")
    print(line if label == "newsd" and not args.with_gofeed else f"{label}: {line}" if not args.with_gofeed
          else f"newsd:  {line}")
    if args.with_gofeed:
        peer_passed = total - len(peer_failing)
        print(f"gofeed: {peer_passed}/{total} passed ({100.0 * peer_passed / max(total, 1):.1f} %)")
        print(f"difference: newsd {passed - peer_passed:+d} cases "
              f"({100.0 * (passed - peer_passed) / max(total, 1):+.1f} points); "
              f"{len(peer_failing - failing_paths)} pass only in newsd, "
              f"{len(failing_paths - peer_failing)} only in gofeed")
    if args.write_failures:
        with open(args.write_failures, "w") as f:
            f.write(f"# feedparser cases {label} does not pass (bench/feedparser_suite.py --write-failures)\n")
            f.writelines(name + "\n" for name in sorted(failing))
    if args.expect_failures:
        with open(args.expect_failures) as f:
            listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
        for name in sorted(failing - listed):
            print(f"new failure: {name}")
        for name in sorted(listed - failing):
            print(f"now passes, remove from {args.expect_failures}: {name}")
        if failing != listed:
            sys.exit(1)


if __name__ == "__main__":
    main()
