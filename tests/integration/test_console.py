"""The web console (docs/CONSOLE.md) in a real browser: Debian's Chromium driven by Playwright (never a downloaded
browser) against a real daemon holding data uploaded with the SDK.

- every page (catalog, sequence, topic plot, topic frame) loads with no console error; screenshots of each are
  written to $MOSAICOD_TEST_ARTIFACTS (default build/test-artifacts)/console-<catalog>-<store>/;
- catalog search (name glob, user-metadata condition, ontology tag) returns the expected sequences, through the API
  and on the page;
- the plot of a synthetic signal (1 kHz sine with one one-sample spike) shows the known values, the spike included
  at full zoom-out, both from the rows and from the row-group statistics (the API's downsampled data and the page);
- image frames (SDK Image raw + png, CompressedImage png) render the uploaded pixels (canvas read back), and stepping
  moves to the next frame;
- the Python snippet the page offers runs against the daemon with the SDK;
- delete (with confirmation) and purge act; auth on: no key is refused (401, page asks for a key), a read key reads
  but cannot delete (403).
Runs in both storage passes of scripts/test.sh (the console reads through the same catalog/store interfaces).
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pyarrow.flight as fl
import pytest
from mosaicolabs import IMU, CompressedImage, Image, Message, MosaicoClient, Vector3d
from mosaicolabs.models.sensors.image import ImageFormat
from PIL import Image as PILImage

from conftest import CATALOG_MODE, STORE_MODE
from mosaico_testlib import action, create_sequence, create_session
from test_api_keys import cli_create
from test_metrics import free_port

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BASE = 1_700_000_000_000_000_000
MS = 1_000_000
N = 20_000            # 20 s at 1 kHz
SPIKE_AT = 12_345     # one sample
SPIKE = 50.0
RUN = uuid.uuid4().hex[:8]
SIGNAL = f"console_{RUN}_signal"
CAMERA = f"console_{RUN}_camera"
DOOMED = f"console_{RUN}_doomed"
ARTIFACTS = os.path.join(os.environ.get("MOSAICOD_TEST_ARTIFACTS",
                                        os.path.join(os.path.dirname(__file__), "..", "..", "build", "test-artifacts")),
                         f"console-{CATALOG_MODE}-{STORE_MODE}")

# 4 x 3 rgb8 pixels (stride 12) and an 8 x 8 RGB picture for the PNG CompressedImage.
RAW_W, RAW_H = 4, 3
RAW_PIXELS = [((x * 60) % 256, (y * 100) % 256, (x * y * 40 + 7) % 256) for y in range(RAW_H) for x in range(RAW_W)]
PNG_PIXELS = [((x * 30) % 256, (y * 30) % 256, 200) for y in range(8) for x in range(8)]


def signal(i: int) -> float:
    return SPIKE if i == SPIKE_AT else math.sin(2 * math.pi * i / 5000)


def png_bytes() -> bytes:
    img = PILImage.new("RGB", (8, 8))
    img.putdata(PNG_PIXELS)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def upload(d) -> None:
    with MosaicoClient.connect(d.host, d.port) as client:
        with client.sequence_create(SIGNAL, {"robot": "r1", "kind": "signal"}) as w:
            tw = w.topic_create("/imu", {}, IMU)
            for i in range(N):
                tw.push(Message(timestamp_ns=BASE + i * MS,
                                data=IMU(acceleration=Vector3d(x=signal(i), y=-1.0, z=9.81),
                                         angular_velocity=Vector3d(x=0.0, y=0.0, z=float(i % 100)))))
        flat = [c for px in RAW_PIXELS for c in px]
        with client.sequence_create(CAMERA, {"robot": "r2", "kind": "camera"}) as w:
            raw = w.topic_create("/camera/raw", {}, Image)
            png = w.topic_create("/camera/png", {}, Image)
            comp = w.topic_create("/camera/compressed", {}, CompressedImage)
            for k in range(3):  # frames 100 ms apart; frame k has its pixels + k on the first channel
                shifted = [(v + k) % 256 if j % 3 == 0 else v for j, v in enumerate(flat)]
                ts = BASE + k * 100 * MS
                raw.push(Message(timestamp_ns=ts, data=Image.from_linear_pixels(
                    data=shifted, stride=RAW_W * 3, height=RAW_H, width=RAW_W, encoding="rgb8",
                    format=ImageFormat.RAW)))
                png.push(Message(timestamp_ns=ts, data=Image.from_linear_pixels(
                    data=shifted, stride=RAW_W * 3, height=RAW_H, width=RAW_W, encoding="rgb8",
                    format=ImageFormat.PNG)))
                comp.push(Message(timestamp_ns=ts, data=CompressedImage(data=png_bytes(), format=ImageFormat.PNG)))
        with client.sequence_create(DOOMED, {"robot": "r3"}) as w:
            tw = w.topic_create("/imu", {}, IMU)
            tw.push(Message(timestamp_ns=BASE, data=IMU(acceleration=Vector3d(x=1.0, y=2.0, z=3.0),
                                                        angular_velocity=Vector3d(x=0.0, y=0.0, z=0.0))))


def http(port: int, path: str, method: str = "GET", body=None, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def api(port: int, path: str, **kw):
    status, body, _ = http(port, path, **kw)
    assert status == 200, f"{path}: {status} {body[:300]!r}"
    return json.loads(body)


@pytest.fixture(scope="module")
def consoled(module_daemon_factory):
    port = free_port()
    d = module_daemon_factory(extra_args=["--http-port", str(port), "--chunk-size-mb", "1"])
    d.http_port = port
    upload(d)
    return d


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} missing: scripts/setup.sh --with-tests installs Debian's chromium")
    os.makedirs(ARTIFACTS, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A page with its console errors collected."""

    def __init__(self, browser, port: int, allow=()):
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        self.errors: list[str] = []
        self.allow = allow
        self.page.on("console", lambda m: m.type == "error" and self._err(m.text))
        self.page.on("pageerror", lambda e: self._err(f"pageerror: {e}"))
        self.port = port

    def _err(self, text: str):
        if not any(a in text for a in self.allow):
            self.errors.append(text)

    def open(self, hash_: str):
        self.page.goto(f"http://127.0.0.1:{self.port}/console/{hash_}")
        self.page.wait_for_function(f"document.body.dataset.ready === {json.dumps(hash_ or '#/')}", timeout=15000)
        return self.page

    def shot(self, name: str):
        self.page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"))

    def close(self):
        self.ctx.close()
        assert not self.errors, f"console errors: {self.errors}"


def names(items) -> list[str]:
    return sorted(i["name"] for i in items)


def test_catalog_search_api_uses_the_query_engine(consoled):
    p = consoled.http_port
    mine = [SIGNAL, CAMERA, DOOMED]
    assert names(api(p, f"/api/sequences?name=console_{RUN}_*")["items"]) == sorted(mine)
    meta = urllib.parse.quote(json.dumps({"robot": {"$eq": "r2"}}))
    assert names(api(p, f"/api/sequences?metadata={meta}")["items"]) == [CAMERA]
    tag = api(p, f"/api/topic?sequence={SIGNAL}&topic=/imu")["ontology_tag"]
    assert names(api(p, f"/api/sequences?tag={tag}&name=console_{RUN}_*")["items"]) == sorted([SIGNAL, DOOMED])
    # Cursor paging: one at a time, in name order, every sequence once.
    seen, after = [], ""
    while True:
        page = api(p, f"/api/sequences?name=console_{RUN}_*&limit=1&after={after}")
        seen += [i["name"] for i in page["items"]]
        if not page["next"]:
            break
        after = page["next"]
    assert seen == sorted(mine)
    row = next(i for i in api(p, f"/api/sequences?name={SIGNAL}")["items"])
    assert (row["topics"], row["rows"], row["state"]) == (1, N, "locked")
    assert row["ts_min"] == BASE and row["ts_max"] == BASE + (N - 1) * MS
    # States: a sequence with no session yet is "empty", one with an open session "uploading".
    client = fl.FlightClient(consoled.location)
    empty, open_ = f"console_{RUN}_zz_empty", f"console_{RUN}_zz_open"
    create_sequence(client, empty)
    create_sequence(client, open_)
    create_session(client, open_)
    assert api(p, f"/api/sequence?name={empty}")["state"] == "empty"
    assert api(p, f"/api/sequence?name={open_}")["state"] == "uploading"
    states = {i["name"]: i["state"] for i in api(p, f"/api/sequences?after=console_{RUN}_zz")["items"]}
    assert states == {empty: "empty", open_: "uploading"}
    # Bad input: a clear 400 naming the parameter, the daemon stays up.
    status, body, _ = http(p, "/api/sequences?metadata=%7Bnot-json")
    assert status == 400 and b"user_metadata" in body, body
    status, body, _ = http(p, f"/api/series?sequence={SIGNAL}&topic=/imu&fields=nope")
    assert status == 400 and b"nope" in body, body
    status, _, _ = http(p, "/api/sequence?name=no_such_sequence_" + RUN)
    assert status == 404


def test_series_keeps_the_spike_from_rows_and_from_statistics(consoled):
    p = consoled.http_port
    q = f"/api/series?sequence={SIGNAL}&topic=/imu&fields=acceleration.x,acceleration.y&width=500"
    for extra, source in (("", "raw"), ("&raw_row_limit=100", "stats")):
        s = api(p, q + extra)
        assert s["source"] == source, s["source"]
        x, y = s["fields"]
        assert x["field"] == "acceleration.x"
        assert max(x["max"]) == SPIKE, f"{source}: spike lost"
        spike_cols = [k for k, v in enumerate(x["max"]) if v == SPIKE]
        if source == "raw":
            assert len(spike_cols) == 1
            col = spike_cols[0]
            assert x["ts"][col] <= BASE + SPIKE_AT * MS < x["ts"][col] + s["bucket_ns"]
            assert sum(x["rows"]) == N
            others = [v for k, v in enumerate(x["max"]) if k != col]
            assert max(others) == pytest.approx(1.0, abs=1e-3) and min(x["min"]) == pytest.approx(-1.0, abs=1e-3)
        else:
            assert s["row_groups"] >= 1
            assert min(x["min"]) == pytest.approx(-1.0, abs=1e-3)
        assert set(y["min"]) == {-1.0} and set(y["max"]) == {-1.0}
    # Zoomed in to 200 ms around the spike: every row, exact values.
    start, end = BASE + (SPIKE_AT - 100) * MS, BASE + (SPIKE_AT + 100) * MS
    s = api(p, f"/api/series?sequence={SIGNAL}&topic=/imu&fields=acceleration.x&start={start}&end={end}&width=800")
    assert s["source"] == "points"
    x = s["fields"][0]
    assert len(x["ts"]) == 200 and x["ts"][0] == start
    assert x["max"][100] == SPIKE and x["ts"][100] == BASE + SPIKE_AT * MS
    assert x["max"][0] == pytest.approx(signal(SPIKE_AT - 100), abs=1e-12)


def test_pages_load_plot_and_frames_render(consoled, browser):
    pg = Page(browser, consoled.http_port)
    try:
        page = pg.open("")
        rows = page.locator("#sequences tbody tr")
        assert rows.count() >= 3
        pg.shot("catalog")
        page.fill("input[name=name]", f"console_{RUN}_*")
        page.fill("input[name=metadata]", json.dumps({"kind": {"$eq": "camera"}}))
        page.click("#search button")
        page.wait_for_function("window.__console && window.__console.page === 'catalog' && "
                               "document.querySelectorAll('#sequences tbody tr').length === 1")
        assert page.locator("#sequences tbody tr").get_attribute("data-name") == CAMERA
        pg.shot("catalog-search")

        page = pg.open(f"#/seq/{SIGNAL}")
        assert page.locator("#topics tbody tr").count() == 1
        assert "signal" in page.locator("#metadata").inner_text()
        lanes = page.evaluate("window.__console.sequence.timeline.lanes")
        assert len(lanes) == 1 and sum(r for _, r in lanes[0]["density"]) == N
        pg.shot("sequence")

        page = pg.open(f"#/topic/{SIGNAL}/imu")
        page.wait_for_function("window.__console && window.__console.plotted", timeout=15000)
        rng = page.locator('.field-range[data-field="acceleration.x"]')
        assert float(rng.get_attribute("data-max")) == SPIKE
        assert float(rng.get_attribute("data-min")) == pytest.approx(-1.0, abs=1e-3)
        # uPlot holds the spike in its data (series 1 = acceleration.x max) and drew something.
        assert page.evaluate("Math.max(...window.__console.plot.data[1].filter(v => v !== null))") == SPIKE
        assert page.evaluate("""(() => { const c = document.querySelector('#plot canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })()""") > 1000
        assert page.locator("#schema").inner_text().count("acceleration") >= 1
        assert page.locator("#stats tbody tr").count() >= 6
        pg.shot("topic-plot")
        # Zoom: drag over ~2 % of the plot around the spike -> the page asks for that window, now read row by row.
        over = page.locator("#plot .u-over").bounding_box()
        frac = SPIKE_AT / N
        x0 = over["x"] + over["width"] * (frac - 0.01)
        x1 = over["x"] + over["width"] * (frac + 0.01)
        ymid = over["y"] + over["height"] / 2
        page.evaluate("window.__console.plotted = false")
        page.mouse.move(x0, ymid)
        page.mouse.down()
        page.mouse.move(x1, ymid, steps=5)
        page.mouse.up()
        page.wait_for_function("window.__console.plotted", timeout=15000)
        zoomed = page.evaluate("window.__console.series")
        assert zoomed["source"] == "points", zoomed["source"]
        zx = zoomed["fields"][0]
        assert SPIKE in zx["max"] and BASE + SPIKE_AT * MS in zx["ts"]
        assert 200 < len(zx["ts"]) < 600  # ~2 % of 20 000 rows
        assert int(zoomed["start_ns"]) > BASE and int(zoomed["end_ns"]) < BASE + N * MS
        # Pan right by half a window: the window moves, the snippet follows it.
        page.evaluate("window.__console.plotted = false")
        page.click("#pan-right")
        page.wait_for_function("window.__console.plotted", timeout=15000)
        panned = page.evaluate("window.__console.series")
        span = zoomed["end_ns"] - zoomed["start_ns"]
        assert abs(panned["start_ns"] - (zoomed["start_ns"] + span // 2)) <= 1000
        shown = re.search(r"start_timestamp_ns=(\d+)", page.locator("#snippet").inner_text())
        assert shown and abs(int(shown.group(1)) - panned["start_ns"]) <= 1000  # JS numbers: ~16 digits
        snippet = page.locator("#snippet").inner_text()
        # A link to a window opens the plot on it.
        start, end = BASE + 5000 * MS, BASE + 5100 * MS
        page = pg.open(f"#/topic/{SIGNAL}/imu?start={start}&end={end}")
        page.wait_for_function("window.__console && window.__console.plotted", timeout=15000)
        linked = page.evaluate("window.__console.series")
        assert (linked["source"], len(linked["fields"][0]["ts"])) == ("points", 100)
        assert abs(linked["start_ns"] - start) <= 1000 and abs(linked["end_ns"] - end) <= 1000

        for topic in ("camera/raw", "camera/png", "camera/compressed"):
            page = pg.open(f"#/topic/{CAMERA}/{topic.replace('/', '%2F')}")
            page.wait_for_function("window.__console && window.__console.framed", timeout=15000)
            px = page.evaluate("""(() => { const c = document.getElementById('frame');
                return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)]; })()""")
            w, h, data = px
            want = PNG_PIXELS if topic.endswith("compressed") else RAW_PIXELS
            assert (w, h) == ((8, 8) if topic.endswith("compressed") else (RAW_W, RAW_H)), topic
            got = [tuple(data[i:i + 3]) for i in range(0, len(data), 4)]
            assert got == want, f"{topic}: canvas pixels differ"
            if topic == "camera/raw":
                pg.shot("topic-frame")
                page.click("#next")
                page.wait_for_function(f"document.body.dataset.framed === '{BASE + 100 * MS}'")
                first = page.evaluate("Array.from(document.getElementById('frame').getContext('2d')"
                                      ".getImageData(0, 0, 1, 1).data)")
                assert first[0] == (RAW_PIXELS[0][0] + 1) % 256
                frame_snippet = page.locator("#snippet").inner_text()
    finally:
        pg.close()
    # The offered snippets run with the SDK and read what the page shows.
    for code, want in ((snippet, "IMU"), (frame_snippet, "Image")):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-2000:]
        assert want in out.stdout, out.stdout[:500]


def test_delete_and_purge_from_the_page(consoled, browser):
    p = consoled.http_port
    # The API refuses a POST without the console's header (another origin's form cannot delete).
    status, _, _ = http(p, "/api/delete_sequence", method="POST", body={"name": DOOMED})
    assert status == 403
    client = fl.FlightClient(consoled.location)
    action(client, "sequence_notification_create", {"locator": DOOMED, "notification_type": "error", "msg": "boom"})
    assert api(p, f"/api/sequence?name={DOOMED}")["notifications"] == 1
    pg = Page(browser, p)
    try:
        page = pg.open(f"#/seq/{DOOMED}")
        assert "boom" in page.locator("#notifications").inner_text()
        page.on("dialog", lambda d: d.accept())
        page.click("#purge")
        page.wait_for_function("!document.querySelector('#notifications').innerText.includes('boom')")
        assert api(p, f"/api/sequence?name={DOOMED}")["notifications"] == 0
        page.click(".del-session")
        page.wait_for_function("document.querySelectorAll('.del-session').length === 0")
        assert api(p, f"/api/sequence?name={DOOMED}")["sessions"] == 0
        page.click("#delete")
        page.wait_for_function("location.hash === '#/' && document.body.dataset.ready === '#/'")
    finally:
        pg.close()
    status, _, _ = http(p, f"/api/sequence?name={DOOMED}")
    assert status == 404
    assert DOOMED not in names(api(p, f"/api/sequences?name=console_{RUN}_*")["items"])


def test_auth_on_refuses_without_a_key(module_daemon_factory, browser):
    port = free_port()
    d = module_daemon_factory(extra_args=["--http-port", str(port), "--auth", "on"])
    read_key = cli_create(d, "read")
    status, body, _ = http(port, "/api/sequences")
    assert status == 401 and b"API key" in body
    status, _, _ = http(port, "/api/sequences", headers={"mosaico-api-key-token": "msco_" + "a" * 32 + "_00000000"})
    assert status == 401
    assert http(port, "/api/sequences", headers={"mosaico-api-key-token": read_key})[0] == 200
    status, body, _ = http(port, "/api/delete_sequence", method="POST", body={"name": "x"},
                           headers={"mosaico-api-key-token": read_key, "X-Mosaico-Console": "1"})
    assert status == 403 and b"delete" in body
    assert api(port, "/api/info")["auth"] is True
    pg = Page(browser, port, allow=("401",))
    try:
        page = pg.open("")
        assert "API key" in page.locator("#auth-error").inner_text()
        pg.shot("auth-refused")
        page.fill("#apikey", read_key)
        page.click("#keyform button")
        page.wait_for_function("window.__console && window.__console.page === 'catalog'")
    finally:
        pg.close()
