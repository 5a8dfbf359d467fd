import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// WebDataset-style tar shards: `dir/train-{000000..000146}.tar` (brace ranges, zero
/// padding kept) or one `.tar` file. Indexing reads only the 512-byte member headers
/// (ustar, GNU long names, pax `path`), not the data, plus each key's small `.cls` label
/// member. A shard that ends inside a header or a member, or without its end-of-archive
/// blocks, is truncated: an error naming the shard and the byte offset, or, with
/// `skipTruncated`, a warning that keeps the members complete before that offset.
enum TarShards {
    struct Index {
        var root: String
        var shards: [String]
        var entries: [DataEntry]
        var ranges: [Range<Int>]
        var skipped: [SkippedImage]
    }

    /// Whether `--data` names tar shards rather than a folder or a list file.
    static func isShardSpec(_ s: String) -> Bool {
        s.lowercased().hasSuffix(".tar") || (s.contains("{") && s.contains("..") && s.contains("}"))
    }

    /// Expands brace ranges `{lo..hi}` (decimal; the width of `lo` when it has leading
    /// zeros), left to right, in order.
    static func expand(_ spec: String) throws -> [String] {
        guard let open = spec.firstIndex(of: "{") else { return [spec] }
        guard let close = spec[open...].firstIndex(of: "}") else {
            throw DatasetError.unclosedBrace(spec)
        }
        let body = spec[spec.index(after: open)..<close]
        let parts = body.components(separatedBy: "..")
        guard parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, lo <= hi else {
            throw DatasetError.shardRange(spec, body: String(body))
        }
        guard hi - lo < 10_000_000 else { throw DatasetError.tooManyShards(spec, body: String(body)) }
        let width = parts[0].hasPrefix("0") ? parts[0].count : 0
        let head = String(spec[..<open]), rest = try expand(String(spec[spec.index(after: close)...]))
        var out: [String] = []
        for v in lo...hi {
            let digits = String(v)
            let padded = String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
            for r in rest { out.append(head + padded + r) }
        }
        return out
    }

    static func index(spec: String, skipTruncated: Bool) throws -> Index {
        let shards = try expand(spec)
        var index = Index(root: (shards[0] as NSString).deletingLastPathComponent, shards: shards, entries: [],
                          ranges: [], skipped: [])
        for (s, path) in shards.enumerated() {
            let start = index.entries.count
            let members: [Member]
            do {
                members = try readMembers(path: path)
            } catch let t as Truncated {
                guard skipTruncated else { throw DatasetError.truncatedShard(path, offset: t.offset, detail: t.detail) }
                index.skipped.append(SkippedImage(path: path, reason: .truncatedShard(offset: t.offset, detail: t.detail, kept: t.complete.count)))
                members = t.complete
            }
            try add(members, shard: s, path: path, to: &index)
            index.ranges.append(start..<index.entries.count)
        }
        return index
    }

    struct Member { var name: String; var offset: Int; var size: Int }

    struct Truncated: Error { var offset: Int; var detail: TarTruncation; var complete: [Member] }

    /// The regular-file members of a tar file, in file order.
    static func readMembers(path: String) throws -> [Member] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatasetError.unopenableShard(path, code: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw DatasetError.notRegularFile(path) }
        let fileSize = Int(st.st_size)
        var members: [Member] = []
        var offset = 0
        var longName: String?
        var header = [UInt8](repeating: 0, count: 512)
        while true {
            if offset + 512 > fileSize {
                throw Truncated(offset: Swift.min(offset, fileSize), detail: offset == fileSize
                                ? .noEndBlocks : .partialHeader(bytes: fileSize - offset), complete: members)
            }
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, 512, off_t(offset)) }
            guard n == 512 else { throw DatasetError.shardReadError(path, offset: offset) }
            if header.allSatisfy({ $0 == 0 }) { return members }  // end-of-archive
            guard checksumOK(header) else {
                throw DatasetError.corruptTarHeader(path, offset: offset)
            }
            let size = try field(header, 124, 12, path: path, offset: offset)
            let type = header[156]
            let dataStart = offset + 512
            let next = dataStart + (size + 511) / 512 * 512
            if next > fileSize {
                throw Truncated(offset: fileSize, detail: .memberPastEnd(offset: offset, size: size, padded: next - dataStart,
                                                                          left: fileSize - dataStart), complete: members)
            }
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"):
                let data = try FileBytes.readRange(fd: fd, offset: dataStart, count: Swift.min(size, 1 << 20), name: path)
                longName = type == UInt8(ascii: "L") ? cString(data[...]) : paxPath(data) ?? longName
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                var name = cString(header[0..<100])
                if header[257..<262].elementsEqual(Array("ustar".utf8)), header[345] != 0 {
                    name = cString(header[345..<500]) + "/" + name
                }
                members.append(Member(name: longName ?? name, offset: dataStart, size: size))
                longName = nil
            default:
                longName = nil  // directories, links, global headers: not samples
            }
            offset = next
        }
    }

    /// Groups members by key and appends one entry per key that has an image member.
    private static func add(_ members: [Member], shard: Int, path: String, to index: inout Index) throws {
        var order: [String] = []
        var images: [String: Member] = [:], labels: [String: Member] = [:]
        for m in members {
            let slash = m.name.lastIndex(of: "/").map { m.name.index(after: $0) } ?? m.name.startIndex
            guard let dot = m.name[slash...].firstIndex(of: ".") else { continue }
            let key = String(m.name[..<dot]), ext = m.name[m.name.index(after: dot)...].lowercased()
            if ImageDecoding.extensions.contains(ext), images[key] == nil {
                images[key] = m
                order.append(key)
            } else if ext == "cls" {
                labels[key] = m
            }
        }
        let shardName = (path as NSString).lastPathComponent
        for key in order {
            let m = images[key]!
            var label = -1
            if let l = labels[key], l.size <= 64 {
                let bytes = try FileBytes.read(path: path, offset: l.offset, count: l.size, name: "\(path)/\(l.name)")
                label = Int(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            }
            index.entries.append(DataEntry(name: "\(index.root.isEmpty ? "" : index.root + "/")\(shardName)/\(m.name)",
                                           location: .member(shard: shard, offset: m.offset, size: m.size), label: label))
        }
    }

    static func checksumOK(_ h: [UInt8]) -> Bool {
        let stored = cString(h[148..<156]).trimmingCharacters(in: .whitespaces)
        guard let want = Int(stored, radix: 8) else { return false }
        var sum = 0
        for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        return sum == want
    }

    /// A numeric header field: octal text, or GNU base-256 when the top bit is set.
    static func field(_ h: [UInt8], _ at: Int, _ len: Int, path: String, offset: Int) throws -> Int {
        if h[at] & 0x80 != 0 {
            var v = 0
            for b in h[(at + 1)..<(at + len)] {
                guard v < (1 << 54) else { throw DatasetError.tarSizeTooLarge(path, offset: offset) }
                v = v << 8 | Int(b)
            }
            return v
        }
        let text = cString(h[at..<(at + len)]).trimmingCharacters(in: .whitespaces)
        guard let v = Int(text.isEmpty ? "0" : text, radix: 8), v >= 0 else {
            throw DatasetError.badTarSize(path, text: text, offset: offset)
        }
        return v
    }

    static func cString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The `path` record of a pax extended header ("LEN path=VALUE\n" records).
    static func paxPath(_ data: [UInt8]) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        for record in text.split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let kv = record[record.index(after: space)...]
            if kv.hasPrefix("path=") { return String(kv.dropFirst(5)) }
        }
        return nil
    }
}

/// How a tar shard ends early.
public enum TarTruncation: Sendable, CustomStringConvertible {
    /// The members are whole but the two zero blocks that end an archive are missing.
    case noEndBlocks
    /// The file ends `bytes` into a 512-byte header.
    case partialHeader(bytes: Int)
    /// The member whose header is at `offset` needs `size` bytes, `padded` with
    /// padding, and only `left` follow its header.
    case memberPastEnd(offset: Int, size: Int, padded: Int, left: Int)

    public var description: String {
        switch self {
        case .noEndBlocks: return "no end-of-archive blocks"
        case .partialHeader(let n): return "a partial header of \(n) bytes"
        case let .memberPastEnd(offset, size, padded, left):
            return "member at byte offset \(offset) needs \(size) bytes and padding to \(padded), \(left) are left"
        }
    }
}
