import Foundation

/// A text file listing a dataset's images (`--data train.txt`): one path per line,
/// relative to the list file's directory unless absolute, optionally followed by a tab and
/// an integer class label. Blank lines and lines starting with `#` are ignored. A listed
/// path that is not a regular file is skipped (with a warning), as unreadable images are.
enum ListFile {
    struct Listing { var root: String; var entries: [DataEntry]; var skipped: [SkippedImage] }

    static func read(path: String) throws -> Listing {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path: path) } catch let e as ImageCodecError {
            throw DatasetError.unreadableList(path, underlying: e)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw DatasetError.notTextList(path)
        }
        let root = (path as NSString).deletingLastPathComponent
        var listing = Listing(root: root, entries: [], skipped: [])
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count <= 2 else {
                throw DatasetError.listFields(path: path, line: n + 1, fields: fields.count)
            }
            var label = -1
            if fields.count == 2 {
                guard let l = Int(fields[1].trimmingCharacters(in: .whitespaces)), l >= 0 else {
                    throw DatasetError.listLabel(path: path, line: n + 1, column: fields[0].count + 2, text: String(fields[1]))
                }
                label = l
            }
            let name = String(fields[0])
            let full = name.hasPrefix("/") || root.isEmpty ? name : root + "/" + name
            var isDir: ObjCBool = false
            if !FileManager.default.fileExists(atPath: full, isDirectory: &isDir) || isDir.boolValue {
                listing.skipped.append(SkippedImage(path: full, reason: isDir.boolValue ? .listedDirectory(list: path, line: n + 1)
                                                                                  : .listedMissing(list: path, line: n + 1)))
                continue
            }
            listing.entries.append(DataEntry(name: full, location: .file, label: label))
        }
        return listing
    }
}
