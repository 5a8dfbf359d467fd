/// Source files are UTF-8. Decoding them with replacement would turn every invalid byte
/// into U+FFFD and the lexer would then report that character's first byte (0xef) at the
/// wrong column; this checks the bytes first and names the ones that are wrong.
public enum SourceText {
    /// The text of `bytes`, or a located error at the first byte that is not valid UTF-8
    /// (columns count bytes, as the lexer's do), or at an earlier lexical error.
    public static func decode(_ bytes: [UInt8], file: String) throws(DiagnosticError) -> String {
        var line = 1, lineStart = 0, i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c < 0x80 {
                if c == 10 { line += 1; lineStart = i + 1 }
                i += 1
                continue
            }
            let n = validSequenceLength(bytes, i)
            if n == 0 {
                // A lexical error before the bad byte comes first, as it would in a valid file.
                var lexer = Lexer(text: String(decoding: bytes[..<i], as: UTF8.self), file: file)
                _ = try lexer.tokenize()
                let loc = SourceLoc(file: file, line: line, column: i - lineStart + 1)
                throw DiagnosticError(loc, .parse(.invalidUTF8(invalidPrefix(bytes, i))))
            }
            i += n
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The length of the well-formed UTF-8 sequence starting at `i` (a lead byte >= 0x80),
    /// or 0 (Unicode's table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
    static func validSequenceLength(_ b: [UInt8], _ i: Int) -> Int {
        let c = b[i]
        let n: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: n = 2
        case 0xE0: n = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: n = 3
        case 0xED: n = 3; hi = 0x9F
        case 0xF0: n = 4; lo = 0x90
        case 0xF1...0xF3: n = 4
        case 0xF4: n = 4; hi = 0x8F
        default: return 0
        }
        guard i + n <= b.count else { return 0 }
        guard b[i + 1] >= lo, b[i + 1] <= hi else { return 0 }
        for k in 2..<max(n, 2) where !(0x80...0xBF).contains(b[i + k]) { return 0 }
        return n
    }

    /// The bytes an error names: the lead byte and the continuation bytes that follow it
    /// (a truncated sequence shows all of its bytes), at most four.
    static func invalidPrefix(_ b: [UInt8], _ i: Int) -> [UInt8] {
        var out = [b[i]]
        var k = i + 1
        let lead = b[i]
        if lead >= 0xC2, lead <= 0xF4 {
            while k < b.count, out.count < 4, (0x80...0xBF).contains(b[k]) { out.append(b[k]); k += 1 }
        }
        return out
    }

    static func hex(_ x: UInt8) -> String {
        let s = String(x, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}
