/// Why the lexer or parser rejected its input: one case per failure, carrying the values
/// the message names. The location is the diagnostic's (`Diagnostic.Message.parse`); the
/// text is in ParseError+Description.swift.
public enum ParseError: Error, Hashable, Sendable {
    // MARK: lexer

    /// A `%` or `@` not followed by a name.
    case missingName(sigil: Sigil)
    /// A character no token starts with.
    case unexpectedCharacter(Unexpected)
    /// A number-like token that does not read as a number (`1e`, `.`).
    case malformedNumber(String)
    /// Bytes that are not UTF-8 (the ill-formed sequence starting at the error).
    case invalidUTF8([UInt8])

    // MARK: structure

    /// `expect` did not find the token kind it needed; `what` says it in words.
    case expectedToken(TokenKind, what: String, found: Found)
    /// `fused(KIND)` not followed by `func`.
    case expectedFuncAfterFused(FusionKind?, found: Found)
    /// Neither `param` nor `func` (nor `fused`) at module level.
    case expectedDeclaration(found: Found)
    case expectedDimension(found: Found)
    /// What follows `aliases` is neither `%arg` nor `@param`.
    case expectedAliasTarget(found: Found)
    case expectedOperand(found: Found)
    case expectedAttributeValue(found: Found)
    /// End of file inside function `@name`.
    case unclosedFunction(String)
    case returnNotLast(function: String)
    case missingReturn(function: String)

    // MARK: names

    /// A second `param` or `func` named `@name`.
    case redefinedSymbol(String, firstDefinedAt: SourceLoc)
    /// A second `%name` in one function.
    case redefinedValue(String)
    case undefinedValue(String)
    /// `aliases %name` where `%name` is not an argument.
    case aliasOfUnknownArgument(String)
    case unknownOp(String)
    case unknownInitializer(String)
    case unknownDType(String)
    case unknownFusionKind(String)
    /// `OP: n result(s) but m type(s) given`.
    case resultTypeCount(op: String, results: Int, types: Int)

    // MARK: values and limits

    case numberOutOfRange(String)
    case integerOutOfRange(String)
    /// `uniform(lo, hi)` with `lo >= hi`.
    case uniformBounds(lo: Double, hi: Double)
    /// `normal(std)` / `trunc_normal(std)` with a negative or non-finite std.
    case invalidStd(initializer: String, std: Double)
    case rankOverLimit(limit: Int)
    case elementsOverLimit(TensorType, count: Int, limit: Int)
    case elementsUncountable(TensorType)
    /// A product of dims that overflows.
    case dimensionOverflow
    /// A dim written as a negative or non-integer number.
    case invalidDimension(String)
    case dimensionOverLimit(String, limit: Int)
    case attributesNestTooDeeply
    case attributeListTooLong
    case duplicateAttribute(String)
    /// An attribute of op `op` that its syntax rejects.
    case attribute(op: String, AttributeError)

    /// The sigil of a value (`%`) or symbol (`@`) name.
    public enum Sigil: String, Hashable, Sendable {
        case value = "%"
        case symbol = "@"
    }

    /// The character that no token starts with.
    public enum Unexpected: Hashable, Sendable {
        /// Printable ASCII.
        case ascii(Character)
        /// A well-formed non-ASCII scalar.
        case scalar(Unicode.Scalar)
        /// A control byte.
        case byte(UInt8)
    }

    /// The token found where another was expected.
    public enum Found: Hashable, Sendable {
        case endOfFile
        case token(TokenKind, String)

        /// What `token` is, for a message.
        public init(_ token: Token) {
            self = token.kind == .eof ? .endOfFile : .token(token.kind, token.text)
        }
    }
}

/// Why an op's attribute was rejected (`OP: MESSAGE`).
public enum AttributeError: Error, Hashable, Sendable {
    case missing(String)
    /// `wrt` missing from `value_and_grad` (its message shows an example).
    case missingGradTargets(String)
    case unknown(String)
    case notInteger(String)
    case notNumber(String)
    case notBool(String)
    case notIntegerList(String)
    case notDimensionList(String)
    /// A list entry that is not a dimension.
    case notDimensionEntry(String)
    case notDType(String)
    case notDimension(String)
    case emptyList(String)
    /// A `wrt` entry that is not an index, `@param` or `params`.
    case notGradTarget(String)
    case repeatedGradTarget(String, GradTarget)
    /// `constant`'s value that is not a number or a list of numbers.
    case notNumbers(String)
}
