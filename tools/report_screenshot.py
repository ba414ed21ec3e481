"""A PNG of ``chitieu report`` in headless Chromium: the README screenshot, and the check that
the charts render (tests/test_report.py).

``python -m tools.report_screenshot --unit pre2025:534 --term 2020-2025 --screenshot
docs/report.png`` writes the report of a unit and term and a PNG of it, cropped to the
content. The PNG codec is the standard library's zlib and the five PNG row filters, so
the check needs no imaging package.
"""

from __future__ import annotations

import argparse
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

from flows import settings
from flows.operations.exit_codes import EXIT_OK, EXIT_USAGE
from flows.outputs.report.data import ReportInputError
from flows.outputs.report.page import write_report

CHROMIUM_TIMEOUT_S = 120
_CONSOLE_PROBLEM = re.compile(r":CONSOLE[:(]|Uncaught|Failed to load resource", re.IGNORECASE)


def chromium_path() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def console_problems(chromium_stderr: str) -> list[str]:
    """Lines of Chromium's log that are page console output, script errors or failed loads.

    With ``--enable-logging=stderr`` every console message of the page is logged as
    ``…:INFO:CONSOLE:1] "message", source: file:///…``; the page has no script, so any
    such line is a problem. Chromium's own noise (D-Bus, GPU) is not.
    """
    return [line for line in chromium_stderr.splitlines() if _CONSOLE_PROBLEM.search(line)]


def screenshot(html: Path, png: Path, width: int = 1280, height: int = 2400) -> str:
    """Render ``html`` in headless Chromium into ``png``; returns Chromium's log (stderr)."""
    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("chromium is not installed / không tìm thấy chromium")
    with tempfile.TemporaryDirectory(prefix="chitieu-chromium-") as profile:
        completed = subprocess.run(
            [
                executable,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--disable-extensions",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                f"--window-size={width},{height}",
                f"--screenshot={png}",
                Path(html).resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=CHROMIUM_TIMEOUT_S,
            check=False,
        )
    if completed.returncode != 0 or not Path(png).exists():
        raise RuntimeError(f"chromium failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return completed.stderr


def read_png(path: Path) -> np.ndarray:
    """Decode an 8-bit RGB or RGBA PNG (what Chromium writes) to a height × width × 3 array.

    Standard library zlib and the five PNG row filters; None, Sub and Up are vectorised,
    Average and Paeth (sequential along a row) go pixel by pixel.
    """
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG file")
    offset, idat, header = 8, [], None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        chunk = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError(f"{path} has no IHDR chunk")
    width, height, depth, color_type, _, _, interlace = header
    if depth != 8 or color_type not in (2, 6) or interlace:
        raise ValueError(
            f"unsupported PNG: depth {depth}, colour type {color_type}, interlace {interlace}"
        )
    bpp = 3 if color_type == 2 else 4
    stride = width * bpp
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8).reshape(height, stride + 1)
    pixels = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.uint8)
    for row_index in range(height):
        kind, line = raw[row_index, 0], raw[row_index, 1:]
        if kind == 0:
            row = line.copy()
        elif kind == 1:  # Sub: running sum along the row, per channel, modulo 256
            row = (
                np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint64)
                .astype(np.uint8)
                .ravel()
            )
        elif kind == 2:
            row = line + previous
        elif kind in (3, 4):
            # Sequential along the row: plain Python ints beat numpy on one pixel at a time.
            line_bytes, above, out = line.tolist(), previous.tolist(), [0] * stride
            for i in range(stride):
                left = out[i - bpp] if i >= bpp else 0
                if kind == 3:
                    predicted = (left + above[i]) >> 1
                else:
                    up, up_left = above[i], above[i - bpp] if i >= bpp else 0
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    predicted = left if pa <= pb and pa <= pc else up if pb <= pc else up_left
                out[i] = (line_bytes[i] + predicted) & 0xFF
            row = np.array(out, dtype=np.uint8)
        else:
            raise ValueError(f"bad PNG filter type {kind} in row {row_index}")
        pixels[row_index] = row
        previous = row
    return pixels.reshape(height, width, bpp)[:, :, :3]


def write_png(path: Path, rgb: np.ndarray, filter_type: int | None = None) -> None:
    """Encode a height × width × 3 uint8 array as PNG, the best of the five filters per row.

    ``filter_type`` forces one filter on every row (the tests decode each kind).
    """
    height, width, _ = rgb.shape
    image = rgb.astype(np.int16).reshape(height, width * 3)
    left = np.zeros_like(image)
    left[:, 3:] = image[:, :-3]
    up = np.zeros_like(image)
    up[1:] = image[:-1]
    up_left = np.zeros_like(image)
    up_left[1:, 3:] = image[:-1, :-3]
    p = left + up - up_left
    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - up_left)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    candidates = np.stack(
        [image, image - left, image - up, image - (left + up) // 2, image - paeth]
    ).astype(np.uint8)
    # The usual heuristic: the filter whose bytes, read as signed, sum smallest.
    cost = np.abs(candidates.astype(np.int8).astype(np.int32)).sum(axis=2)
    best = cost.argmin(axis=0) if filter_type is None else np.full(height, filter_type)
    rows = candidates[best, np.arange(height)]
    raw = np.concatenate([best.astype(np.uint8)[:, None], rows], axis=1).tobytes()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    Path(path).write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def crop_to_content(rgb: np.ndarray, margin: int = 24, max_height: int | None = None) -> np.ndarray:
    """Cut the rows below the page's content (all the colour of the bottom row).

    With ``max_height``, cut instead at the last gap between two sections above it, so the
    image ends on a whole section.
    """
    background = rgb[-1, 0]
    differs = np.any(np.any(rgb != background, axis=2), axis=1)
    last = int(np.nonzero(differs)[0][-1]) if differs.any() else 0
    end = min(last + 1 + margin, rgb.shape[0])
    if max_height is not None and end > max_height:
        gaps = np.nonzero(~differs[:max_height])[0]
        end = int(gaps[-1]) + 1 if len(gaps) else max_height
    return rgb[:end]


def report_screenshot(
    warehouse: Path,
    unit_key: str,
    term_code: str,
    png: Path,
    width: int = 1200,
    max_height: int | None = None,
) -> Path:
    """Write the report and a PNG of it, cropped to the content (for the README)."""
    with tempfile.TemporaryDirectory(prefix="chitieu-report-") as folder:
        html = write_report(warehouse, unit_key, term_code, Path(folder) / "report.html")
        full = Path(folder) / "full.png"
        log = screenshot(html, full, width=width, height=8000)
        problems = console_problems(log)
        if problems:
            raise RuntimeError("the page logged problems: " + "\n".join(problems))
        png.parent.mkdir(parents=True, exist_ok=True)
        write_png(png, crop_to_content(read_png(full), max_height=max_height))
    return png


def main(argv: list[str] | None = None) -> int:
    """``python -m tools.report_screenshot --unit … --term … --screenshot docs/report.png``."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.report_screenshot", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--unit", required=True)
    parser.add_argument("--term", required=True)
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--screenshot", type=Path, required=True, help="PNG file to write")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument(
        "--max-height",
        type=int,
        default=None,
        help="end the PNG at the last gap between sections above this height (pixels)",
    )
    args = parser.parse_args(argv)
    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    try:
        png = report_screenshot(
            warehouse, args.unit, args.term, args.screenshot, args.width, args.max_height
        )
    except ReportInputError as error:
        print(f"tools.report_screenshot: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(png)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
