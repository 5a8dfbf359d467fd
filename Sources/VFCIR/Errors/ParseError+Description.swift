/// The text of each parse error, as printed after `FILE:LINE:COL: error: `.
extension ParseError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missingName(let sigil): return "expected a name after '\(sigil.rawValue)'"
        case .unexpectedCharacter(let c): return "unexpected character \(c)"
        case .malformedNumber(let t): return "malformed number '\(t)'"
        case .invalidUTF8(let bytes):
            return "invalid UTF-8: byte\(bytes.count > 1 ? "s" : "") " + bytes.map { "0x" + SourceText.hex($0) }.joined(separator: " ")
        case let .expectedToken(_, what, found): return "expected \(what), found \(found)"
        case let .expectedFuncAfterFused(kind, found): return "expected 'func' after 'fused(\(kind?.rawValue ?? ""))', found \(found)"
        case .expectedDeclaration(let found): return "expected 'param' or 'func', found \(found)"
        case .expectedDimension(let found): return "expected a dimension (an integer or a symbol like N), found \(found)"
        case .expectedAliasTarget(let found):
            return "expected an argument or param after 'aliases' (like '%w' or '@weight'), found \(found)"
        case .expectedOperand(let found): return "expected an operand (%value, @param or a number), found \(found)"
        case .expectedAttributeValue(let found): return "expected an attribute value, found \(found)"
        case .unclosedFunction(let name): return "expected '}' to close function '@\(name)'"
        case .returnNotLast(let name): return "'return' must be the last statement of '@\(name)'"
        case .missingReturn(let name): return "function '@\(name)' has no 'return'"
        case let .redefinedSymbol(name, first): return "redefinition of '@\(name)' (first defined at \(first))"
        case .redefinedValue(let name): return "redefinition of '%\(name)'"
        case .undefinedValue(let name): return "use of undefined value '%\(name)'"
        case .aliasOfUnknownArgument(let name): return "'aliases' names unknown argument '%\(name)'"
        case .unknownOp(let name): return "unknown op '\(name)'"
        case .unknownInitializer(let name):
            return "unknown initializer '\(name)' (expected zeros, ones, normal, trunc_normal, uniform, copy)"
        case .unknownDType(let name):
            return "unknown element type '\(name)' (expected \(DType.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .unknownFusionKind(let name):
            return "unknown fused kernel kind '\(name)' (expected one of \(FusionKind.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .resultTypeCount(op, results, types): return "\(op): \(results) result(s) but \(types) type(s) given"
        case .numberOutOfRange(let t): return "number '\(t)' is out of range"
        case .integerOutOfRange(let t): return "integer '\(t)' is out of range"
        case let .uniformBounds(lo, hi):
            return "uniform(lo, hi) needs lo < hi, got uniform(\(formatNumber(lo)), \(formatNumber(hi)))"
        case let .invalidStd(initializer, std):
            return "\(initializer): std must be a finite non-negative number, got \(formatNumber(std))"
        case .rankOverLimit(let limit): return "rank exceeds the limit of \(limit)"
        case let .elementsOverLimit(type, count, limit): return "type \(type) has \(count) elements, over the limit of \(limit)"
        case .elementsUncountable(let type): return "type \(type) has more elements than can be counted"
        case .dimensionOverflow: return "dimension overflows"
        case .invalidDimension(let t): return "a dimension must be a non-negative integer or a symbol, found '\(t)'"
        case let .dimensionOverLimit(t, limit): return "dimension \(t) is over the limit of \(limit)"
        case .attributesNestTooDeeply: return "attribute lists nest too deeply"
        case .attributeListTooLong: return "attribute list is too long"
        case .duplicateAttribute(let key): return "duplicate attribute '\(key)'"
        case let .attribute(op, e): return "\(op): \(e)"
        }
    }
}

extension ParseError.Unexpected: CustomStringConvertible {
    public var description: String {
        switch self {
        case .ascii(let c): return "'\(c)'"
        case .scalar(let s): return "'\(s)' (U+\(String(s.value, radix: 16, uppercase: true)))"
        case .byte(let b): return "byte 0x\(String(b, radix: 16))"
        }
    }
}

extension ParseError.Found: CustomStringConvertible {
    public var description: String {
        switch self {
        case .endOfFile: return "end of file"
        case let .token(kind, text): return "'\(kind == .valueName ? "%" : kind == .symbolName ? "@" : "")\(text)'"
        }
    }
}

extension AttributeError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .missing(let k): return "missing attribute '\(k)'"
        case .missingGradTargets(let k): return "missing attribute '\(k)' (e.g. wrt = [0, @w] or wrt = [params])"
        case .unknown(let k): return "unknown attribute '\(k)'"
        case .notInteger(let k): return "attribute '\(k)' must be an integer"
        case .notNumber(let k): return "attribute '\(k)' must be a number"
        case .notBool(let k): return "attribute '\(k)' must be true or false"
        case .notIntegerList(let k): return "attribute '\(k)' must be a list of integers"
        case .notDimensionList(let k): return "attribute '\(k)' must be a list of dimensions"
        case .notDimensionEntry(let k): return "attribute '\(k)' must be a list of dimensions (non-negative integers or symbols)"
        case .notDType(let k): return "attribute '\(k)' must be one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))"
        case .notDimension(let k): return "attribute '\(k)' must be a dimension (a non-negative integer or a symbol)"
        case .emptyList(let k): return "attribute '\(k)' must be a non-empty list"
        case .notGradTarget(let k): return "'\(k)' entries are argument indices, @params or 'params'"
        case let .repeatedGradTarget(k, t): return "'\(k)' lists \(t) twice"
        case .notNumbers(let k): return "'\(k)' must be a number or a list of numbers"
        }
    }
}
