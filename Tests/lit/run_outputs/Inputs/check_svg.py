#!/usr/bin/env python3
"""Parses an SVG as XML (xml.etree) and prints what a person would see: the size, the
title, every text element in document order, and the number of polylines.

Usage: check_svg.py FILE
"""
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def main():
    root = ET.parse(sys.argv[1]).getroot()
    if root.tag != NS + "svg":
        print("check_svg: error: root element is %s" % root.tag, file=sys.stderr)
        sys.exit(1)
    print("svg %sx%s" % (root.get("width"), root.get("height")))
    title = root.find(NS + "title")
    print("title: %s" % (title.text if title is not None else ""))
    for t in root.iter(NS + "text"):
        print("text: %s" % t.text)
    lines = list(root.iter(NS + "polyline"))
    for p in lines:
        pts = p.get("points").split()
        for pt in pts:
            x, y = pt.split(",")
            float(x), float(y)
    print("polylines=%d" % len(lines))


if __name__ == "__main__":
    main()
