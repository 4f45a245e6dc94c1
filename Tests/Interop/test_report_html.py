"""report.html in a real headless browser (Debian chromium): it must render its charts with no
network and no script.

The samples come from the Swift test `ReportSampleWriter` (Tests/ReportTests/ReportFilesTests.swift),
run with `swift test --skip-build`, so `swift build --build-tests` must have run first: a short run
with a lost write, and a three-hour run with more series and faults than a chart draws. Set
SAMSA_REPORT_HTML to check another report.html (a real run's) instead. A missing chromium fails
the test: the issue requires this check, and a skip would hide that it never ran.
"""
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
SAMPLES = {"report.html": 4, "long-run/report.html": 6}


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
