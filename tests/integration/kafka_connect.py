"""Apache Kafka Connect for the integration tests: a standalone worker
(org.apache.kafka.connect.cli.ConnectStandalone) obtained from Maven Central
with the machine's Maven, in the Kafka version kafka_broker.sh runs (cached
in ~/.m2, its classpath in ~/.cache/newsd/), run with the machine's Java 17;
and a check of what its FileStreamSinkConnector wrote.

What the file sink writes: each record's value, converted by the worker's
value converter, as Java's String.valueOf(value) followed by "\\n", in UTF-8.
With JsonConverter and schemas.enable=false a JSON object becomes a
java.util.HashMap and a JSON array a java.util.ArrayList, so a record reads
`{id=..., title=..., authors=[a, b], feed={url=..., guid=...}, ...}`: no
quoting, no escaping, entries in hash order, newlines in values kept. Such
text cannot be parsed back on its own (a title may contain ", url=" or "}"),
so match_sink_output() does not parse it: it checks that the file is exactly
the concatenation of the renderings of the values a Kafka consumer read from
the same topic, in offset order.
"""
import json
import os
import re
import shutil
import signal
import subprocess

from newsd_harness import free_port, http_get, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def _broker_script_default(variable):
    """The default kafka_broker.sh gives `variable` (one source of truth for
    the Kafka and SLF4J versions)."""
    with open(os.path.join(HERE, "kafka_broker.sh"), encoding="utf-8") as f:
        text = f.read()
    match = re.search(r'^%s="(?:\$\{[A-Z_]+:-)?([^"}]+)\}?"' % variable, text, re.M)
    if not match:
        raise AssertionError(f"kafka_broker.sh sets no {variable}")
    return match.group(1)


def kafka_version():
    return os.environ.get("NEWSD_KAFKA_VERSION") or _broker_script_default("KAFKA_VERSION")


def classpath():
    """The classpath of Kafka Connect, fetched by Maven on first use."""
    version = kafka_version()
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                         "newsd", f"kafka-connect-{version}")
    path = os.path.join(cache, "classpath")
    if os.path.exists(path):
        with open(path) as f:
            jars = f.read().strip()
        if jars and all(os.path.exists(jar) for jar in jars.split(":")):
            return jars
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(HERE, "kafka-connect-pom.xml"), encoding="utf-8") as f:
        pom = (f.read().replace("@KAFKA_VERSION@", version)
               .replace("@SLF4J_VERSION@", _broker_script_default("SLF4J_VERSION")))
    # Per process, so that tests run in parallel do not write over each other.
    pom_path = os.path.join(cache, "pom.%d.xml" % os.getpid())
    tmp = path + ".%d.tmp" % os.getpid()
    with open(pom_path, "w", encoding="utf-8") as f:
        f.write(pom)
    try:
        result = subprocess.run(["mvn", "-q", "-B", "-f", pom_path, "dependency:build-classpath",
                                 "-Dmdep.outputFile=" + tmp],
                                capture_output=True, text=True, timeout=540)
        with open(os.path.join(cache, "mvn.log"), "w") as f:
            f.write(result.stdout + result.stderr)
        if result.returncode != 0 or not os.path.exists(tmp):
            raise AssertionError(f"Maven could not fetch Apache Kafka Connect {version}:\n"
                                 + "\n".join((result.stdout + result.stderr).splitlines()[-20:]))
        os.replace(tmp, path)
    finally:
        os.remove(pom_path)
        if os.path.exists(tmp):
            os.remove(tmp)
    with open(path) as f:
        return f.read().strip()


def _properties(values):
    """A java.util.Properties file (ISO 8859-1: anything else as \\uXXXX)."""
    lines = []
    for key, value in values.items():
        text = str(value).replace("\\", "\\\\")
        text = "".join(c if ord(c) < 128 else "\\u%04x" % ord(c) for c in text)
        lines.append(f"{key}={text}\n")
    return "".join(lines)


class ConnectWorker:
    """One Kafka Connect standalone worker running one connector, with its
    files (worker and connector properties, log, offsets) in `directory`."""

    def __init__(self, directory, bootstrap, connector):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.name = connector["name"]
        self.port = free_port()
        self.log_path = os.path.join(directory, "worker.log")
        self.worker_properties = os.path.join(directory, "worker.properties")
        self.connector_properties = os.path.join(directory, self.name + ".properties")
        with open(self.worker_properties, "w") as f:
            f.write(_properties({
                "bootstrap.servers": bootstrap,
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                # A standalone worker keeps source offsets in this file; a sink
                # commits its consumer group's offsets to Kafka.
                "offset.storage.file.filename": os.path.join(directory, "offsets"),
                "offset.flush.interval.ms": "1000",
                "listeners": f"http://127.0.0.1:{self.port}",
                # The plugins are on the classpath and declare themselves in
                # META-INF/services: no plugin.path, no classpath scan.
                "plugin.discovery": "service_load",
            }))
        with open(self.connector_properties, "w") as f:
            f.write(_properties(connector))
        self.log4j = os.path.join(directory, "log4j.properties")
        with open(self.log4j, "w") as f:
            f.write("log4j.rootLogger=INFO, file\n"
                    "log4j.appender.file=org.apache.log4j.FileAppender\n"
                    f"log4j.appender.file.File={self.log_path}\n"
                    "log4j.appender.file.layout=org.apache.log4j.PatternLayout\n"
                    "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
                    "log4j.logger.org.apache.kafka.clients=WARN\n"
                    "log4j.logger.org.apache.kafka.common.config=WARN\n"
                    "log4j.logger.org.reflections=ERROR\n"
                    # Not every status request the test makes.
                    "log4j.logger.org.apache.kafka.connect.runtime.rest.RestServer=WARN\n")
        self.process = None
        self.output = None

    def start(self):
        java = shutil.which("java")
        if not java:
            raise AssertionError("no java on PATH (Kafka Connect needs Java 17)")
        self.output = open(os.path.join(self.directory, "worker.out"), "ab")
        self.process = subprocess.Popen(
            [java, "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
             "-Dlog4j.configuration=file:" + self.log4j, "-cp", classpath(),
             "org.apache.kafka.connect.cli.ConnectStandalone",
             self.worker_properties, self.connector_properties],
            stdout=self.output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def status(self):
        """GET /connectors/NAME/status as a dict, None while nothing answers."""
        code, body = http_get(f"http://127.0.0.1:{self.port}/connectors/{self.name}/status")
        return json.loads(body) if code == 200 else None

    def failure(self):
        """A description of what failed (the worker exited, the connector or a
        task is FAILED), with the log; None while all is well."""
        if not self.alive():
            return f"the Connect worker exited ({self.process.returncode}):\n" + self.log_tail()
        status = self.status() or {}
        failed = [part for part in [status.get("connector")] + status.get("tasks", [])
                  if part and part.get("state") == "FAILED"]
        if failed:
            return ("Kafka Connect reports FAILED: "
                    + "\n".join(part.get("trace", str(part)) for part in failed)
                    + "\n--- worker log ---\n" + self.log_tail())
        return None

    def wait_running(self, timeout=90):
        """Waits until the connector and its task run (the worker is up)."""
        def running():
            problem = self.failure()
            if problem:
                raise AssertionError(problem)
            status = self.status()
            return status and status["connector"]["state"] == "RUNNING" and status["tasks"] and all(
                task["state"] == "RUNNING" for task in status["tasks"])
        try:
            return wait_for(running, timeout, f"connector {self.name} RUNNING")
        except AssertionError as e:
            if "--- worker log ---" in str(e):
                raise
            raise AssertionError(f"{e}\n--- worker log ---\n{self.log_tail()}") from None

    def log_text(self):
        text = ""
        for name in ("worker.out", "worker.log"):
            path = os.path.join(self.directory, name)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    text += f.read()
        return text

    def log_tail(self, lines=80):
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, timeout=30):
        """SIGTERM (the worker stops its tasks, which close the file), then
        waits for the process to end; its exit status."""
        try:
            if self.alive():
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
                    raise AssertionError(f"the Connect worker did not stop within {timeout}s:\n"
                                         + self.log_tail())
            return self.process.returncode if self.process else None
        finally:
            self._close_output()

    def kill(self):
        if self.alive():
            self.process.kill()
            self.process.wait()
        self._close_output()

    def _close_output(self):
        if self.output and not self.output.closed:
            self.output.close()


# --- what FileStreamSink writes: String.valueOf of JsonConverter's value ----

def _scalar(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)  # a JSON integer is a java.lang.Long
    if isinstance(value, str):
        return value
    # A JSON fraction is a java.lang.Double, printed by Double.toString: not
    # reproduced here, as no newsd record has one.
    raise AssertionError(f"no Java rendering for {value!r}")


def _renderings(value, text, pos):
    """Every position at which String.valueOf(v) can end when it starts at
    `pos` of `text`, v being the Connect value JsonConverter (schemaless)
    makes of the JSON value `value`. A map's entries may come in any order
    (HashMap), each exactly once."""
    if isinstance(value, dict):
        if text.startswith("{", pos):
            yield from _entries(value, list(value), text, pos + 1)
    elif isinstance(value, list):
        if text.startswith("[", pos):
            yield from _elements(value, 0, text, pos + 1)
    else:
        literal = _scalar(value)
        if text.startswith(literal, pos):
            yield pos + len(literal)


def _entries(mapping, remaining, text, pos):
    if not remaining:
        if text.startswith("}", pos):
            yield pos + 1
        return
    for key in remaining:
        if not text.startswith(key + "=", pos):
            continue
        rest = [k for k in remaining if k != key]
        for end in _renderings(mapping[key], text, pos + len(key) + 1):
            if not rest:
                yield from _entries(mapping, rest, text, end)
            elif text.startswith(", ", end):
                yield from _entries(mapping, rest, text, end + 2)


def _elements(items, index, text, pos):
    if index == len(items):
        if text.startswith("]", pos):
            yield pos + 1
        return
    for end in _renderings(items[index], text, pos):
        if index + 1 == len(items):
            yield from _elements(items, index + 1, text, end)
        elif text.startswith(", ", end):
            yield from _elements(items, index + 1, text, end + 2)


def java_rendering(value):
    """String.valueOf of the Connect value of `value`, entries in the JSON's
    order (one of the orders a HashMap may print): for messages."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_rendering(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_rendering(v) for v in value) + "]"
    return _scalar(value)


def match_sink_output(text, values):
    """Matches what FileStreamSink wrote (`text`) against the JSON values a
    Kafka consumer read from the topic (`values`, in offset order).

    Returns (spans, error): spans[i] = (start, end) of values[i]'s line(s),
    for the values matched one after the other from the start of the text;
    error is None when every value matched and nothing follows the last one,
    else what differs. A record missing, duplicated, reordered or altered in
    any character leaves error set: the text must be exactly the renderings
    of `values`, in that order, each followed by "\\n". (What Java's
    rendering cannot tell apart: a string from a number, boolean or null that
    prints the same, e.g. "1" and 1, or a list of one string "a, b" from the
    list ["a", "b"]; the JSON types and shapes are checked on the consumer's
    side, against the record's JSON Schema.)"""
    spans = []
    pos = 0
    for index, value in enumerate(values):
        end = next((e for e in _renderings(value, text, pos) if text.startswith("\n", e)), None)
        if end is None:
            if pos == len(text):
                return spans, f"the file ends after {index} of {len(values)} records"
            return spans, (f"record {index} (offset order) differs at character {pos} of the file, which "
                           f"reads:\n{text[pos:pos + 400]!r}\nexpected (in some entry order):\n"
                           f"{java_rendering(value)[:400]!r}")
        spans.append((pos, end + 1))
        pos = end + 1
    if pos != len(text):
        return spans, (f"the file goes on after the {len(values)} records, at character {pos}:\n"
                       f"{text[pos:pos + 400]!r}")
    return spans, None


def read_sink_file(path, complete=True):
    """The file's text: UTF-8, line ends as written. complete=False while the
    sink may be writing: a character cut at the very end is left out."""
    if not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        # The last line may be mid-write; only a complete prefix is text.
        if not complete and e.start >= len(data) - 3:
            return data[:e.start].decode("utf-8")
        raise AssertionError(f"the sink file is not UTF-8: {e}")
