import Foundation

/// The repository root, found from this file's path (Tests/VFCTestSupport/Repository.swift).
public func repositoryRoot(_ file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}

/// The text of a file of the repository, by its path from the root (`IR/vit_block.ir`).
public func repoFile(_ relative: String) throws -> String {
    try String(contentsOf: URL(fileURLWithPath: repositoryRoot()).appendingPathComponent(relative), encoding: .utf8)
}

/// Runs a program; returns its exit status and its stdout and stderr together.
public func runProcess(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
