import ArgumentParser
import Foundation
import VFCIR
import VFCPasses
import VFCTensor

/// `vfc fuzz` (hidden): mutation fuzzing of the front end in one process. Every input is a
/// corpus file (.ir) with a few random mutations; it must parse, verify and pass the
/// cleanup and autodiff pipelines, or fail with located diagnostics. A crash kills the
/// process (the test fails); any other failure is printed with the input that caused it,
/// saved under --crash-dir. Deterministic: the same corpus, seed and count give the same
/// inputs (the time limit only ends the run earlier).
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Mutation-fuzz the parser, verifier and passes over a corpus of .ir files.",
        shouldDisplay: false)

    @Argument(help: "Corpus files or directories (searched for .ir files).")
    var corpus: [String]

    @Option(help: "Seed of the mutations.")
    var seed: UInt64 = 1

    @Option(help: "The most inputs to try.")
    var count: Int = 1_000_000

    @Option(help: "Stop after this many seconds.")
    var seconds: Double = 60

    @Option(help: "Where to save inputs that failed (not written when none did).")
    var crashDir: String?

    func run() throws {
        try StandardOutput.refuse(crashDir, option: "--crash-dir", what: "a directory of failing inputs")
        let files = try FuzzCorpus.files(corpus)
        guard !files.isEmpty else { throw DriverError.noIRFiles(corpus) }
        let texts = files.map { [UInt8](FileManager.default.contents(atPath: $0) ?? Data()) }
        var rng = RNG(seed: seed)
        let start = Date()
        var tried = 0, accepted = 0, located = 0, failures = 0
        let pipeline = try PassRegistry.standard.parsePipeline("autodiff," + PassRegistry.cleanupPipeline)
        while tried < count, Date().timeIntervalSince(start) < seconds {
            let k = Int(rng.nextUInt64() % UInt64(texts.count))
            let input = FuzzMutator.mutate(texts[k], donor: texts[Int(rng.nextUInt64() % UInt64(texts.count))], &rng)
            tried += 1
            switch FuzzCorpus.check(input, pipeline) {
            case .accepted: accepted += 1
            case .located: located += 1
            case .unlocated(let why):
                failures += 1
                print("FAIL: input \(tried) (mutated \(files[k])): \(why)")
                if let dir = crashDir {
                    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                    _ = FileManager.default.createFile(atPath: "\(dir)/fuzz-\(seed)-\(tried).ir", contents: Data(input))
                }
            }
        }
        print("fuzz: files: \(files.count), inputs: \(tried), accepted: \(accepted), located errors: \(located), failures: \(failures)")
        if failures > 0 { throw ExitCode(1) }
    }
}

/// The corpus and the check of one input.
enum FuzzCorpus {
    enum Outcome { case accepted, located, unlocated(String) }

    /// The .ir files named or under the named directories, sorted (a stable corpus order).
    static func files(_ paths: [String]) throws -> [String] {
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw DriverError.noSuchPath(p) }
            if !isDir.boolValue { out.append(p); continue }
            let e = FileManager.default.enumerator(atPath: p)
            while let f = e?.nextObject() as? String {
                if f.hasSuffix(".ir") { out.append(p + "/" + f) }
            }
        }
        return out.sorted()
    }

    /// Decode, parse, verify and run `passes`; every error must carry a source location.
    static func check(_ input: [UInt8], _ passes: [any Pass]) -> Outcome {
        do {
            let text = try SourceText.decode(input, file: "fuzz.ir")
            var module = try Parser.parse(text, file: "fuzz.ir")
            try Verifier.run(&module)
            let pm = PassManager(passes: passes, output: { _ in })
            try pm.run(&module)
            return .accepted
        } catch {
            // Every stage throws DiagnosticError (typed throws), so this is the only case.
            if let d = error.diagnostics.first(where: { $0.loc.file != "fuzz.ir" || $0.loc.line < 1 || $0.loc.column < 1 }) {
                return .unlocated("unlocated diagnostic: \(d)")
            }
            return error.diagnostics.isEmpty ? .unlocated("an error without diagnostics") : .located
        }
    }
}

/// Byte- and line-level mutations of a source text.
enum FuzzMutator {
    /// Values that find overflow and size bugs where a number was.
    static let numbers = ["0", "-1", "1", "65", "4294967296", "2147483648", "-2147483648", "9223372036854775807",
                          "99999999999999999999999", "1e308", "-1e308", "nan", "inf", "0.5", "64", "1000000000"]
    static let tokens = ["%", "@", "{", "}", "[", "]", "(", ")", ",", ":", "=", "*", "->", "\n", "//", " ", "f32", "i1",
                         "call", "value_and_grad", "return", "func", "param", "N", "aliases", "\u{FF}", "é"]

    static func mutate(_ text: [UInt8], donor: [UInt8], _ rng: inout RNG) -> [UInt8] {
        var t = text
        let n = 1 + Int(rng.nextUInt64() % 4)
        for _ in 0..<n { step(&t, donor, &rng) }
        return t
    }

    static func step(_ t: inout [UInt8], _ donor: [UInt8], _ rng: inout RNG) {
        func pick(_ n: Int) -> Int { n <= 0 ? 0 : Int(rng.nextUInt64() % UInt64(n)) }
        let at = pick(t.count + 1)
        switch pick(8) {
        case 0: if at < t.count { t[at] = UInt8(truncatingIfNeeded: rng.nextUInt64()) }
        case 1: t.insert(contentsOf: Array(tokens[pick(tokens.count)].utf8), at: at)
        case 2: t.removeSubrange(at..<min(t.count, at + 1 + pick(40)))
        case 3:  // a number replaced by an extreme one
            var s = at
            while s < t.count, !(48...57).contains(t[s]) { s += 1 }
            var e = s
            while e < t.count, (48...57).contains(t[e]) || t[e] == 46 { e += 1 }
            t.replaceSubrange(s..<e, with: Array(numbers[pick(numbers.count)].utf8))
        case 4:  // a line duplicated
            let lines = t.split(separator: 10, omittingEmptySubsequences: false)
            let l = pick(lines.count)
            t = Array(lines[...l].joined(separator: [10])) + [10] + Array(lines[l...].joined(separator: [10]))
        case 5:  // a line deleted
            var lines = t.split(separator: 10, omittingEmptySubsequences: false)
            if !lines.isEmpty { lines.remove(at: pick(lines.count)) }
            t = Array(lines.joined(separator: [10]))
        case 6:  // a line of another file spliced in
            let lines = donor.split(separator: 10, omittingEmptySubsequences: false)
            if !lines.isEmpty { t.insert(contentsOf: Array(lines[pick(lines.count)]) + [10], at: at) }
        default: t.removeSubrange(at..<t.count)
        }
    }
}
