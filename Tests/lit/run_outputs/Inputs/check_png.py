#!/usr/bin/env python3
"""Validates a PNG with the standard library only: signature, chunk CRC-32s, IHDR,
IDAT decompressed with zlib (which checks the Adler-32), scanline filters undone.

Usage: check_png.py FILE [--width W --height H]
Prints `PNG WxH rgb8 chunks=IHDR,sRGB,IDAT,IEND distinct_colors=N` (consecutive IDATs
shown once) and the colour of a few
probe pixels; exits 1 on any problem.
"""
import struct
import sys
import zlib


def fail(msg):
    print("check_png: error: " + msg, file=sys.stderr)
    sys.exit(1)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def main():
    args = sys.argv[1:]
    path = args[0]
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        fail("bad signature")
    i = 8
    chunks, idat, ihdr = [], b"", None
    while i < len(blob):
        if i + 8 > len(blob):
            fail("truncated chunk header")
        length, ctype = struct.unpack_from(">I4s", blob, i)
        data = blob[i + 8:i + 8 + length]
        if len(data) != length or i + 12 + length > len(blob):
            fail("truncated chunk " + ctype.decode("latin-1"))
        (crc,) = struct.unpack_from(">I", blob, i + 8 + length)
        if crc != zlib.crc32(ctype + data) & 0xFFFFFFFF:
            fail("CRC mismatch in chunk " + ctype.decode("latin-1"))
        chunks.append(ctype.decode("latin-1"))
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", data)
        elif ctype == b"IDAT":
            idat += data
        i += 12 + length
    if not chunks or chunks[0] != "IHDR" or chunks[-1] != "IEND" or "IDAT" not in chunks:
        fail("chunk order: " + ",".join(chunks))
    width, height, depth, ctype, comp, filt, interlace = ihdr
    if (depth, ctype, comp, filt, interlace) != (8, 2, 0, 0, 0):
        fail("unexpected IHDR %r" % (ihdr,))
    raw = zlib.decompress(idat)  # raises on a bad stream or Adler-32
    stride = width * 3
    if len(raw) != height * (stride + 1):
        fail("decompressed %d bytes, expected %d" % (len(raw), height * (stride + 1)))
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b = prev[x]
            c = prev[x - 3] if x >= 3 else 0
            if ftype == 0:
                pass
            elif ftype == 1:
                line[x] = (line[x] + a) & 0xFF
            elif ftype == 2:
                line[x] = (line[x] + b) & 0xFF
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif ftype == 4:
                line[x] = (line[x] + paeth(a, b, c)) & 0xFF
            else:
                fail("bad filter type %d in row %d" % (ftype, y))
        rows.append(line)
        prev = line
    if "--width" in args and width != int(args[args.index("--width") + 1]):
        fail("width %d" % width)
    if "--height" in args and height != int(args[args.index("--height") + 1]):
        fail("height %d" % height)
    colors = set()
    for line in rows:
        for x in range(0, stride, 3):
            colors.add(bytes(line[x:x + 3]))
    runs = [c for k, c in enumerate(chunks) if k == 0 or c != chunks[k - 1]]
    print("PNG %dx%d rgb8 chunks=%s distinct_colors=%d" % (width, height, ",".join(runs), len(colors)))
    corner = rows[0][0:3]
    print("corner=%02x%02x%02x" % tuple(corner))
    # Some of the tab10 curve colours must be present (the curves were drawn).
    for name, rgb in (("blue", b"\x1f\x77\xb4"), ("orange", b"\xff\x7f\x0e"), ("green", b"\x2c\xa0\x2c"), ("red", b"\xd6\x27\x28")):
        print("%s=%s" % (name, "yes" if rgb in colors else "no"))


if __name__ == "__main__":
    main()
