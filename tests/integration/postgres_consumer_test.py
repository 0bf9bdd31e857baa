"""examples/postgres/newsd_to_postgres.py against a real Kafka broker and a
throw-away PostgreSQL: records as newsd writes them (versions, repeats after a
crash, retractions, tombstones on the latest topic) are produced here, without
newsd, and the table must say what the newest version of each story says.

Needs the shared Kafka broker (KAFKA_BOOTSTRAP_FILE, the ctest fixture
`kafka`), python3-confluent-kafka, python3-psycopg2 and PostgreSQL."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postgres_fixture  # noqa: E402

postgres_fixture.reexec_with(("confluent_kafka",))  # a pyenv python3 may not see Debian's module

import confluent_kafka  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from newsd_harness import bootstrap_servers, validate_record, wait_for  # noqa: E402
from postgres_fixture import PostgresServer, consumer_command, run_consumer  # noqa: E402

RETRACTED = "org.newsd.article.retracted"


def story_id(name):
    return hashlib.sha256(("news.example/" + name).encode()).hexdigest()[:32]


def article(name, version, **changes):
    """A newsd.article.v1 record of story `name` at `version` (text that
    says which version it is)."""
    value = {
        "schema": "newsd.article.v1", "id": story_id(name), "url": f"https://news.example/{name}",
        "source": "example", "title": f"{name} title v{version}", "body": f"{name} body v{version}.\n\nMore.",
        "body_truncated": False, "summary": f"{name} summary v{version}", "authors": ["A. Writer"],
        "published_at": "2026-11-30T10:00:00+02:00", "updated_at": f"2026-11-30T1{version % 10}:15:00+02:00",
        "fetched_at": "2026-11-30T12:00:00Z", "language": "en", "section": "World", "breadcrumbs": ["World"],
        "tags": ["tag-a", "tag-b"], "image": None, "site_name": "News Example",
        "feed": {"url": "https://news.example/feed", "guid": f"{name}-guid"},
        "extraction": {"method": "feed"}, "content_hash": None, "version": version, "duplicate_of": None}
    value.update(changes)
    return value


def article_headers(value):
    return [("schema", b"newsd.article.v1"), ("source", b"example"), ("version", str(value["version"]).encode()),
            ("content-type", b"application/json"), ("ce_specversion", b"1.0"),
            ("ce_id", f"{value['id']}.{value['version']}".encode()),
            ("ce_type", b"org.newsd.article.updated" if value["version"] > 1 else b"org.newsd.article.published")]


def retraction(name, version):
    return {"schema": "newsd.article.v1", "id": story_id(name), "url": f"https://news.example/{name}",
            "source": "example", "version": version, "retracted": True, "retracted_at": "2026-12-01T04:30:00Z"}


def retraction_headers(value):
    return [("schema", b"newsd.article.v1"), ("source", b"example"), ("version", str(value["version"]).encode()),
            ("content-type", b"application/json"), ("ce_specversion", b"1.0"),
            ("ce_id", f"{value['id']}.{value['version']}.retracted".encode()), ("ce_type", RETRACTED.encode())]


_server = None


def server():
    """The PostgreSQL server of this module's tests (one: initdb takes seconds),
    each test class with tables of its own."""
    global _server
    if _server is None:
        _server = PostgresServer().start()
        unittest.addModuleCleanup(_server.close)
    return _server


class Topics:
    """Fresh topics on the shared broker and a producer that keeps what
    Kafka said about each record it sent."""

    def __init__(self, bootstrap):
        self.bootstrap = bootstrap
        self.producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                                                  "acks": "all", "linger.ms": 5})
        self.sent = []  # (label, topic, partition, offset)

    def create(self, *topics):
        """topics: (name, partitions, config)."""
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        futures = admin.create_topics([NewTopic(n, num_partitions=p, replication_factor=1, config=c)
                                       for n, p, c in topics], operation_timeout=30)
        for future in futures.values():
            future.result(timeout=60)

    def send(self, topic, key, value, headers=None, label=None):
        """value: a dict (sent as JSON), bytes as they are, or None (a tombstone)."""
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False).encode()

        def delivered(err, msg):
            if err is not None:
                raise AssertionError(f"producing {label} failed: {err}")
            self.sent.append((label, msg.topic(), msg.partition(), msg.offset()))
        key = key.encode() if isinstance(key, str) else key
        self.producer.produce(topic, key=key, value=value, headers=headers, on_delivery=delivered)

    def send_article(self, topic, name, version, label=None, **changes):
        value = article(name, version, **changes)
        validate_record(value)  # what the consumer reads is what newsd writes
        self.send(topic, value["id"], value, article_headers(value), label)

    def send_retraction(self, topic, name, version, label=None):
        value = retraction(name, version)
        self.send(topic, value["id"], value, retraction_headers(value), label)

    def flush(self):
        if self.producer.flush(30) != 0:
            raise AssertionError("records still unsent after 30 s")

    def offset_of(self, label):
        return [s[3] for s in self.sent if s[0] == label]


def committed_and_end(bootstrap, group, topic, partitions):
    """{partition: (committed offset of `group`, end offset)}."""
    consumer = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                         "enable.auto.commit": False})
    tps = [confluent_kafka.TopicPartition(topic, p) for p in range(partitions)]

    def fetch():
        try:
            committed = consumer.committed(tps, timeout=30)
        except confluent_kafka.KafkaException as e:
            if e.args[0].retriable() or e.args[0].code() == confluent_kafka.KafkaError.NOT_COORDINATOR:
                return None  # the group coordinator is still loading or moving
            raise
        return {tp.partition: (tp.offset, consumer.get_watermark_offsets(tp, timeout=30)[1]) for tp in committed}
    try:
        return wait_for(fetch, 60, f"the committed offsets of {group}")
    finally:
        consumer.close()


class PostgresConsumerTest(unittest.TestCase):
    """One run of the consumer over two topics: the article topic (3
    partitions) and a latest topic; then a second run of the same group and a
    replay by a new group."""

    TABLE = "articles"

    @classmethod
    def setUpClass(cls):
        cls.bootstrap = bootstrap_servers()
        cls.pg = server()
        run = uuid.uuid4().hex[:8]
        cls.main_topic, cls.latest_topic = f"pg.articles.{run}", f"pg.latest.{run}"
        t = Topics(cls.bootstrap)
        t.create((cls.main_topic, 3, {}), (cls.latest_topic, 1, {"cleanup.policy": "compact"}))
        m, lt = cls.main_topic, cls.latest_topic

        # in-order: the newest of three versions is stored
        for v in (1, 2, 3):
            t.send_article(m, "in-order", v)
        # older-after-newer: version 1 read after version 2 changes nothing
        t.send_article(m, "older-after-newer", 2)
        t.send_article(m, "older-after-newer", 1)
        # repeated: each version twice (a crash and the outbox replayed), byte-identical
        for v in (1, 1, 2, 2):
            t.send_article(m, "repeated", v, label=f"repeated v{v}")
        # retracted: gone
        t.send_article(m, "retracted", 1)
        t.send_article(m, "retracted", 2)
        t.send_retraction(m, "retracted", 2)
        # retracted-then-older: a version 2 and a repeated version 3 after the retraction of 3
        for v in (1, 2, 3):
            t.send_article(m, "retracted-then-older", v)
        t.send_retraction(m, "retracted-then-older", 3)
        t.send_article(m, "retracted-then-older", 2)
        t.send_article(m, "retracted-then-older", 3)
        # stale-retraction: a retraction of version 1 does not delete version 2
        t.send_article(m, "stale-retraction", 1)
        t.send_article(m, "stale-retraction", 2)
        t.send_retraction(m, "stale-retraction", 1)
        # republished: a newer version after a retraction brings the story back
        t.send_article(m, "republished", 1)
        t.send_retraction(m, "republished", 1)
        t.send_article(m, "republished", 2)

        # malformed: logged, counted, skipped; records after them are applied
        after = story_id("after-malformed")
        bad = [
            (after, b"not json", None),
            (after, b"[1, 2]", None),
            (after, json.dumps({k: v for k, v in article("after-malformed", 1).items() if k != "id"}).encode(), None),
            (after, json.dumps(article("key-mismatch", 1)).encode(), None),
            (after, json.dumps(dict(article("after-malformed", 1), version="2")).encode(), None),
            (after, json.dumps({"schema": "newsd.deadletter.v1", "source": "example", "url": "https://x/"}).encode(),
             None),
            (after, json.dumps(article("after-malformed", 1)).encode(), [("ce_type", RETRACTED.encode())]),
            (b"not-a-story-id", None, None),
            # newer versions of stored stories that must not be applied
            (story_id("in-order"), json.dumps(article("in-order", 9, published_at="yesterday")).encode(), None),
            (story_id("older-after-newer"),
             json.dumps(article("older-after-newer", 5, title="NUL \u0000 in a title")).encode(), None),
            (story_id("older-after-newer"), json.dumps(
                article("older-after-newer", 6, extraction={"method": "feed", "detail": "NUL \u0000"})).encode(), None),
        ]
        for key, value, headers in bad:
            t.send(m, key, value, headers, label="malformed")
        cls.malformed_sent = len(bad)
        t.send_article(m, "after-malformed", 1)

        # The latest topic: every version again, a retraction as a tombstone.
        t.send_article(lt, "tombstoned", 1)
        t.send_article(lt, "tombstoned", 2)
        t.send(lt, story_id("tombstoned"), None, [("version", b"2")], label="tombstone")
        # on-both-topics: versions on the article topic, a tombstone without a version on the latest topic
        for topic in (m, lt):
            t.send_article(topic, "on-both-topics", 1)
            t.send_article(topic, "on-both-topics", 2)
        t.send(lt, story_id("on-both-topics"), None, label="tombstone")
        # tombstone-then-repeat: a tombstone without a version, then the stored version again
        t.send_article(lt, "tombstone-then-repeat", 1)
        t.send(lt, story_id("tombstone-then-repeat"), None, label="tombstone")
        t.send_article(lt, "tombstone-then-repeat", 1)
        t.flush()
        cls.topics = t

        topics = [m, lt]
        cls.group = f"pg-consumer-{run}"
        cls.first = run_consumer(cls.bootstrap, topics, cls.group, cls.pg.dsn, table=cls.TABLE)
        cls.rows = cls.table_rows()
        cls.retracted_rows = {r["id"]: r for r in cls.pg.query(f"SELECT * FROM {cls.TABLE}_retracted")}
        cls.offsets = {topic: committed_and_end(cls.bootstrap, cls.group, topic, n)
                       for topic, n in ((m, 3), (lt, 1))}
        cls.second = run_consumer(cls.bootstrap, topics, cls.group, cls.pg.dsn, table=cls.TABLE)
        cls.replay = run_consumer(cls.bootstrap, topics, cls.group + "-replay", cls.pg.dsn, table=cls.TABLE)
        cls.rows_after_replay = cls.table_rows()

    @classmethod
    def table_rows(cls):
        return {r["id"]: r for r in cls.pg.query(f"SELECT * FROM {cls.TABLE}")}

    def row(self, name):
        return self.rows.get(story_id(name))

    def assertStored(self, name, version):
        row = self.row(name)
        self.assertIsNotNone(row, f"{name}: no row")
        self.assertEqual(row["version"], version, f"{name}: stored version")
        self.assertEqual(row["title"], f"{name} title v{version}", f"{name}: title is not version {version}'s")
        self.assertEqual(row["record"], article(name, version), f"{name}: record is not version {version}'s")

    def test_consumer_exits_0_once_caught_up(self):
        code, stats, log = self.first
        self.assertEqual(code, 0, log)
        self.assertIsNotNone(stats, log)
        self.assertEqual(stats["records"], len(self.topics.sent), log)

    def test_newest_version_is_stored(self):
        self.assertStored("in-order", 3)

    def test_older_version_never_overwrites_newer(self):
        self.assertStored("older-after-newer", 2)

    def test_repeat_of_stored_version_is_a_no_op(self):
        self.assertStored("repeated", 2)
        first_v2 = self.topics.offset_of("repeated v2")[0]
        self.assertEqual(self.row("repeated")["kafka_offset"], first_v2,
                         "the repeat of version 2 was written again over the first")

    def test_retraction_deletes_the_row(self):
        self.assertIsNone(self.row("retracted"))
        self.assertEqual(self.retracted_rows.get(story_id("retracted"), {}).get("version"), 2,
                         "the retraction is not remembered at its version")
        self.assertEqual(self.retracted_rows[story_id("retracted")]["retracted_at"], "2026-12-01T04:30:00+00:00")

    def test_retracted_story_stays_deleted_when_an_older_or_repeated_version_follows(self):
        self.assertIsNone(self.row("retracted-then-older"), "a version read after the retraction brought it back")

    def test_retraction_of_an_older_version_keeps_the_newer_row(self):
        self.assertStored("stale-retraction", 2)

    def test_newer_version_after_a_retraction_restores_the_story(self):
        self.assertStored("republished", 2)

    def test_tombstone_with_version_header_deletes_the_row(self):
        self.assertIsNone(self.row("tombstoned"))
        self.assertEqual(self.retracted_rows.get(story_id("tombstoned"), {}).get("version"), 2)

    def test_tombstone_deletes_a_story_read_from_both_topics(self):
        self.assertIsNone(self.row("on-both-topics"))

    def test_tombstone_without_version_keeps_the_replayed_version_out(self):
        self.assertIsNone(self.row("tombstone-then-repeat"), "the version repeated after the tombstone came back")
        self.assertEqual(self.retracted_rows.get(story_id("tombstone-then-repeat"), {}).get("version"), 1,
                         "a tombstone without a version is not remembered at the version it deleted")

    def test_malformed_records_are_counted_and_skipped(self):
        code, stats, log = self.first
        self.assertEqual(stats["malformed"], self.malformed_sent, log)
        self.assertStored("after-malformed", 1)  # the records after them in their partition
        self.assertIsNone(self.row("key-mismatch"))
        self.assertEqual(log.count("malformed record at"), 9, log)
        self.assertEqual(log.count("not storable, skipped"), 2, log)

    def test_malformed_newer_versions_do_not_replace_stored_rows(self):
        self.assertStored("in-order", 3)           # version 9 has a published_at that is no date
        self.assertStored("older-after-newer", 2)  # versions 5 and 6 have NUL characters

    def test_table_holds_exactly_the_live_stories(self):
        live = {"in-order", "older-after-newer", "repeated", "stale-retraction", "republished", "after-malformed"}
        self.assertEqual(set(self.rows), {story_id(n) for n in live})

    def test_columns_say_what_the_record_says(self):
        row, value = self.row("in-order"), article("in-order", 3)
        for column in ("url", "source", "title", "body", "summary", "authors", "tags", "language", "section",
                       "site_name", "image", "duplicate_of"):
            self.assertEqual(row[column], value[column], column)
        self.assertEqual(row["published_at"], "2026-11-30T08:00:00+00:00")  # timestamptz, shown in UTC
        self.assertEqual(row["updated_at"], "2026-11-30T11:15:00+00:00")
        self.assertEqual(row["fetched_at"], "2026-11-30T12:00:00+00:00")
        self.assertEqual(row["kafka_topic"], self.main_topic)

    def test_offsets_are_committed_to_the_end(self):
        for topic, partitions in self.offsets.items():
            for partition, (committed, end) in partitions.items():
                if end == 0 and committed == confluent_kafka.OFFSET_INVALID:
                    continue  # no record went to this partition: nothing to commit
                self.assertEqual(committed, end, f"{topic}[{partition}] committed offset")

    def test_second_run_of_the_group_reads_nothing(self):
        code, stats, log = self.second
        self.assertEqual(code, 0, log)
        self.assertEqual(stats["records"], 0, log)

    def test_replay_from_the_beginning_changes_nothing(self):
        code, stats, log = self.replay
        self.assertEqual(code, 0, log)
        self.assertEqual(stats["records"], len(self.topics.sent), log)
        self.assertEqual((stats["upserted"], stats["deleted"]), (0, 0), log)
        self.assertEqual(self.rows_after_replay, self.rows)


class DatabaseOutageTest(unittest.TestCase):
    """The consumer keeps running while PostgreSQL stops and starts again:
    what it read meanwhile is not committed to Kafka until it is in the table."""

    TABLE = "outage"

    @classmethod
    def setUpClass(cls):
        cls.bootstrap = bootstrap_servers()
        cls.pg = server()
        run = uuid.uuid4().hex[:8]
        topic, group = f"pg.outage.{run}", f"pg-outage-{run}"
        t = Topics(cls.bootstrap)
        t.create((topic, 1, {}))
        cls.seen = {}

        t.send_article(topic, "before", 1)
        t.flush()
        proc = subprocess.Popen(consumer_command(cls.bootstrap, topic, group, cls.pg.dsn, "--batch-timeout", "0.1",
                                                 once=False, idle_exit=300, table=cls.TABLE),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        log = []
        reader = threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True)
        reader.start()
        try:
            committed = lambda: committed_and_end(cls.bootstrap, group, topic, 1)[0]  # noqa: E731
            wait_for(lambda: committed()[0] == 1, 60, "the first record committed")

            cls.pg.stop()
            t.send_article(topic, "before", 2)
            t.send_article(topic, "during", 1)
            t.flush()
            wait_for(lambda: any("retrying the batch" in line for line in log), 60,
                     "the consumer to fail writing the batch")
            cls.seen["committed while down"] = committed()
            cls.seen["alive while down"] = proc.poll() is None

            cls.pg.start()
            cls.seen["rows"] = wait_for(
                lambda: (lambda rows: rows if len(rows) == 2 and rows[0]["version"] == 2 else None)(
                    cls.pg.query(f"SELECT id, version FROM {cls.TABLE} ORDER BY version DESC")), 60,
                "both records of the outage in the table")
            wait_for(lambda: committed()[0] == 3, 60, "the offsets committed after the outage")
            cls.seen["committed after"] = committed()
            proc.send_signal(signal.SIGTERM)
            cls.seen["exit code"] = proc.wait(timeout=30)
            reader.join(timeout=10)
            cls.seen["stats"] = json.loads(proc.stdout.read().strip().splitlines()[-1])
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join(timeout=10)
            proc.stdout.close()
            proc.stderr.close()
            cls.log = "".join(log)

    def test_offsets_not_committed_while_the_database_is_down(self):
        self.assertTrue(self.seen["alive while down"], self.log)
        self.assertEqual(self.seen["committed while down"], (1, 3), self.log)

    def test_records_read_during_the_outage_are_stored_once_it_is_back(self):
        self.assertEqual(self.seen["rows"], [{"id": story_id("before"), "version": 2},
                                             {"id": story_id("during"), "version": 1}])
        self.assertEqual(self.seen["committed after"], (3, 3))

    def test_sigterm_exits_0_with_counts(self):
        self.assertEqual(self.seen["exit code"], 0, self.log)
        self.assertEqual(self.seen["stats"]["records"], 3, self.log)
        self.assertGreaterEqual(self.seen["stats"]["db_retries"], 1, self.log)


if __name__ == "__main__":
    unittest.main()
