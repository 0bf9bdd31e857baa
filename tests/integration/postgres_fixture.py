"""A throw-away PostgreSQL server for the integration tests, and the
examples/postgres consumer run against it.

PostgreSQL comes from Debian's packages (postgresql, deploy/install-deps.sh):
initdb and pg_ctl from /usr/lib/postgresql/<major>/bin, a data directory in a
fresh temporary directory, listening on 127.0.0.1 on a free port only (its
unix socket in that directory too), trust authentication, superuser
"postgres". PostgreSQL refuses to run as root, so as root the server runs as
the `postgres` system user (runuser); as anyone else, as that user.

Queries go through psql, not a Python driver, so that checking the table does
not share code with the consumer under test (as kcat does for Kafka).

    with PostgresServer() as pg:
        pg.execute("CREATE TABLE t (i int)")
        pg.query("SELECT i FROM t WHERE i > :'min'", min=1)   # -> [{"i": 2}, ...]
        pg.stop(); pg.start()                                 # an outage: same port, same data
"""
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONSUMER = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "postgres", "newsd_to_postgres.py"))
CONSUMER_MODULES = ("confluent_kafka", "psycopg2")


def postgres_bindir():
    """NEWSD_PG_BINDIR, else the newest /usr/lib/postgresql/<major>/bin."""
    if os.environ.get("NEWSD_PG_BINDIR"):
        return os.environ["NEWSD_PG_BINDIR"]
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    if not found:
        raise RuntimeError("no PostgreSQL server under /usr/lib/postgresql (deploy/install-deps.sh installs it)")
    return os.path.dirname(found[-1])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env():
    """This environment without libpq's variables, so that only the DSN counts."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


class PostgresServer:
    """One PostgreSQL server in a temporary directory. start() creates the
    cluster the first time; stop() stops the server and keeps the data (start()
    again brings it back on the same port); close() stops it and removes the
    directory."""

    USER = "postgres"  # the superuser the tests connect as (trust auth)

    def __init__(self, database="newsd"):
        self.bindir = postgres_bindir()
        self.database = database
        self.port = None
        self.dir = None
        self._run_as = None

    # --- life -------------------------------------------------------------
    def _base_dir(self):
        base = tempfile.gettempdir()
        if os.geteuid() == 0 and not self._traversable_by_postgres(base):
            base = "/tmp"
        return base

    @staticmethod
    def _traversable_by_postgres(path):
        path = os.path.abspath(path)
        while True:
            if not os.stat(path).st_mode & 0o001:
                return False
            parent = os.path.dirname(path)
            if parent == path:
                return True
            path = parent

    def _cmd(self, *argv):
        return (self._run_as or []) + list(argv)

    def _run(self, *argv, check=True, timeout=120):
        result = subprocess.run(self._cmd(*argv), capture_output=True, text=True, timeout=timeout,
                                env=_clean_env(), cwd=self.dir)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr or result.stdout}"
                               f"\n{self.log_text()[-3000:]}")
        return result

    def _create(self):
        self.dir = tempfile.mkdtemp(prefix="newsd-pg-", dir=self._base_dir())
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root needs the `postgres` system user (Debian's postgresql package)")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]
        self._run(os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", self.USER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def logfile(self):
        return os.path.join(self.dir, "server.log")

    def log_text(self):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def start(self, timeout=60):
        first = self.dir is None
        if first:
            self._create()
        options = ["-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.dir}",
                   "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                   "-c timezone=UTC", "-c log_timezone=UTC", "-c max_connections=50"]
        for attempt in range(5):
            if self.port is None or (first and attempt > 0):
                self.port = _free_port()
            result = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.logfile, "-w",
                               "-t", str(timeout), "-o", " ".join(options + [f"-c port={self.port}"]), "start",
                               check=False, timeout=timeout + 10)
            if result.returncode == 0:
                break
            # Another process took the free port between choosing and binding: a new one
            # (only while the cluster is new: after that the port is part of the DSN).
            if not first or "could not bind" not in self.log_text():
                raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n{self.log_text()[-3000:]}")
        else:
            raise RuntimeError(f"PostgreSQL did not start: {self.log_text()[-3000:]}")
        if first:
            self.execute(f'CREATE DATABASE "{self.database}"', database="postgres")
        return self

    def stop(self, mode="fast"):
        """Stops the server, keeping its data; start() brings it back."""
        if self.dir is None or not os.path.exists(os.path.join(self.data, "postmaster.pid")):
            return
        result = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "30",
                           "stop", check=False, timeout=60)
        if result.returncode != 0:
            self._kill()

    def _kill(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pid = int(f.readline())
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)
        except (OSError, ValueError):
            pass

    def close(self):
        """Stops the server and removes its directory."""
        if self.dir is None:
            return
        self.stop(mode="immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- use ---------------------------------------------------------------
    def dsn_for(self, database):
        return f"host=127.0.0.1 port={self.port} user={self.USER} dbname={database}"

    @property
    def dsn(self):
        """libpq connection string of the test database."""
        return self.dsn_for(self.database)

    def psql(self, sql, database=None, variables=None, timeout=60):
        """Runs SQL (read from standard input, so psql's :'name' variables are
        interpolated, quoted) and returns psql's unaligned, tuples-only output."""
        argv = [os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-d", self.dsn_for(database or self.database)]
        for name, value in (variables or {}).items():
            argv += ["-v", f"{name}={value}"]
        result = subprocess.run(argv, input=sql, capture_output=True, text=True, timeout=timeout, env=_clean_env())
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}\nSQL: {sql}")
        return result.stdout

    def execute(self, sql, database=None, **variables):
        """Runs one or more statements."""
        self.psql(sql, database, variables)

    def query(self, sql, database=None, **variables):
        """Rows of one SELECT as a list of dicts, values as PostgreSQL turns
        them into JSON (timestamptz as ISO 8601 in UTC, jsonb as objects)."""
        sql = sql.strip().rstrip(";")
        out = self.psql(f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({sql}) AS q;\n", database, variables)
        return json.loads(out)


# --- the consumer ----------------------------------------------------------------

def python_with(modules=CONSUMER_MODULES):
    """A Python interpreter that can import `modules`: this one, else
    Debian's (python3-confluent-kafka and python3-psycopg2 install into
    /usr/bin/python3, which a pyenv or virtualenv python3 on PATH may not see)."""
    probe = "import " + ", ".join(modules)
    candidates = [sys.executable, "/usr/bin/python3", shutil.which("python3")]
    for python in dict.fromkeys(c for c in candidates if c):
        if python == sys.executable:
            try:
                for m in modules:
                    __import__(m)
                return python
            except ImportError:
                continue
        if subprocess.run([python, "-c", probe], capture_output=True).returncode == 0:
            return python
    raise RuntimeError(f"no Python interpreter here imports {', '.join(modules)} "
                       "(deploy/install-deps.sh installs python3-confluent-kafka and python3-psycopg2)")


def reexec_with(modules=CONSUMER_MODULES):
    """Runs this script again under python_with(modules) when the current
    interpreter cannot import them (call first thing in a test script)."""
    try:
        for m in modules:
            __import__(m)
        return
    except ImportError:
        pass
    if os.environ.get("NEWSD_PG_REEXEC"):
        raise RuntimeError(f"{sys.executable} cannot import {', '.join(modules)}")
    python = python_with(modules)
    os.environ["NEWSD_PG_REEXEC"] = "1"
    os.execv(python, [python] + sys.argv)


def consumer_command(bootstrap, topics, group, dsn, *extra, once=True, idle_exit=60, table=None):
    """The command line that runs examples/postgres/newsd_to_postgres.py."""
    argv = [python_with(), CONSUMER, "--bootstrap", bootstrap, "--group", group, "--dsn", dsn]
    for topic in [topics] if isinstance(topics, str) else topics:
        argv += ["--topic", topic]
    if table:
        argv += ["--table", table]
    if once:
        argv.append("--once")
    if idle_exit is not None:
        argv += ["--idle-exit", str(idle_exit)]
    return argv + list(extra)


def run_consumer(bootstrap, topics, group, dsn, *extra, timeout=120, **kw):
    """Runs the consumer until it exits (by default: once it has read every
    assigned partition to its end). Returns (exit code, its counts as a dict
    or None, its log)."""
    result = subprocess.run(consumer_command(bootstrap, topics, group, dsn, *extra, **kw), capture_output=True,
                            text=True, timeout=timeout, env=_clean_env())
    lines = result.stdout.strip().splitlines()
    stats = json.loads(lines[-1]) if lines else None
    return result.returncode, stats, result.stderr
