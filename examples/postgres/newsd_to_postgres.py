#!/usr/bin/env python3
"""Keeps a PostgreSQL table of the latest version of every newsd story.

Reads newsd article records (key: story id, value: newsd.article.v1 JSON)
from one or more Kafka topics and, per record, in key order:

  * an article: upserts its row when its version is newer than the stored
    one; a repeat of the stored version or an older version changes nothing;
  * a retraction (value "retracted": true, carrying the LAST version that was
    published) or a tombstone (null value, on newsd's compacted latest
    topic): deletes the row when the stored version is not newer, and
    remembers the retraction so that an older or repeated version read later
    does not bring the story back. A later, newer version does.

Offsets are committed to Kafka only after the database transaction that
applied them committed (at-least-once); replaying is harmless because every
write is conditional on the version. Malformed records are logged, counted
and skipped, never fatal. See README.md beside this file.

Needs Debian's python3-confluent-kafka and python3-psycopg2. Importable:
main(argv) runs it, StoryTable applies records to a connection.
"""
import argparse
import datetime
import json
import logging
import re
import signal
import sys
import time

log = logging.getLogger("newsd_to_postgres")

ARTICLE_SCHEMA = "newsd.article.v1"
RETRACTED_TYPE = "org.newsd.article.retracted"
ID_RE = re.compile(r"^[0-9a-f]{32}$")
TABLE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,50}$")


class Malformed(ValueError):
    """A record that does not meet the contract: logged, counted, skipped."""


# --- reading a record -------------------------------------------------------

def _text(value, field):
    v = value.get(field)
    if v is not None and not isinstance(v, str):
        raise Malformed(f"{field} is not a string or null")
    return v


def _strings(value, field):
    v = value.get(field)
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise Malformed(f"{field} is not a list of strings")
    return v


def _time(value, field):
    v = value.get(field)
    if v is None:
        return None
    if not isinstance(v, str):
        raise Malformed(f"{field} is not an RFC 3339 string or null")
    try:
        t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"{field} {v!r} is not an RFC 3339 date-time") from None
    if t.tzinfo is None:
        raise Malformed(f"{field} {v!r} has no offset")
    return t


def _version(raw):
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise Malformed(f"version {raw!r} is not an integer >= 1")
    if raw > 2**31 - 1:
        raise Malformed(f"version {raw} is out of range")
    return raw


def _header(headers, name):
    for k, v in headers or ():
        if k == name:
            try:
                return v.decode("utf-8") if v is not None else None
            except UnicodeDecodeError:
                raise Malformed(f"header {name} is not UTF-8") from None
    return None


def parse_record(key, value, headers):
    """What one Kafka record says, as a dict with "kind" one of "article",
    "retraction" or "tombstone"; raises Malformed when it breaks the contract.
    key and value are bytes (value None for a tombstone), headers a list of
    (name, bytes) or None."""
    try:
        key_text = key.decode("ascii") if key is not None else None
    except UnicodeDecodeError:
        raise Malformed("key is not ASCII") from None
    header_version = _header(headers, "version")
    if header_version is not None:
        if not re.fullmatch(r"[1-9][0-9]{0,9}", header_version):
            raise Malformed(f"version header {header_version!r} is not a decimal version")
        header_version = _version(int(header_version))

    if value is None:
        if key_text is None or not ID_RE.match(key_text):
            raise Malformed(f"tombstone key {key_text!r} is not a story id")
        # A tombstone may carry its version as a header; without one it
        # retracts whatever version is stored.
        return {"kind": "tombstone", "id": key_text, "version": header_version}

    try:
        record = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise Malformed(f"value is not UTF-8 JSON ({e})") from None
    if not isinstance(record, dict):
        raise Malformed("value is not a JSON object")
    if record.get("schema") != ARTICLE_SCHEMA:
        raise Malformed(f"schema {record.get('schema')!r} is not {ARTICLE_SCHEMA}")
    story = record.get("id")
    if not isinstance(story, str) or not ID_RE.match(story):
        raise Malformed(f"id {story!r} is not 32 lower-case hex digits")
    if key_text is not None and key_text != story:
        raise Malformed(f"key {key_text!r} is not the record's id {story}")
    if "version" in record:
        version = _version(record["version"])
        if header_version is not None and header_version != version:
            raise Malformed(f"version header {header_version} differs from the value's version {version}")
    elif header_version is not None:
        version = header_version
    else:
        raise Malformed("no version (neither the value's field nor the header)")

    retracted = record.get("retracted", False)
    if not isinstance(retracted, bool):
        raise Malformed("retracted is not a boolean")
    ce_type = _header(headers, "ce_type")
    if ce_type is not None and (ce_type == RETRACTED_TYPE) != retracted:
        raise Malformed(f"ce_type {ce_type} and the value's retracted field ({retracted}) disagree")
    common = {"id": story, "version": version, "url": _text(record, "url"), "source": _text(record, "source"),
              "record": json.dumps(record, ensure_ascii=False, separators=(",", ":"))}
    if retracted:
        return dict(common, kind="retraction", retracted_at=_time(record, "retracted_at"))
    return dict(common, kind="article",
                title=_text(record, "title"), body=_text(record, "body"), summary=_text(record, "summary"),
                authors=_strings(record, "authors"), tags=_strings(record, "tags"),
                published_at=_time(record, "published_at"), updated_at=_time(record, "updated_at"),
                fetched_at=_time(record, "fetched_at"), language=_text(record, "language"),
                section=_text(record, "section"), image=_text(record, "image"),
                site_name=_text(record, "site_name"), duplicate_of=_text(record, "duplicate_of"))


# --- the table ----------------------------------------------------------------

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS {table} (
  id              text PRIMARY KEY,          -- story id, the Kafka key
  version         integer NOT NULL,          -- newest version applied
  url             text,
  source          text,
  title           text,
  body            text,
  summary         text,
  authors         text[] NOT NULL DEFAULT '{{}}',
  tags            text[] NOT NULL DEFAULT '{{}}',
  published_at    timestamptz,               -- the offset the source stated is in record
  updated_at      timestamptz,
  fetched_at      timestamptz,
  language        text,
  section         text,
  image           text,
  site_name       text,
  duplicate_of    text,
  record          jsonb NOT NULL,            -- the whole value as published
  kafka_topic     text NOT NULL,             -- where that version was read
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  stored_at       timestamptz NOT NULL DEFAULT now()
);
-- Stories retracted at a version: a version not newer than this one is not
-- stored again (a replay, or a copy read late from another topic).
CREATE TABLE IF NOT EXISTS {retracted} (
  id              text PRIMARY KEY,
  version         integer,                   -- the last version published; NULL: unknown (tombstone without one)
  retracted_at    timestamptz,
  url             text,
  source          text,
  record          jsonb,                     -- NULL for a tombstone
  kafka_topic     text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  stored_at       timestamptz NOT NULL DEFAULT now()
);
"""

ARTICLE_COLUMNS = ("id", "version", "url", "source", "title", "body", "summary", "authors", "tags",
                   "published_at", "updated_at", "fetched_at", "language", "section", "image", "site_name",
                   "duplicate_of", "record", "kafka_topic", "kafka_partition", "kafka_offset")


class StoryTable:
    """Applies parsed records to the story table over one psycopg2
    connection, inside the caller's transaction. Needs psycopg2."""

    def __init__(self, table="newsd_articles"):
        if not TABLE_RE.match(table):
            raise ValueError(f"table name {table!r}: use [a-z_][a-z0-9_]*")
        self.table = table
        self.retracted = table + "_retracted"
        casts = {"authors": "::text[]", "tags": "::text[]", "record": "::jsonb"}
        values = ", ".join(f"%({c})s{casts.get(c, '')}" for c in ARTICLE_COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ARTICLE_COLUMNS if c != "id")
        self._upsert = (f"INSERT INTO {table} ({', '.join(ARTICLE_COLUMNS)}) VALUES ({values}) "
                        f"ON CONFLICT (id) DO UPDATE SET {updates}, stored_at = now() "
                        f"WHERE {table}.version < EXCLUDED.version RETURNING id")

    def schema_sql(self):
        return SCHEMA_SQL.format(table=self.table, retracted=self.retracted)

    def create(self, conn):
        """Creates the tables when missing (one transaction, serialised
        against other consumers starting at the same time)."""
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ("newsd_to_postgres:" + self.table,))
            cur.execute(self.schema_sql())
        conn.commit()

    def lock(self, cur, ids):
        """Serialises work on these stories against other consumers (two
        topics read by two processes may carry the same story), in one
        order so that two batches never deadlock."""
        cur.execute("SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(i, 0) AS h "
                    "FROM unnest(%s::text[]) AS i ORDER BY h) AS locks", (sorted(ids),))

    def apply(self, cur, rec, where):
        """Applies one parsed record; returns "upserted", "unchanged",
        "deleted" or "retracted" (a retraction that found no row it could
        delete). where: (topic, partition, offset)."""
        topic, partition, offset = where
        if rec["kind"] == "article":
            cur.execute(f"SELECT version FROM {self.retracted} WHERE id = %s", (rec["id"],))
            row = cur.fetchone()
            if row is not None and row[0] is not None and rec["version"] <= row[0]:
                return "unchanged"
            params = dict(rec, kafka_topic=topic, kafka_partition=partition, kafka_offset=offset)
            cur.execute(self._upsert, params)
            return "upserted" if cur.fetchone() is not None else "unchanged"

        version = rec["version"]
        if version is None:  # a tombstone without a version: whatever is stored goes
            cur.execute(f"DELETE FROM {self.table} WHERE id = %s RETURNING version", (rec["id"],))
        else:
            cur.execute(f"DELETE FROM {self.table} WHERE id = %s AND version <= %s RETURNING version",
                        (rec["id"], version))
        row = cur.fetchone()
        deleted = row is not None
        if version is None and deleted:
            version = row[0]
        cur.execute(
            f"INSERT INTO {self.retracted} AS r (id, version, retracted_at, url, source, record, "
            f"kafka_topic, kafka_partition, kafka_offset) VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s) "
            f"ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, retracted_at = EXCLUDED.retracted_at, "
            f"url = EXCLUDED.url, source = EXCLUDED.source, record = EXCLUDED.record, "
            f"kafka_topic = EXCLUDED.kafka_topic, kafka_partition = EXCLUDED.kafka_partition, "
            f"kafka_offset = EXCLUDED.kafka_offset, stored_at = now() "
            f"WHERE r.version IS NULL OR r.version < EXCLUDED.version",
            (rec["id"], version, rec.get("retracted_at"), rec.get("url"), rec.get("source"), rec.get("record"),
             topic, partition, offset))
        return "deleted" if deleted else "retracted"


# --- the consumer ---------------------------------------------------------------

class Stats(dict):
    KEYS = ("records", "upserted", "unchanged", "deleted", "retracted", "malformed", "batches",
            "db_retries", "commit_failures")

    def __init__(self):
        super().__init__((k, 0) for k in self.KEYS)


class Stop(Exception):
    pass


def _one_line(error):
    return " ".join(str(error).split())


def _kafka_where(msg):
    return msg.topic(), msg.partition(), msg.offset()


class Runner:
    """The consume → transaction → commit loop."""

    def __init__(self, args):
        import confluent_kafka
        import psycopg2
        self.kafka = confluent_kafka
        self.pg = psycopg2
        self.args = args
        self.table = StoryTable(args.table)
        self.stats = Stats()
        self.stopping = False
        self.conn = None
        self.assigned = set()
        self.at_end = set()
        config = {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.group,
            "enable.auto.commit": False,
            "auto.offset.reset": args.offset_reset,
            "enable.partition.eof": True,
            "client.id": "newsd_to_postgres",
        }
        for prop in args.kafka_property:
            name, _, value = prop.partition("=")
            config[name] = value
        self.consumer = confluent_kafka.Consumer(config, logger=log)

    # Kafka side -----------------------------------------------------------
    def on_assign(self, consumer, partitions):
        self.assigned |= {(p.topic, p.partition) for p in partitions}
        log.info("assigned %s", ", ".join(f"{p.topic}[{p.partition}]" for p in partitions) or "nothing")

    def on_revoke(self, consumer, partitions):
        gone = {(p.topic, p.partition) for p in partitions}
        self.assigned -= gone
        self.at_end -= gone

    def caught_up(self):
        return bool(self.assigned) and self.assigned <= self.at_end

    def commit(self, batch):
        """Commits the offsets after the last record of each partition in
        the batch. A failed commit is only logged: the records are read again
        later, and applying them again changes nothing."""
        last = {}
        for msg in batch:
            tp = (msg.topic(), msg.partition())
            last[tp] = max(last.get(tp, -1), msg.offset())
        offsets = [self.kafka.TopicPartition(t, p, o + 1) for (t, p), o in sorted(last.items())]
        try:
            result = self.consumer.commit(offsets=offsets, asynchronous=False)
            failed = [tp for tp in result or () if tp.error]
            if failed:
                raise self.kafka.KafkaException(failed[0].error)
        except self.kafka.KafkaException as e:
            self.stats["commit_failures"] += 1
            log.warning("committing offsets failed (the records will be read and applied again): %s", e)

    # Database side ----------------------------------------------------------
    def connect(self):
        """Connects (creating the tables when missing), retrying while the
        database is unavailable."""
        delay = 0.2
        while True:
            if self.stopping:
                raise Stop()
            try:
                conn = self.pg.connect(self.args.dsn, application_name="newsd_to_postgres")
                self.table.create(conn)
                return conn
            except (self.pg.OperationalError, self.pg.InterfaceError) as e:
                self.stats["db_retries"] += 1
                log.warning("database unavailable, retrying in %.1fs: %s", delay, _one_line(e))
                self._sleep(delay)
                delay = min(delay * 2, 5.0)

    def _sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, deadline - time.monotonic()))

    def write(self, batch):
        """Applies a batch in one transaction, retrying the whole batch
        while the database is unavailable. Returns the counts."""
        parsed = []
        counts = Stats()
        for msg in batch:
            try:
                parsed.append((parse_record(msg.key(), msg.value(), msg.headers()), msg))
            except Malformed as e:
                counts["malformed"] += 1
                log.warning("malformed record at %s[%d]@%d skipped: %s", *_kafka_where(msg), e)
        delay = 0.2
        while True:
            if self.conn is None:
                self.conn = self.connect()
            attempt = Stats()
            attempt["malformed"] = counts["malformed"]
            try:
                with self.conn.cursor() as cur:
                    self.table.lock(cur, {rec["id"] for rec, _ in parsed})
                    for rec, msg in parsed:
                        cur.execute("SAVEPOINT record")
                        try:
                            attempt[self.table.apply(cur, rec, _kafka_where(msg))] += 1
                            cur.execute("RELEASE SAVEPOINT record")
                        except (self.pg.DataError, ValueError) as e:
                            # Text PostgreSQL cannot hold (a NUL character),
                            # a date out of its range, ...
                            cur.execute("ROLLBACK TO SAVEPOINT record")
                            attempt["malformed"] += 1
                            log.warning("record at %s[%d]@%d not storable, skipped: %s", *_kafka_where(msg),
                                        _one_line(e))
                self.conn.commit()
                return attempt
            except (self.pg.OperationalError, self.pg.InterfaceError) as e:
                self.stats["db_retries"] += 1
                log.warning("database unavailable, retrying the batch of %d records in %.1fs: %s",
                            len(batch), delay, _one_line(e))
                try:
                    self.conn.close()
                except self.pg.Error:
                    pass
                self.conn = None
                self._sleep(delay)
                delay = min(delay * 2, 5.0)
                if self.stopping:
                    raise Stop() from None

    # The loop ------------------------------------------------------------------
    def run(self):
        args = self.args
        try:
            self.conn = self.connect()
            self.consumer.subscribe(args.topic, on_assign=self.on_assign, on_revoke=self.on_revoke)
            last_record = time.monotonic()
            while not self.stopping:
                msgs = self.consumer.consume(num_messages=args.batch_size, timeout=args.batch_timeout)
                batch = []
                for msg in msgs:
                    err = msg.error()
                    if err is None:
                        batch.append(msg)
                        self.at_end.discard((msg.topic(), msg.partition()))
                    elif err.code() == self.kafka.KafkaError._PARTITION_EOF:
                        self.at_end.add((msg.topic(), msg.partition()))
                    elif err.fatal():
                        log.error("Kafka: %s", err)
                        return 1
                    else:
                        log.warning("Kafka: %s", err)
                if batch:
                    counts = self.write(batch)
                    self.commit(batch)
                    self.stats["batches"] += 1
                    self.stats["records"] += len(batch)
                    for k in ("upserted", "unchanged", "deleted", "retracted", "malformed"):
                        self.stats[k] += counts[k]
                    last_record = time.monotonic()
                if args.once and self.caught_up():
                    log.info("caught up with every assigned partition")
                    break
                if args.idle_exit is not None and time.monotonic() - last_record >= args.idle_exit:
                    log.info("no record for %gs", args.idle_exit)
                    break
        except Stop:
            log.info("stopping with a batch not written: its records will be read again")
        except self.pg.Error as e:
            log.error("database error, stopping without committing the batch: %s", _one_line(e))
            return 1
        finally:
            self.consumer.close()
            if self.conn is not None:
                self.conn.close()
        return 0


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Keep a PostgreSQL table of the latest version of every newsd story.")
    p.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers, host:port[,host:port]")
    p.add_argument("--topic", required=True, action="append",
                   help="topic to read (repeat for several: the article topic and/or the latest topic)")
    p.add_argument("--group", required=True, help="Kafka consumer group; its committed offsets are the position")
    p.add_argument("--dsn", help="libpq connection string, e.g. 'host=127.0.0.1 dbname=news'")
    p.add_argument("--table", default="newsd_articles",
                   help="table name (default newsd_articles; retractions go to TABLE_retracted)")
    p.add_argument("--offset-reset", default="earliest", choices=("earliest", "latest"),
                   help="where a group without committed offsets starts (default earliest)")
    p.add_argument("--batch-size", type=int, default=500, help="records per database transaction (default 500)")
    p.add_argument("--batch-timeout", type=float, default=0.5,
                   help="seconds to wait for a batch to fill (default 0.5)")
    p.add_argument("--once", action="store_true",
                   help="exit once every assigned partition has been read to its end")
    p.add_argument("--idle-exit", type=float, metavar="SECONDS",
                   help="exit after SECONDS without a record")
    p.add_argument("-X", "--kafka-property", action="append", default=[], metavar="NAME=VALUE",
                   help="any other librdkafka consumer setting")
    p.add_argument("--print-schema", action="store_true", help="print the tables' DDL and exit")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if not args.print_schema and not args.dsn:
        p.error("--dsn is required")
    if args.batch_size < 1:
        p.error("--batch-size must be at least 1")
    return args


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:
        return e.code
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s newsd_to_postgres %(levelname)s: %(message)s")
    if args.print_schema:
        print(StoryTable(args.table).schema_sql().strip())
        return 0
    runner = Runner(args)

    def stop(signum, frame):
        runner.stopping = True
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        code = runner.run()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    log.info("done: %s", ", ".join(f"{k} {v}" for k, v in runner.stats.items()))
    # The counts, one JSON line on stdout, for scripts and tests.
    print(json.dumps(runner.stats), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
