"""report.html in a real headless browser (Debian chromium): it must render its charts with no
network and no script.

The samples come from the Swift test `ReportSampleWriter` (Tests/ReportTests/ReportFilesTests.swift),
run with `swift test --skip-build`, so `swift build --build-tests` must have run first: a short run
with a lost write, a three-hour run with more series and faults than a chart draws, and an unsafe
run (the leader alone in the ISR, 110 lost writes, two faults with the same words). Set
SAMSA_REPORT_HTML to check another report.html (a real run's) instead. A missing chromium fails
the test: the issue requires this check, and a skip would hide that it never ran.

The layout is measured in the browser at 1280 px: a copy of the page, its script ban lifted, runs a
probe that writes what chromium laid out (widths, scroll boxes, chart labels and lines) into the
DOM, which `--dump-dom` returns. The page itself still carries no script.
"""
import html
import json
import re
import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Charts in each sample: throughput, latency, ISR per topic, lag per group.
SAMPLES = {"report.html": 4, "long-run/report.html": 6, "unsafe-run/report.html": 3}
VIEWPORT = 1280
# Tables longer than this scroll in a box of their own (HTMLReport.scrollingRows).
SCROLLING_ROWS = 40


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed (apt-get install -y chromium); report.html must be checked in a real browser")


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("report-sample")
    env = dict(os.environ, SAMSA_REPORT_SAMPLE_DIR=str(directory))
    result = subprocess.run(
        ["swift", "test", "--skip-build", "--filter", "ReportSampleWriter"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"swift test failed (run `swift build --build-tests` first):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    for page in SAMPLES:
        assert (directory / page).exists(), f"the sample writer wrote no {page} into {directory}"
    return directory


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    command = [chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, timeout=120)


def png_pixels(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what chromium writes) into rows of raw pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position = 8
    idat = b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {depth=} {colour=} {interlace=}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"bad PNG filter {kind}"
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


@pytest.mark.parametrize("page", sorted(SAMPLES))
def test_report_html_renders_its_charts_in_chromium(page: str, request, tmp_path: Path):
    given = os.environ.get("SAMSA_REPORT_HTML")
    report_html = Path(given) if given else request.getfixturevalue("sample_dir") / page
    charts = SAMPLES[page]
    url = report_html.resolve().as_uri()

    dom = run_chromium(["--dump-dom", url], tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode()
    assert text.count("<svg") >= charts, f"expected at least {charts} charts in the rendered DOM"
    assert 'class="fault-band"' in text, "no fault band was rendered"
    assert 'class="line"' in text, "no series line was rendered"
    assert "<script" not in text, "the report must not carry script"

    screenshot = tmp_path / "report.png"
    shot = run_chromium([f"--screenshot={screenshot}", "--window-size=1280,2000", url], tmp_path / "profile-shot")
    assert shot.returncode == 0, shot.stderr.decode(errors="replace")[-2000:]
    assert screenshot.exists() and screenshot.stat().st_size > 10_000, "chromium wrote no real screenshot"

    width, height, channels, rows = png_pixels(screenshot.read_bytes())
    assert (width, height) == (1280, 2000)
    counts: Counter[bytes] = Counter()
    for row in rows:
        for x in range(0, width * channels, channels):
            counts[row[x:x + 3]] += 1
    background = rows[0][:3]
    drawn = width * height - counts[background]
    # A blank or error page has a handful of colours; charts with anti-aliased lines in several
    # colours, shaded bands and text have hundreds.
    assert len(counts) > 100, f"only {len(counts)} distinct colours: the page looks blank"
    assert drawn / (width * height) > 0.1, f"only {drawn / (width * height):.1%} of the page differs from its background"

    def pixels_near(rgb: tuple[int, int, int], tolerance: int) -> int:
        return sum(n for pixel, n in counts.items() if all(abs(pixel[i] - rgb[i]) <= tolerance for i in range(3)))

    # Fault bands are #e15759 at 13% over the white plot: large areas of one pale red.
    band = pixels_near((251, 233, 233), 2)
    assert band > 20_000, f"only {band} pixels of fault-band shading: the bands did not render"
    # Series lines and legend swatches in the first three palette colours (#4e79a7, #f28e2b,
    # #e15759): each is on screen, at least in the legends, and together they make hundreds of
    # pixels, which text anti-aliasing alone never does.
    palette = {"blue": (0x4E, 0x79, 0xA7), "orange": (0xF2, 0x8E, 0x2B), "red": (0xE1, 0x57, 0x59)}
    lines = {name: pixels_near(rgb, 4) for name, rgb in palette.items()}
    assert all(n > 50 for n in lines.values()) and sum(lines.values()) > 1000, \
        f"series pixels by colour {lines}: the chart lines did not render"


PROBE = """
<script>
(function () {
  var page = document.documentElement;
  var result = {viewport: window.innerWidth, pageWidth: page.scrollWidth, wraps: [], charts: [], notes: []};
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    var table = wrap.querySelector("table");
    result.wraps.push({
      cls: wrap.className, rows: table.tBodies[0].rows.length,
      scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth,
      scrollHeight: wrap.scrollHeight, clientHeight: wrap.clientHeight,
      right: wrap.getBoundingClientRect().right,
      headers: Array.from(table.tHead.rows[0].cells).map(function (c) { return c.textContent; }),
      text: table.tBodies[0].textContent
    });
  });
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    result.charts.push({
      id: svg.id, title: svg.querySelector("title").textContent, right: svg.getBoundingClientRect().right,
      labels: Array.from(svg.querySelectorAll("text.band-label")).map(function (t) { return t.textContent; }),
      lines: Array.from(svg.querySelectorAll("path.line")).map(function (p) {
        return {name: p.querySelector("title").textContent, dash: p.getAttribute("stroke-dasharray"),
                width: parseFloat(p.getAttribute("stroke-width"))};
      }),
      marks: Array.from(svg.querySelectorAll("circle.mark")).map(function (c) { return c.querySelector("title").textContent; })
    });
  });
  document.querySelectorAll(".note").forEach(function (note) { result.notes.push(note.textContent); });
  var out = document.createElement("pre");
  out.id = "layout-probe";
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
</script>
"""


def layout(report_html: Path, tmp_path: Path) -> dict:
    """What chromium laid out at 1280 px wide, measured by a probe in a copy of the page."""
    page = report_html.read_text(encoding="utf-8")
    page, policies = re.subn(r'<meta http-equiv="Content-Security-Policy"[^>]*/>', "", page)
    assert policies == 1, "the report lost its Content-Security-Policy"
    assert page.count("</body>") == 1
    probed = report_html.parent / f".probe-{os.getpid()}.html"
    probed.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        dom = run_chromium(["--dump-dom", f"--window-size={VIEWPORT},2000", probed.resolve().as_uri()], tmp_path / "profile-probe")
    finally:
        probed.unlink()
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom.stdout.decode(), re.S)
    assert found, "the layout probe did not run"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("page", sorted(SAMPLES))
def test_report_layout_fits_1280_px_and_tells_series_and_faults_apart(page: str, request, tmp_path: Path):
    given = os.environ.get("SAMSA_REPORT_HTML")
    report_html = Path(given) if given else request.getfixturevalue("sample_dir") / page
    measured = layout(report_html, tmp_path)
    assert measured["viewport"] == VIEWPORT
    # f: nothing overflows the page; every table fits its box's width; long tables scroll in a
    # box of their own, shorter than a screen.
    assert measured["pageWidth"] <= VIEWPORT, f"the page is {measured['pageWidth']} px wide at {VIEWPORT} px"
    for wrap in measured["wraps"]:
        where = f"table {wrap['headers']} ({wrap['rows']} rows)"
        assert wrap["scrollWidth"] <= wrap["clientWidth"] + 1, f"{where} overflows its box: {wrap['scrollWidth']} > {wrap['clientWidth']} px"
        assert wrap["right"] <= VIEWPORT, f"{where} ends at {wrap['right']} px"
        if wrap["rows"] > SCROLLING_ROWS:
            assert "long" in wrap["cls"].split(), f"{where} does not scroll in a box"
            assert wrap["clientHeight"] <= 700 and wrap["scrollHeight"] > wrap["clientHeight"], \
                f"{where}: box {wrap['clientHeight']} px high for {wrap['scrollHeight']} px of table"
        # b: times from the run's start, never absolute nanoseconds; phrases, never JSON objects.
        assert not re.search(r"\d{16,}", wrap["text"]), f"{where} prints an absolute nanosecond time"
        assert '{"' not in wrap["text"], f"{where} prints raw JSON"
    for chart in measured["charts"]:
        assert chart["right"] <= VIEWPORT, f"{chart['id']} ends at {chart['right']} px"
        # c: two faults never share a label.
        assert len(chart["labels"]) == len(set(chart["labels"])), f"{chart['id']} repeats a fault label: {chart['labels']}"
        # e: no chart of an internal topic.
        assert "__" not in chart["title"], f"an internal topic is charted: {chart['title']}"
    # d: p99 drawn over (after) a dashed, thinner max.
    latency = next(chart for chart in measured["charts"] if chart["id"] == "chart-latency")
    lines = {line["name"]: (index, line) for index, line in enumerate(latency["lines"])}
    assert lines["max"][0] < lines["p99"][0], "p99 is drawn under max"
    assert lines["max"][1]["dash"] and not lines["p99"][1]["dash"], "max is not dashed apart from p99"
    assert lines["p99"][1]["width"] > lines["max"][1]["width"]
    if given or page != "unsafe-run/report.html":
        return
    # a: the leader alone in the ISR at +8.20 s, when broker 2's event log says (the samples said so at +12.46 s).
    isr = next(chart for chart in measured["charts"] if chart["title"] == "ISR size per partition: topic orders")
    assert "orders/0: ISR [2] at +8.200 s (broker 2's event log)" in isr["marks"], isr["marks"]
    # b: lost writes in columns.
    lost = next(wrap for wrap in measured["wraps"] if "lost-writes" in wrap["cls"].split())
    assert lost["headers"][:4] == ["Partition", "Offsets", "Writes", "Acknowledged"] and "Truncated by" in lost["headers"]
    assert "broker 2, epoch 2 from +7.500 s" in lost["text"] and "at +13.100 s" in lost["text"]
    # c: the two faults with the same words.
    assert "#1 +5.0s isolate the leader" in isr["labels"] and "#2 +10.0s isolate the leader" in isr["labels"]
    # e: the ten __consumer_offsets partitions are left out, and the page says so.
    assert any("Internal topics (__consumer_offsets, 10 partitions) are left out" in note for note in measured["notes"])
    # f: the 100 listed lost writes scroll in their box.
    evidence = [wrap for wrap in measured["wraps"] if wrap["rows"] >= 100]
    assert evidence and all(wrap["scrollHeight"] > wrap["clientHeight"] for wrap in evidence)
