import ArgumentParser
import Foundation
import VFCIR
import VFCPasses
import VFCRun

/// The compiler-debugging flags every command that runs a pass pipeline shares
/// (`vfc opt`, `vfc compile`, `vfc step`, `vfc train`): `@OptionGroup var debug: PassDebugOptions`,
/// then `try debug.passManager(pipeline)` builds the configured `PassManager`.
struct PassDebugOptions: ParsableArguments {
    @Flag(name: .customLong("print-ir-after-all"), help: "Print the module to stderr after every pass.")
    var printIRAfterAll = false

    @Option(name: .customLong("print-ir-after"), parsing: .singleValue,
            help: ArgumentHelp("Print the module to stderr after the named pass (repeatable, or a,b).", valueName: "pass"))
    var printIRAfter: [String] = []

    @Option(name: .customLong("dump-dir"),
            help: ArgumentHelp("Write the module before the first pass and after each pass to DIR, one numbered file per step (00-input.ir, 01-inline.ir, ...); crash reproducers go there too.", valueName: "DIR"))
    var dumpDir: String?

    @Flag(help: "Print the wall time of each pass to stderr.")
    var timePasses = false

    @Option(name: .customLong("disable-passes"), parsing: .singleValue,
            help: ArgumentHelp("Remove the named passes from the pipeline (repeatable, or a,b), e.g. to compare fused and unfused code.", valueName: "a,b"))
    var disablePasses: [String] = []

    @Flag(inversion: .prefixedNo, help: "Run the verifier after every pass.")
    var verifyEach = true

    @Flag(name: .customLong("debug-fusion"), help: "Print every producer/consumer pair the fuse-* passes leave unfused, and why (stderr).")
    var debugFusion = false

    /// Whether any flag asks for more than the default pipeline does.
    var isSet: Bool {
        printIRAfterAll || !printIRAfter.isEmpty || dumpDir != nil || timePasses || !disablePasses.isEmpty || debugFusion
    }

    /// The codegen pipeline with these flags (`vfc step`, `vfc train`), or nil when none is
    /// set, so that a plain run keeps the JIT's cheaper default (one verification after the
    /// last pass); a debugging run verifies after every pass unless --no-verify-each.
    func codegenPassManager() throws -> PassManager? {
        guard isSet else { return nil }
        var pm = try passManager(PassRegistry.codegenPipeline)
        pm.verifyResult = true
        return pm
    }

    /// The names of a repeatable, comma-separable option, in order, without blanks.
    static func names(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A pass manager for `pipeline` (text, resolved in `registry`) with these flags applied:
    /// disabled passes removed, dumps and timings to stderr, numbered files and crash
    /// reproducers written to `--dump-dir` (reproducers to the temporary directory without it).
    func passManager(_ pipeline: String, registry standard: PassRegistry = .standard) throws -> PassManager {
        let registry = debugFusion ? standard.explainingFusion { printError($0) } : standard
        let disabled = Self.names(disablePasses)
        for name in disabled where registry.pass(named: name) == nil {
            throw DriverError.unknownPass(name, known: registry.names)
        }
        let passes = try registry.removing(disabled, from: registry.parsePipeline(pipeline))
        var pm = PassManager(passes: passes, verifyEach: verifyEach, printAfterAll: printIRAfterAll,
                             printAfter: Set(Self.names(printIRAfter)), timePasses: timePasses)
        pm.output = { printError($0) }
        if let dir = dumpDir {
            try StandardOutput.refuse(dir, option: "--dump-dir", what: "a directory of numbered .ir files")
            try Self.makeDirectory(dir)
            let width = max(2, String(passes.count).count)
            pm.observer = { step, name, module in
                var number = String(step)
                while number.count < width { number = "0" + number }
                let path = (dir as NSString).appendingPathComponent("\(number)-\(name).ir")
                let header = step == 0 ? "// vfc --dump-dir: the input, verified\n"
                    : "// vfc --dump-dir: after \(name) (pass \(step) of \(passes.count))\n"
                // A dump that cannot be written must not hide the compiler's own result.
                if (try? (header + Printer.print(module)).write(toFile: path, atomically: true, encoding: .utf8)) == nil {
                    printError("vfc: warning: cannot write \(path)")
                }
            }
        }
        let reproducerDir = dumpDir
        pm.reproducer = { report in
            let name = reproducerDir == nil ? "vfc-reproducer-\(report.pass)-\(getpid()).ir" : "vfc-reproducer-\(report.pass).ir"
            let path = ((reproducerDir ?? NSTemporaryDirectory()) as NSString).appendingPathComponent(name)
            guard (try? report.text(file: path).write(toFile: path, atomically: true, encoding: .utf8)) != nil else { return nil }
            return path
        }
        return pm
    }

    /// Creates the dump directory, or empties it of an earlier run's numbered dumps (so
    /// that every `NN-pass.ir` file there comes from this run; other files are left alone).
    private static func makeDirectory(_ dir: String) throws {
        let fm = FileManager.default
        do {
            try RunFiles.createDirectory(dir)
        } catch {
            throw DriverError.about("--dump-dir", error)
        }
        for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where isDump(name) {
            try? fm.removeItem(atPath: (dir as NSString).appendingPathComponent(name))
        }
    }

    /// `00-input.ir`, `12-cse.ir`: digits, a dash, a name, `.ir`.
    static func isDump(_ name: String) -> Bool {
        let digits = name.prefix { $0.isASCII && $0.isNumber }
        return digits.count >= 2 && name.dropFirst(digits.count).hasPrefix("-") && name.hasSuffix(".ir")
            && !name.hasPrefix("vfc-reproducer")
    }
}
