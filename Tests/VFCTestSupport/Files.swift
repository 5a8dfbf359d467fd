import Foundation

/// A fresh empty directory under $TMPDIR (mkdtemp: unique even across parallel test
/// processes), removed by the caller with `removeTree`.
public func makeTempDirectory(_ label: String = "vfc-test") -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array("\(base)/\(label)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
        guard mkdtemp(buffer.baseAddress!) != nil else { return nil }
        return String(cString: buffer.baseAddress!)
    }
    guard let made else { preconditionFailure("mkdtemp failed in \(base)") }
    return made
}

/// Removes a file or directory tree, ignoring a missing one.
public func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Writes `bytes` to `path`, creating its parent directories; a failure stops the test run
/// (the test's set-up, not what it checks, went wrong).
public func writeBytes(_ bytes: [UInt8], to path: String) {
    try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                             withIntermediateDirectories: true)
    try! Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The bytes of a file, empty when it cannot be read.
public func fileBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

/// The names in a directory, sorted; empty when it cannot be listed.
public func listing(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
}
