import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The recursive walk of an image folder: every .jpg / .jpeg / .png (any letter case)
/// under the root, following symlinked files and directories. A symlinked directory that
/// is its own ancestor (a loop), a dangling symlink, a symlink chain that loops, and a
/// directory that cannot be listed are each reported through `skip` (and not entered)
/// instead of hanging or being dropped silently.
enum FolderScan {
    struct Found { var paths: [String]; var skipped: [SkippedImage] }

    /// Scans `root` (which must be a directory, or a symlink to one). Paths are
    /// `root/relative/path`, sorted byte-wise (the same order on every machine).
    static func scan(root: String) throws -> Found {
        var st = stat()
        guard stat(root, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw DatasetError.notDirectory(root)
        }
        var found = Found(paths: [], skipped: [])
        walk(root, identity: FileIdentity(st), ancestors: [], into: &found)
        found.paths.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        found.skipped.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        return found
    }

    /// A file's device and inode: how a loop is recognised.
    struct FileIdentity: Hashable {
        var device: UInt64, inode: UInt64
        init(_ st: stat) { device = UInt64(st.st_dev); inode = UInt64(st.st_ino) }
    }

    private static func walk(_ dir: String, identity: FileIdentity, ancestors: Set<FileIdentity>, into found: inout Found) {
        guard let handle = opendir(dir) else {
            found.skipped.append(SkippedImage(path: dir, reason: .directoryUnreadable(errno: errno)))
            return
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        let inside = ancestors.union([identity])
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var link = stat()
            guard lstat(path, &link) == 0 else {
                found.skipped.append(SkippedImage(path: path, reason: .cannotStat(errno: errno)))
                continue
            }
            let isLink = (link.st_mode & S_IFMT) == S_IFLNK
            var st = link
            if isLink && stat(path, &st) != 0 {
                found.skipped.append(SkippedImage(path: path, reason: .brokenSymlink(errno: errno)))
                continue
            }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                let id = FileIdentity(st)
                if inside.contains(id) {
                    found.skipped.append(SkippedImage(path: path, reason: .directoryLoop))
                } else {
                    walk(path, identity: id, ancestors: inside, into: &found)
                }
            case S_IFREG:
                if ImageDecoding.extensions.contains((name as NSString).pathExtension.lowercased()) {
                    found.paths.append(path)
                }
            default:
                continue  // sockets, FIFOs, devices: never images
            }
        }
    }
}
