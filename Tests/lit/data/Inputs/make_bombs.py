"""Writes decompression bombs into a folder: PNGs that are only a signature and an IHDR
claiming WxH (a few dozen bytes), one per size given as WxH."""
import struct
import sys
import zlib

out = sys.argv[1]
for spec in sys.argv[2:]:
    w, h = (int(v) for v in spec.split("x"))
    body = b"IHDR" + struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    open(f"{out}/bomb_{spec}.png", "wb").write(data)
