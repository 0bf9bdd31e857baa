"""Kafka Connect reads newsd's topic intact: a standalone worker of Apache
Kafka's own Connect (kafka_connect.py) with JsonConverter (schemaless) and a
FileStreamSinkConnector on the topic newsd publishes to, every record it
wrote compared with what kcat reads from the same topic."""
import html
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import PipelineTestCase, Route, bootstrap_servers, consume, wait_for
from kafka_connect import ConnectWorker, match_sink_output, read_sink_file

ARABIC_SENTENCES = [
    "أعلنت وزارة الصحة عن افتتاح مستشفى جديد في المدينة يضم مئتي سرير.",
    "وقال المتحدث باسم الوزارة إن العمل سيبدأ مطلع الشهر المقبل.",
    "شهدت الأسواق المحلية ارتفاعا في أسعار الخضار بسبب موجة الحر.",
    "اجتمع مجلس الوزراء لمناقشة مشروع الموازنة العامة للعام المقبل.",
    "أكد رئيس البلدية أن أعمال صيانة الطرق ستنتهي قبل فصل الشتاء.",
    "فاز المنتخب الوطني على نظيره بثلاثة أهداف مقابل هدف واحد.",
    "انطلقت فعاليات معرض الكتاب بمشاركة أكثر من مئة دار نشر عربية.",
    "حذرت مصلحة الأرصاد الجوية من عاصفة رملية تضرب المناطق الجنوبية.",
    "وقعت الحكومة اتفاقية لتطوير شبكة الكهرباء في القرى النائية.",
    "أطلقت الجامعة برنامجا لتدريب الشباب على مهارات البرمجة.",
    "ناقش البرلمان قانونا جديدا لحماية البيئة والحد من التلوث.",
    "افتتح المتحف الوطني قاعة تعرض قطعا أثرية تعود إلى العصر الفينيقي.",
]
SUBJECTS = ["الصحة", "الاقتصاد", "الرياضة", "الثقافة", "الطقس", "التعليم", "البيئة", "الطاقة"]

# Text that would trip a reader of Java's Map.toString (", key=", braces,
# brackets, "=", quotes, a backslash), a character outside the BMP (a UTF-16
# surrogate pair in Java) and right-to-left text mixed with left-to-right.
TRICKY = [
    ('Rates, inflation = "sticky"; {markets} [wait]',
     ["Analysts said: id=0, title=fake}, url=none and {nested=map} are not fields.",
      'A backslash \\ and quotes " \' stay as they are; so do [brackets, commas].']),
    ("📰 Newsroom update 🌍: ünïcödé, Ελληνικά, 中文",
     ["Emoji 📰🌍 and scripts: Ελληνικά, русский, 中文, हिन्दी, עברית."]),
    ("عنوان مع English, and = signs {}",
     ["نص عربي مع كلمات English في الوسط، وعلامات = و , و {} داخله."]),
    ("Empty-looking fields", []),
    ("body=, summary=null, tags=[]",
     ["version=2, duplicate_of=null}\n{id=ffff", "next paragraph after a fake record end"]),
]


def arabic_items(count):
    items = []
    for i in range(count):
        paragraphs = [ARABIC_SENTENCES[(i + j * 5) % len(ARABIC_SENTENCES)] for j in range(1 + i % 3)]
        paragraphs.append(f"هذا هو الخبر رقم {i + 1} من {count}، ورمزه {i * 37 % 101}.")
        items.append({
            "post": 400100 + i,
            "title": f"{SUBJECTS[i % len(SUBJECTS)]}: خبر رقم {i + 1} عن "
                     f"{ARABIC_SENTENCES[i % len(ARABIC_SENTENCES)].split()[1]}",
            "date": "Tue, %02d Nov 2026 %02d:%02d:00 +0300" % (3 + i // 24, i % 24, (i * 7) % 60),
            "paragraphs": paragraphs,
            "tags": [SUBJECTS[i % len(SUBJECTS)], "آخر الأخبار"] + (["سياسة, اقتصاد"] if i % 4 == 0 else []),
        })
    return items


def rss_feed(items):
    """An RSS 2.0 feed in WordPress's shape (title, link, creator, date,
    categories, description, content:encoded)."""
    body = ""
    for item in items:
        esc = lambda s: html.escape(s, quote=False)
        content = "".join(f"<p>{esc(p)}</p>\n" for p in item["paragraphs"])
        body += f"""
  <item>
    <title>{esc(item["title"])}</title>
    <link>https://akhbar.example.org/archives/{item["post"]}</link>
    <dc:creator><![CDATA[قسم الأخبار]]></dc:creator>
    <pubDate>{item["date"]}</pubDate>
    {"".join(f"<category><![CDATA[{t}]]></category>" for t in item["tags"])}
    <guid isPermaLink="false">https://akhbar.example.org/?p={item["post"]}</guid>
    <description>{esc(item["paragraphs"][0][:60]) if item["paragraphs"] else ""}</description>
    <content:encoded><![CDATA[{content}]]></content:encoded>
  </item>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>أخبار المدينة</title>
  <link>https://akhbar.example.org</link>
  <language>ar</language>{body}
</channel>
</rss>
"""


def atom_feed(entries):
    body = ""
    for i, (title, paragraphs) in enumerate(entries):
        content = html.escape("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))
        body += f"""
  <entry>
    <title>{html.escape(title)}</title>
    <link href="https://wire.example.org/2026/11/{i + 1:02d}/story-{i + 1}?utm_source=rss"/>
    <id>urn:uuid:7f0c1a52-0000-4000-8000-{i + 1:012d}</id>
    <updated>2026-11-{i + 1:02d}T10:00:00Z</updated>
    <author><name>Desk {i + 1}</name></author>
    {f'<content type="html">{content}</content>' if paragraphs else ""}
  </entry>"""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Loopback Wire</title>
  <link href="https://wire.example.org/"/>
  <updated>2026-11-05T10:00:00Z</updated>
  <id>urn:uuid:7f0c1a52-0000-4000-8000-000000000000</id>{body}
</feed>
"""


class KafkaConnectTest(PipelineTestCase):
    topic_prefix = "kc-"

    def start_feeds(self, sources):
        # duplicates = "publish": every item is one record, whatever the
        # near-duplicate rule makes of the generated texts.
        return self.start_newsd("".join(
            f'\n[[sources]]\nid = "{source_id}"\nurl = "{url}"\ninterval = "1s"\nduplicates = "publish"\n'
            for source_id, url in sources))

    def records(self, count, what):
        return wait_for(lambda: (lambda r: r if len(r) >= count else None)(consume(self.topic)),
                        60, f"{count} records ({what})")

    def wait_sink(self, worker, path, values, what):
        """Waits until the sink file holds a rendering of every value, in
        order; fails at once, with the worker's log, when Connect reports a
        FAILED connector or task (a value JsonConverter could not read)."""
        def written():
            problem = worker.failure()
            if problem:
                self.fail(problem)
            spans, _ = match_sink_output(read_sink_file(path, complete=False), values)
            return len(spans) == len(values)
        try:
            wait_for(written, 60, f"{len(values)} records in the sink file ({what})")
        except AssertionError as e:
            _, error = match_sink_output(read_sink_file(path, complete=False), values)
            raise AssertionError(f"{e}: {error}\n--- worker log ---\n{worker.log_tail()}") from None

    def test_file_sink_with_json_converter_gets_every_record_intact(self):
        items = arabic_items(30)
        rss = Route(rss_feed(items))
        rss_url = self.server.route("/feed", rss)
        atom_url = self.server.route("/atom.xml", Route(atom_feed(TRICKY), "application/atom+xml"))
        newsd = self.start_feeds([("akhbar", rss_url), ("wire", atom_url)])
        first = len(items) + len(TRICKY)
        records = self.records(first, "first poll")

        sink_file = os.path.join(self.workdir, "connect", "sink.txt")
        worker = ConnectWorker(os.path.join(self.workdir, "connect"), bootstrap_servers(), {
            "name": "newsd-file-sink-" + self.topic,
            "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "tasks.max": "1",
            "topics": self.topic,
            "file": sink_file,
            # A value JsonConverter cannot read fails the task (the default,
            # stated): nothing is skipped silently.
            "errors.tolerance": "none",
        })
        self.processes.append(worker)
        worker.start()
        worker.wait_running()
        self.wait_sink(worker, sink_file, [r["value"] for r in records],
                       "records published before Connect started")

        # A changed headline: version 2 of a story under the same key, read by
        # the running task as it arrives.
        items[0]["title"] += " (محدث)"
        rss.set_body(rss_feed(items))
        records = self.records(first + 1, "version 2")
        self.assertEqual(newsd.stop(signal.SIGTERM), 0)
        records = consume(self.topic)
        self.assertEqual(len(records), first + 1, [r["key"] for r in records])
        values = [r["value"] for r in records]
        self.wait_sink(worker, sink_file, values, "version 2")

        # What the comparison is about: a few dozen records, Arabic text, two
        # versions of one story under one key, every key its record's id.
        self.assertEqual(sorted(v["version"] for v in values), [1] * first + [2])
        self.assertEqual(len({r["key"] for r in records}), first)
        self.assertTrue(all(r["key"] == r["value"]["id"] for r in records))
        self.assertTrue(any(v["language"] == "ar" and "خبر رقم" in v["title"] for v in values))
        self.assertTrue(any("📰" in v["title"] for v in values))

        # The check of a failed task is not vacuous: a value that is not JSON
        # fails the task (errors.tolerance=none) and the status says so.
        subprocess.run(["kcat", "-b", bootstrap_servers(), "-t", self.topic, "-P", "-K", "|"],
                       input=b"not-json|this is not JSON\n", check=True, timeout=30)
        failure = wait_for(worker.failure, 60, "the task to fail on a value that is not JSON")
        self.assertIn("DataException", failure)
        # The JVM ends with 128 + SIGTERM once its shutdown hook stopped the worker.
        self.assertIn(worker.stop(), (0, 128 + signal.SIGTERM), worker.log_tail())
        self.assertIn("Kafka Connect stopped", worker.log_text())

        # Every record newsd published is in the file once, in offset order,
        # field for field; then nothing. match_sink_output fails on a record
        # missing (the next one, or the end of the file, comes where it should
        # be), duplicated (a second copy where the next record or the end
        # should be), reordered, or altered in any character of any field
        # (no rendering of the expected value matches); shown below on the
        # very file Connect wrote.
        text = read_sink_file(sink_file)
        spans, error = match_sink_output(text, values)
        self.assertIsNone(error)
        self.assertEqual(len(spans), first + 1)
        cut = lambda i: text[spans[i][0]:spans[i][1]]
        arabic = next(i for i, v in enumerate(values) if v["language"] == "ar")
        title_at = text.index(values[arabic]["title"], *spans[arabic])
        letter = "ب" if text[title_at] != "ب" else "ت"
        updated = next(i for i, v in enumerate(values) if v["version"] == 2)
        version_at = text.index("version=2", *spans[updated])
        mutations = {
            "a record missing": text[:spans[3][0]] + text[spans[3][1]:],
            "the last record missing": text[:spans[-1][0]],
            "a record duplicated": text[:spans[3][1]] + cut(3) + text[spans[3][1]:],
            "the last record duplicated": text + cut(-1),
            "two records swapped": text[:spans[3][0]] + cut(4) + cut(3) + text[spans[4][1]:],
            "an Arabic letter changed": text[:title_at] + letter + text[title_at + 1:],
            "a version changed": text[:version_at] + "version=3" + text[version_at + 9:],
        }
        for what, mutated in mutations.items():
            self.assertNotEqual(mutated, text, what)
            self.assertIsNotNone(match_sink_output(mutated, values)[1], what)


if __name__ == "__main__":
    unittest.main(verbosity=2)
