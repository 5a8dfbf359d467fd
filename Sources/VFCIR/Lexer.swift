/// Token kinds of the vfc text format.
public enum TokenKind: Hashable, Sendable {
    /// `%name` (the text holds the name without `%`).
    case valueName
    /// `@name`.
    case symbolName
    /// A bare identifier: op names, keywords, dtypes, symbolic dims.
    case identifier
    /// An integer or floating-point literal, possibly negative.
    case number
    case lparen, rparen, lbracket, rbracket, lbrace, rbrace
    case comma, colon, equal, star, arrow
    case eof
}

/// One token with its text and the position of its first character.
public struct Token: Hashable, Sendable {
    public var kind: TokenKind
    public var text: String
    public var loc: SourceLoc
}

/// Splits source text into tokens. `//` starts a comment to the end of the line.
/// Works on UTF-8 bytes so that any input, valid or not, is scanned in linear time.
public struct Lexer {
    private let bytes: [UInt8]
    private let file: String
    private var pos = 0
    private var line = 1
    private var lineStart = 0

    public init(text: String, file: String) {
        bytes = Array(text.utf8)
        self.file = file
    }

    private static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

    /// Characters of `%`/`@` names: letters, digits, `_`, `.` (`@blocks.0.norm1.weight`).
    private static func isNameChar(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) || c == 46 }

    private var loc: SourceLoc { SourceLoc(file: file, line: line, column: pos - lineStart + 1) }

    /// All tokens, ending with `.eof`, or the first lexical error.
    public mutating func tokenize() throws(DiagnosticError) -> [Token] {
        var tokens: [Token] = []
        while true {
            let t = try next()
            tokens.append(t)
            if t.kind == .eof { return tokens }
        }
    }

    private mutating func skipTrivia() {
        while pos < bytes.count {
            let c = bytes[pos]
            if c == 10 {
                pos += 1
                line += 1
                lineStart = pos
            } else if c == 32 || c == 9 || c == 13 {
                pos += 1
            } else if c == 47, pos + 1 < bytes.count, bytes[pos + 1] == 47 {
                while pos < bytes.count, bytes[pos] != 10 { pos += 1 }
            } else {
                return
            }
        }
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private mutating func next() throws(DiagnosticError) -> Token {
        skipTrivia()
        let start = loc
        guard pos < bytes.count else { return Token(kind: .eof, text: "", loc: start) }
        let c = bytes[pos]
        let single: [UInt8: TokenKind] = [
            40: .lparen, 41: .rparen, 91: .lbracket, 93: .rbracket, 123: .lbrace, 125: .rbrace,
            44: .comma, 58: .colon, 61: .equal, 42: .star,
        ]
        if let k = single[c] {
            pos += 1
            return Token(kind: k, text: text(pos - 1, pos), loc: start)
        }
        if c == 45, pos + 1 < bytes.count, bytes[pos + 1] == 62 {
            pos += 2
            return Token(kind: .arrow, text: "->", loc: start)
        }
        if c == 37 || c == 64 {
            let begin = pos + 1
            pos += 1
            while pos < bytes.count, Lexer.isNameChar(bytes[pos]) { pos += 1 }
            if pos == begin {
                throw DiagnosticError(start, .parse(.missingName(sigil: c == 37 ? .value : .symbol)))
            }
            return Token(kind: c == 37 ? .valueName : .symbolName, text: text(begin, pos), loc: start)
        }
        if Lexer.isIdentStart(c) {
            let begin = pos
            while pos < bytes.count, Lexer.isIdentStart(bytes[pos]) || Lexer.isDigit(bytes[pos]) { pos += 1 }
            return Token(kind: .identifier, text: text(begin, pos), loc: start)
        }
        if Lexer.isDigit(c) || ((c == 45 || c == 43) && pos + 1 < bytes.count && (Lexer.isDigit(bytes[pos + 1]) || bytes[pos + 1] == 46)) || c == 46 {
            return try number(start)
        }
        let found: ParseError.Unexpected
        if c >= 32 && c < 127 {
            found = .ascii(Character(UnicodeScalar(c)))
        } else if c >= 0x80, case let n = SourceText.validSequenceLength(bytes, pos), n > 0,
                  let scalar = String(decoding: bytes[pos..<pos + n], as: UTF8.self).unicodeScalars.first {
            found = .scalar(scalar)
        } else {
            found = .byte(c)
        }
        throw DiagnosticError(start, .parse(.unexpectedCharacter(found)))
    }

    private mutating func number(_ start: SourceLoc) throws(DiagnosticError) -> Token {
        let begin = pos
        if bytes[pos] == 45 || bytes[pos] == 43 { pos += 1 }
        while pos < bytes.count, Lexer.isDigit(bytes[pos]) { pos += 1 }
        if pos < bytes.count, bytes[pos] == 46 {
            pos += 1
            while pos < bytes.count, Lexer.isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == 101 || bytes[pos] == 69 {
            pos += 1
            if pos < bytes.count, bytes[pos] == 45 || bytes[pos] == 43 { pos += 1 }
            while pos < bytes.count, Lexer.isDigit(bytes[pos]) { pos += 1 }
        }
        let t = text(begin, pos)
        guard Double(t) != nil else { throw DiagnosticError(start, .parse(.malformedNumber(t))) }
        return Token(kind: .number, text: t, loc: start)
    }
}
