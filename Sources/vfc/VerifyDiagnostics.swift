import VFCIR

/// MLIR-style `--verify-diagnostics`: comments `// expected-error {{text}}` (same line) or
/// `// expected-error@+N {{text}}` / `@-N` (another line) must match the produced errors
/// exactly: each error on its line with a message containing the text, nothing extra.
struct DiagnosticExpectations {
    struct Expected {
        var line: Int
        var text: String
        var commentLine: Int
        var matched = false
    }

    var expected: [Expected] = []

    init(source: String) {
        for (i, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = Substring(line)
            while let r = rest.range(of: "expected-error") {
                rest = rest[r.upperBound...]
                var offset = 0
                if rest.first == "@" {
                    let digits = rest.dropFirst().prefix { "+-0123456789".contains($0) }
                    offset = Int(digits) ?? 0
                    rest = rest.dropFirst(1 + digits.count)
                }
                guard let open = rest.range(of: "{{"), let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else { break }
                expected.append(Expected(line: i + 1 + offset, text: String(rest[open.upperBound..<close.lowerBound]), commentLine: i + 1))
                rest = rest[close.upperBound...]
            }
        }
    }

    /// Matches `produced` against the expectations; returns the failures as messages.
    mutating func check(_ produced: [Diagnostic], file: String) -> [String] {
        var failures: [String] = []
        for d in produced {
            if let k = expected.indices.first(where: { !expected[$0].matched && expected[$0].line == d.loc.line && d.message.contains(expected[$0].text) }) {
                expected[k].matched = true
            } else {
                failures.append("\(d.loc): error: unexpected error: \(d.message)")
            }
        }
        for e in expected where !e.matched {
            failures.append("\(file):\(e.commentLine):1: error: expected error not produced on line \(e.line): \(e.text)")
        }
        return failures
    }
}
