#!/usr/bin/env python3
"""Test helper for checkpoint safety: reads and damages safetensors files with the
standard library only (an independent reader of the format and of the checksum layout).

    ckpt_tool.py flip FILE COPY        flip 64 bytes in the middle of FILE's largest
                                       tensor, save the damaged file to COPY, print the tensor
    ckpt_tool.py checksums FILE        check every tensor's crc32c.NAME metadata entry
                                       (CRC-32C computed here) and print a summary
    ckpt_tool.py strip FILE            remove the checksum entries (a checkpoint of an
                                       older vfc)
    ckpt_tool.py aside RUN NAME COPY   RUN/aside-*/NAME exists and equals COPY byte for byte
    ckpt_tool.py snapshot DIR          every file under DIR with its size and SHA-256 (but
                                       the lock file, which holds the last holder's pid)
    ckpt_tool.py lines FILE            the number of non-empty lines of FILE
"""
import glob
import hashlib
import json
import os
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data, 8 + n


def write(path, header, data, start):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data[start:])


def crc32c(data):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def tensors(header):
    return {k: v for k, v in header.items() if k != "__metadata__"}


cmd = sys.argv[1]
if cmd == "flip":
    header, data, start = read(sys.argv[2])
    name, entry = max(tensors(header).items(), key=lambda kv: (kv[1]["data_offsets"][1] - kv[1]["data_offsets"][0], kv[0]))
    b, e = entry["data_offsets"]
    mid = start + (b + e) // 2 - 32
    assert e - b >= 64, "the largest tensor is smaller than 64 bytes"
    damaged = bytearray(data)
    for i in range(mid, mid + 64):
        damaged[i] ^= 0x5A
    open(sys.argv[2], "wb").write(damaged)
    open(sys.argv[3], "wb").write(damaged)
    print(f"flipped 64 bytes of tensor '{name}'")
elif cmd == "checksums":
    header, data, start = read(sys.argv[2])
    meta = header.get("__metadata__", {})
    assert meta.get("vfc.checksum") == "crc32c", meta.get("vfc.checksum")
    ok = 0
    for name, entry in tensors(header).items():
        b, e = entry["data_offsets"]
        want = meta.get("crc32c." + name)
        got = "%08x" % crc32c(data[start + b:start + e])
        if want != got:
            print(f"tensor '{name}': stored {want}, computed {got}")
            sys.exit(1)
        ok += 1
    print(f"checksums match for {ok} of {len(tensors(header))} tensors")
elif cmd == "strip":
    header, data, start = read(sys.argv[2])
    meta = header.get("__metadata__", {})
    header["__metadata__"] = {k: v for k, v in meta.items() if not (k == "vfc.checksum" or k.startswith("crc32c."))}
    write(sys.argv[2], header, data, start)
    print("stripped")
elif cmd == "aside":
    found = glob.glob(os.path.join(sys.argv[2], "aside-*", sys.argv[3]))
    if len(found) != 1:
        print(f"expected one aside copy of {sys.argv[3]}, found {found}")
        sys.exit(1)
    same = open(found[0], "rb").read() == open(sys.argv[4], "rb").read()
    print("kept aside unchanged" if same else "aside copy differs")
    sys.exit(0 if same else 1)
elif cmd == "snapshot":
    root = sys.argv[2]
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for f in sorted(filenames):
            if f == ".lock":
                continue
            p = os.path.join(dirpath, f)
            print(os.path.relpath(p, root), os.path.getsize(p), hashlib.sha256(open(p, "rb").read()).hexdigest())
elif cmd == "lines":
    print(sum(1 for line in open(sys.argv[2]) if line.strip()))
else:
    sys.exit(f"unknown command {cmd}")
