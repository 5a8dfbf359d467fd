#if canImport(Glibc)
import Glibc
#endif

/// Why a file of the dataset was passed over: one case per failure, with the values its
/// warning names; `description` is the text after `skipping PATH: `.
public enum SkipReason: Error, Sendable, CustomStringConvertible {
    /// The image's bytes could not be read or decoded.
    case image(ImageCodecError)
    /// Reading the item failed with an error that is not an image error (its text).
    case unreadable(String)
    /// opendir(3) of a directory of the folder failed.
    case directoryUnreadable(errno: Int32)
    /// lstat(2) of an entry failed.
    case cannotStat(errno: Int32)
    /// A symlink whose target stat(2) cannot reach (dangling, looping or otherwise broken).
    case brokenSymlink(errno: Int32)
    /// A directory reached again through a symlink below itself.
    case directoryLoop
    /// A list file's line (`list`:`line`) names a directory.
    case listedDirectory(list: String, line: Int)
    /// A list file's line names no file.
    case listedMissing(list: String, line: Int)
    /// A tar shard truncated at byte `offset`; its first `kept` members are used.
    case truncatedShard(offset: Int, detail: TarTruncation, kept: Int)

    /// The reason for a failed read of an item: the image error's case when it is one.
    public init(reading error: any Error) {
        self = (error as? ImageCodecError).map(SkipReason.image) ?? .unreadable("\(error)")
    }

    public var description: String {
        switch self {
        case .image(let e): return e.message
        case .unreadable(let text): return text
        case .directoryUnreadable(let code): return "cannot read the directory: \(Self.text(code))"
        case .cannotStat(let code): return "cannot stat: \(Self.text(code))"
        case .brokenSymlink(let code):
            let why = code == ENOENT ? "dangling symlink" : code == ELOOP ? "symlink loop" : "broken symlink"
            return "\(why) (\(Self.text(code)))"
        case .directoryLoop: return "symlink loop: the directory contains itself; not followed"
        case let .listedDirectory(list, line): return "a directory, not an image (\(list):\(line))"
        case let .listedMissing(list, line): return "no such file (\(list):\(line))"
        case let .truncatedShard(offset, detail, kept):
            return "truncated tar shard at byte offset \(offset) (\(detail)); kept the \(kept) member(s) before it"
        }
    }

    private static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
}
