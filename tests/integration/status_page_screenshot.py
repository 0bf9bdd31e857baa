"""The status page (`/`) as a browser renders it: headless Chromium from
Debian takes a screenshot of a running newsd, and the test checks the PNG:
its size, and that the header, the state badges and the chart's bars were
painted. The screenshot is kept as status_page.png in the build directory,
for a person to look at."""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from newsd_harness import FeedServer, Route, free_port, http_get, wait_for
from operations_test import SAMPLE_FEED, OperatedNewsd, rss

BUILD_DIR = os.environ.get("NEWSD_BUILD_DIR", tempfile.gettempdir())
WIDTH, HEIGHT = 1200, 900


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise AssertionError("no Chromium: deploy/install-deps.sh installs Debian's chromium")


def decode_png(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    channels = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 0xff
            elif kind == 2:
                line[x] = (line[x] + b) & 0xff
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xff
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


class StatusPageScreenshotTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="newsd-shot-")
        self.server = FeedServer()
        self.newsd = None

    def tearDown(self):
        if self.newsd:
            self.newsd.kill()
        self.server.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_status_page_renders_in_headless_chromium(self):
        feed = self.server.route("/feed.xml", Route(rss([(1, "Élections : les résultats"),
                                                          (2, "خبر عاجل من بيروت"),
                                                          (3, "Markets close higher")])))
        refused = "http://127.0.0.1:%d/feed" % free_port()
        self.newsd = OperatedNewsd(self.dir, f"""state_dir = "{self.dir}/state"
[http]
listen = "127.0.0.1:0"
[kafka]
brokers = "embedded"
[fetch]
allow_private_networks = true
[[sources]]
id = "sample"
url = "file://{SAMPLE_FEED}"
interval = "1h"
[[sources]]
id = "local-news"
url = "{feed}"
interval = "30s"
[[sources]]
id = "unreachable"
url = "{refused}"
interval = "30s"
""").start()
        base = self.newsd.base_url()
        wait_for(lambda: "6 published" in http_get(base + "/")[1], 60, "6 articles published")
        wait_for(lambda: "failing" in http_get(base + "/")[1], 60, "the failing source")

        shot = os.path.join(self.dir, "status_page.png")
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                   "--no-first-run", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                   "--no-proxy-server", f"--user-data-dir={os.path.join(self.dir, 'chromium')}",
                   f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", base + "/"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ, HOME=self.dir))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(os.path.exists(shot), result.stderr)
        with open(shot, "rb") as f:
            data = f.read()
        shutil.copy(shot, os.path.join(BUILD_DIR, "status_page.png"))
        self.assertGreater(len(data), 20_000, "a screenshot this small is blank")

        width, height, rows = decode_png(data)
        self.assertEqual((width, height), (WIDTH, HEIGHT))
        colors = {}
        for row in rows:
            for pixel in row:
                colors[pixel] = colors.get(pixel, 0) + 1
        self.assertGreater(len(colors), 50, "too few colours: text was not painted")
        near = lambda rgb, tol=6: sum(n for c, n in colors.items()
                                      if all(abs(a - b) <= tol for a, b in zip(c, rgb)))
        # The dark header band across the top.
        self.assertTrue(all(abs(a - b) <= 6 for a, b in zip(rows[5][5], (0x1d, 0x23, 0x30))),
                        rows[5][5])
        self.assertGreater(near((0x3b, 0x82, 0xf6)), 200, "no chart bars")       # #3b82f6
        self.assertGreater(near((0xdc, 0xf5, 0xe3)), 100, "no 'ok' badge")       # #dcf5e3
        self.assertGreater(near((0xff, 0xe1, 0xe0)), 100, "no 'failing' badge")  # #ffe1e0
        self.assertEqual(self.newsd.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
