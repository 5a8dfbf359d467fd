#!/usr/bin/env python3
"""An independent reader of TensorBoard event files, standard library only.

Parses the TFRecord framing (checking both masked CRC-32Cs of every record, with a
CRC-32C written here bit by bit, independent of vfc's table-driven one), decodes each
Event protobuf by hand (wall_time, step, file_version, summary values with tag and
simple_value) and prints one line per event:

    file_version brain.Event:2 step=0
    step=3 loss=2.5 lr=0.001

Usage: read_tfevents.py FILE_OR_DIR [--expect-steps N] [--expect-tags a,b,c]
Exits 1 with a message on any malformation or unmet expectation.
"""
import os
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def fail(msg):
    print("read_tfevents: error: " + msg, file=sys.stderr)
    sys.exit(1)


def records(blob, name):
    i = 0
    while i < len(blob):
        if len(blob) - i < 12:
            fail("%s: truncated record header at byte %d" % (name, i))
        (length,) = struct.unpack_from("<Q", blob, i)
        (length_crc,) = struct.unpack_from("<I", blob, i + 8)
        if length_crc != masked(blob[i:i + 8]):
            fail("%s: length CRC mismatch at byte %d" % (name, i))
        start = i + 12
        end = start + length
        if end + 4 > len(blob):
            fail("%s: truncated record data at byte %d" % (name, i))
        (data_crc,) = struct.unpack_from("<I", blob, end)
        if data_crc != masked(blob[start:end]):
            fail("%s: data CRC mismatch at byte %d" % (name, i))
        yield blob[start:end]
        i = end + 4


def varint(buf, i):
    value = shift = 0
    while True:
        if i >= len(buf):
            fail("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7
        if shift >= 70:
            fail("varint too long")


def fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value = buf[i:i + 8]
            i += 8
        elif wire == 5:
            value = buf[i:i + 4]
            i += 4
        elif wire == 2:
            n, i = varint(buf, i)
            value = buf[i:i + n]
            i += n
        else:
            fail("unsupported wire type %d" % wire)
        if i > len(buf):
            fail("field %d runs past the message" % field)
        yield field, wire, value


def decode_event(data):
    event = {"wall_time": 0.0, "step": 0, "file_version": None, "values": []}
    for field, wire, value in fields(data):
        if field == 1 and wire == 1:
            (event["wall_time"],) = struct.unpack("<d", value)
        elif field == 2 and wire == 0:
            event["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif field == 3 and wire == 2:
            event["file_version"] = value.decode("utf-8")
        elif field == 5 and wire == 2:
            for sfield, swire, svalue in fields(value):
                if sfield != 1 or swire != 2:
                    continue
                tag, simple = None, None
                for vfield, vwire, vvalue in fields(svalue):
                    if vfield == 1 and vwire == 2:
                        tag = vvalue.decode("utf-8")
                    elif vfield == 2 and vwire == 5:
                        (simple,) = struct.unpack("<f", vvalue)
                if tag is None or simple is None:
                    fail("summary value without tag or simple_value")
                event["values"].append((tag, simple))
    return event


def main():
    args = sys.argv[1:]
    if not args:
        fail("usage: read_tfevents.py FILE_OR_DIR [--expect-steps N] [--expect-tags a,b]")
    path = args[0]
    expect_steps = expect_tags = None
    if "--expect-steps" in args:
        expect_steps = int(args[args.index("--expect-steps") + 1])
    if "--expect-tags" in args:
        expect_tags = sorted(args[args.index("--expect-tags") + 1].split(","))
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if "tfevents" in f)
        if not files:
            fail("no event files in " + path)
    else:
        files = [path]
    tags, steps = set(), []
    for name in files:
        with open(name, "rb") as f:
            blob = f.read()
        events = [decode_event(r) for r in records(blob, name)]
        if not events or events[0]["file_version"] != "brain.Event:2":
            fail("%s: the first event does not carry file_version brain.Event:2" % name)
        for e in events:
            if e["file_version"] is not None:
                print("file_version %s step=%d" % (e["file_version"], e["step"]))
                continue
            steps.append(e["step"])
            tags.update(t for t, _ in e["values"])
            print("step=%d " % e["step"] + " ".join("%s=%.9g" % tv for tv in e["values"]))
    print("events=%d tags=%s" % (len(steps), ",".join(sorted(tags))))
    if expect_steps is not None and len(steps) != expect_steps:
        fail("expected %d step events, found %d" % (expect_steps, len(steps)))
    if expect_tags is not None and sorted(tags) != expect_tags:
        fail("expected tags %s, found %s" % (",".join(expect_tags), ",".join(sorted(tags))))
    if len(set(steps)) != len(steps):
        fail("duplicate steps")


if __name__ == "__main__":
    main()
