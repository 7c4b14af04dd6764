#!/usr/bin/env python3
"""Renders an HTML report in real headless Chromium and checks the picture.

Usage: report_html_chromium.py PAGE.html OUT.png

Passes when Chromium writes the screenshot, the screenshot is not blank (at
least 1% of its pixels differ from its most common colour) and Chromium's log
holds no uncaught exception or console error. Exit status: 0 pass, 1 fail,
2 usage, 77 skip (no /usr/bin/chromium; ctest's SKIP_RETURN_CODE).
Standard library only: the PNG is decoded here with zlib and struct.
"""
import collections
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 120
MIN_NON_BACKGROUND = 0.01


def decode_png(data):
    """Returns (width, height, bytes per pixel, pixel rows as bytes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ValueError("PNG without IHDR or IDAT")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if channels is None or depth not in (1, 2, 4, 8, 16) or interlace != 0:
        raise ValueError(f"unsupported PNG: colour type {colour}, depth {depth}, interlace {interlace}")
    raw = zlib.decompress(b"".join(idat))
    stride = (width * channels * depth + 7) // 8
    bpp = max(1, channels * depth // 8)
    if len(raw) < height * (stride + 1):
        raise ValueError("PNG image data is truncated")
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        unfilter(kind, row, prev, bpp)
        rows.append(bytes(row))
        prev = row
    return width, height, max(1, channels * depth // 8), rows


def add_bytes(a, b):
    """Byte-wise a + b mod 256 for equal-length bytes, without a Python loop."""
    n = len(a)
    x, y = int.from_bytes(a, "little"), int.from_bytes(b, "little")
    low = int.from_bytes(b"\x7f" * n, "little")
    high = int.from_bytes(b"\x80" * n, "little")
    return bytearray((((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(n, "little"))


def unfilter(kind, row, prev, bpp):
    """Reverses one scanline's PNG filter in place (types 0-4)."""
    n = len(row)
    if kind == 0:
        return
    if kind == 2:  # Up: the common case, done on whole rows at once
        row[:] = add_bytes(row, prev)
    elif kind == 1:  # Sub
        for i in range(bpp, n):
            row[i] = (row[i] + row[i - bpp]) & 0xFF
    elif kind == 3:  # Average
        for i in range(n):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:  # Paeth
        for i in range(n):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            row[i] = (row[i] + pred) & 0xFF
    else:
        raise ValueError(f"unknown PNG filter type {kind}")


def non_background_share(png_path):
    """Returns (width, height, share of pixels unlike the most common one, that colour)."""
    with open(png_path, "rb") as f:
        width, height, bpp, rows = decode_png(f.read())
    counts = collections.Counter()
    for row in rows:
        counts.update(zip(*[iter(row)] * bpp))
    colour, most = counts.most_common(1)[0]
    total = sum(counts.values())
    return width, height, 1 - most / total, "#" + "".join(f"{v:02x}" for v in colour)


def console_errors(log):
    """Lines of Chromium's log that report a script or console error.

    Besides "Uncaught" and ERROR-level console lines, any console message at
    all counts: Chromium 120+ logs console.error() as "INFO:CONSOLE", and the
    report has no scripts, so a page that logs anything is broken.
    """
    bad = []
    for line in log.splitlines():
        if ("Uncaught" in line or ":ERROR:CONSOLE" in line or ":CONSOLE" in line
                or ("Console" in line and "ERROR" in line)):
            bad.append(line.strip())
    return bad


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    page, png = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    name = os.path.basename(page)
    if not os.path.isfile(CHROMIUM) or not os.access(CHROMIUM, os.X_OK):
        print(f"SKIP: {CHROMIUM} is missing; install the Debian package 'chromium' to run this check")
        return 77
    if not os.path.isfile(page):
        print(f"FAIL: {name}: no such file {page}")
        return 1
    if os.path.exists(png):
        os.remove(png)
    profile = tempfile.mkdtemp(prefix="aif-chromium-")
    try:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", f"--screenshot={png}",
               "--window-size=1280,2000", "file://" + page]
        env = dict(os.environ, HOME=profile)  # keep Chromium's dot-files out of the real home
        try:
            run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                 timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            print(f"FAIL: {name}: chromium did not finish within {TIMEOUT_S} s")
            return 1
        log = run.stdout.decode(errors="replace") + run.stderr.decode(errors="replace")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    errors = console_errors(log)
    if errors:
        print(f"FAIL: {name}: chromium reported {len(errors)} script/console error(s): {errors[0][:300]}")
        return 1
    if not os.path.isfile(png) or os.path.getsize(png) == 0:
        print(f"FAIL: {name}: chromium wrote no screenshot (exit {run.returncode}); log tail: {log[-600:]!r}")
        return 1
    try:
        width, height, share, colour = non_background_share(png)
    except (ValueError, zlib.error, struct.error) as e:
        print(f"FAIL: {name}: screenshot {png} cannot be decoded: {e}")
        return 1
    if share < MIN_NON_BACKGROUND:
        print(f"FAIL: {name}: screenshot {width}x{height} is blank: only {share:.2%} of pixels differ from {colour}")
        return 1
    print(f"PASS: {name}: screenshot {width}x{height}, {share:.1%} of pixels differ from the background {colour}, "
          f"no console errors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
