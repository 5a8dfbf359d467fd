/// Wall time of each phase of a compile (`vfc compile --time-passes`, `vfc step -v`):
/// where a cold compile goes between the IR passes, lowering to LLVM IR, LLVM's optimiser
/// and machine-code generation.
public struct CompilePhases: Sendable {
    /// The phases in the order they ran, each with its seconds.
    public private(set) var rows: [(name: String, seconds: Double)] = []

    public init() {}

    /// Runs `body` and records its wall time under `name`.
    mutating func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer {
            let d = (clock.now - start).components
            rows.append((name, Double(d.seconds) + Double(d.attoseconds) * 1e-18))
        }
        return try body()
    }

    /// The seconds of all phases together.
    public var total: Double { rows.reduce(0) { $0 + $1.seconds } }

    /// `name 1.234 s` for each phase, comma-separated (one line).
    public var summary: String {
        rows.map { "\($0.name) \(Self.format($0.seconds)) s" }.joined(separator: ", ")
    }

    /// A table like `--time-passes`' (seconds and share of the total, one phase per row).
    public var report: String {
        let total = max(self.total, 1e-12)
        var out = "   ----Wall Time----  ----Code generation----\n"
        for (name, s) in rows {
            out += "  \(Self.pad(Self.format(s, decimals: 4), 9)) (\(Self.pad(Self.format(100 * s / total, decimals: 1), 5))%)  \(name)\n"
        }
        out += "  \(Self.pad(Self.format(total, decimals: 4), 9)) (100.0%)  Total\n"
        return out
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }

    /// Fixed-point text without Foundation's locale-dependent formatting.
    static func format(_ x: Double, decimals: Int = 3) -> String {
        var scale = 1
        for _ in 0..<decimals { scale *= 10 }
        let n = Int((x * Double(scale)).rounded())
        var frac = String(n % scale)
        while frac.count < decimals { frac = "0" + frac }
        return String(n / scale) + "." + frac
    }
}
