import Foundation

/// A path a command reads or writes, with the option that named it (for messages).
struct NamedPath {
    var option: String
    var path: String?

    init(_ option: String, _ path: String?) {
        self.option = option
        self.path = path
    }
}

/// Refuses outputs that would destroy an input or each other: an output path that
/// resolves (symlinks and `..` followed, by device and inode) to the same file as an
/// input, or two outputs that name one file. Standard streams (`-`) are not files here.
func checkOutputs(_ outputs: [NamedPath], inputs: [NamedPath]) throws {
    let ins = inputs.compactMap { named in named.path.flatMap { $0 == "-" ? nil : $0 }.map { (named, fileIdentity($0)) } }
    var seen: [(NamedPath, String)] = []
    for out in outputs {
        guard let path = out.path, path != "-" else { continue }
        if let id = fileIdentity(path), let (input, _) = ins.first(where: { $0.1 == id }) {
            throw DriverError.outputIsInput(option: out.option, path: path, inputOption: input.option, inputPath: input.path!)
        }
        let canonical = canonicalPath(path)
        if let (other, _) = seen.first(where: { $0.1 == canonical }) {
            throw DriverError.sameOutput(option: out.option, path: path, otherOption: other.option, otherPath: other.path!)
        }
        seen.append((out, canonical))
    }
}

/// (device, inode) of the file `path` names, symlinks followed; nil when it does not exist.
private func fileIdentity(_ path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return "\(info.st_dev):\(info.st_ino)"
}

/// An absolute path with `.`, `..` and symlinks of the existing part resolved, for
/// comparing outputs that do not exist yet.
private func canonicalPath(_ path: String) -> String {
    let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return URL(fileURLWithPath: absolute).standardizedFileURL.resolvingSymlinksInPath().path
}
