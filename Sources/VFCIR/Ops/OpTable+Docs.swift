extension OpCode {
    /// The op table of docs/IR.md, one row per op, generated from the declarations (a
    /// test checks that the document holds exactly this text between its markers).
    public static func markdownTable() -> String {
        func cell(_ s: String) -> String { s.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|") }
        var lines = ["| op | syntax | operands | attributes | family | traits | gradient through | what it computes |",
                     "|---|---|---|---|---|---|---|---|"]
        for family in OpFamily.allCases {
            for code in allCases where code.info.family == family {
                let i = code.info
                let attributes = i.attributes.map { "`\($0)`" }.joined(separator: ", ")
                let traits = i.traits.names.joined(separator: ", ")
                lines.append("| `\(i.name)` | `\(cell(i.syntax))` | \(i.operands) | \(cell(attributes)) | \(family.rawValue) | \(traits) | \(i.differentiable) | \(cell(i.doc)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
