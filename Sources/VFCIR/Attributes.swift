/// An attribute value as written in `{key = value}`, before an op gives it meaning.
public enum AttrValue: Hashable, Sendable {
    case int(Int)
    case float(Double)
    case bool(Bool)
    /// A bare identifier (`f32`) or a symbolic dim (`N`).
    case identifier(String)
    /// A product dim written `2*B`.
    case dim(Dim)
    /// `@name` (a param, in `wrt` lists).
    case symbol(String)
    case list([AttrValue])
}

/// The attributes of one op as written, with typed accessors that report located errors
/// and reject unknown keys.
public struct AttrDict {
    public var entries: [String: (AttrValue, SourceLoc)]
    public var opName: String
    public var loc: SourceLoc
    private var used = Set<String>()

    public init(opName: String, loc: SourceLoc, entries: [String: (AttrValue, SourceLoc)]) {
        self.opName = opName
        self.loc = loc
        self.entries = entries
    }

    private func fail(_ at: SourceLoc, _ e: AttributeError) -> DiagnosticError {
        DiagnosticError(at, .parse(.attribute(op: opName, e)))
    }

    private mutating func take(_ key: String) -> (AttrValue, SourceLoc)? {
        used.insert(key)
        return entries[key]
    }

    public mutating func int(_ key: String, default value: Int? = nil) throws(DiagnosticError) -> Int {
        guard let (v, l) = take(key) else {
            if let value { return value }
            throw fail(loc, .missing(key))
        }
        guard case .int(let i) = v else { throw fail(l, .notInteger(key)) }
        return i
    }

    public mutating func double(_ key: String, default value: Double? = nil) throws(DiagnosticError) -> Double {
        guard let (v, l) = take(key) else {
            if let value { return value }
            throw fail(loc, .missing(key))
        }
        switch v {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: throw fail(l, .notNumber(key))
        }
    }

    public mutating func bool(_ key: String) throws(DiagnosticError) -> Bool {
        guard let (v, l) = take(key) else { return false }
        guard case .bool(let b) = v else { throw fail(l, .notBool(key)) }
        return b
    }

    public mutating func ints(_ key: String, default value: [Int]? = nil) throws(DiagnosticError) -> [Int] {
        guard let (v, l) = take(key) else {
            if let value { return value }
            throw fail(loc, .missing(key))
        }
        guard case .list(let items) = v else { throw fail(l, .notIntegerList(key)) }
        var out: [Int] = []
        for item in items {
            guard case .int(let i) = item else { throw fail(l, .notIntegerList(key)) }
            out.append(i)
        }
        return out
    }

    public mutating func dims(_ key: String) throws(DiagnosticError) -> [Dim] {
        guard let (v, l) = take(key) else { throw fail(loc, .missing(key)) }
        guard case .list(let items) = v else { throw fail(l, .notDimensionList(key)) }
        var out: [Dim] = []
        for item in items {
            switch item {
            case .int(let i) where i >= 0: out.append(Dim(i))
            case .identifier(let s): out.append(Dim(symbol: s))
            case .dim(let d): out.append(d)
            default: throw fail(l, .notDimensionEntry(key))
            }
        }
        return out
    }

    public mutating func dtype(_ key: String) throws(DiagnosticError) -> DType {
        guard let (v, l) = take(key) else { throw fail(loc, .missing(key)) }
        guard case .identifier(let s) = v, let t = DType(rawValue: s) else {
            throw fail(l, .notDType(key))
        }
        return t
    }

    /// One dim (`size = N`, `size = 2*B`, `size = 10`).
    public mutating func dim(_ key: String) throws(DiagnosticError) -> Dim {
        guard let (v, l) = take(key) else { throw fail(loc, .missing(key)) }
        switch v {
        case .int(let i) where i >= 0: return Dim(i)
        case .identifier(let s): return Dim(symbol: s)
        case .dim(let d): return d
        default: throw fail(l, .notDimension(key))
        }
    }

    /// A `wrt` list: argument indices, `@param` names and `params`.
    public mutating func gradTargets(_ key: String) throws(DiagnosticError) -> [GradTarget] {
        guard let (v, l) = take(key) else { throw fail(loc, .missingGradTargets(key)) }
        guard case .list(let items) = v, !items.isEmpty else { throw fail(l, .emptyList(key)) }
        var out: [GradTarget] = []
        for item in items {
            let t: GradTarget
            switch item {
            case .int(let i) where i >= 0: t = .argument(i)
            case .symbol(let s): t = .param(s)
            case .identifier("params"): t = .allParams
            default: throw fail(l, .notGradTarget(key))
            }
            if out.contains(t) { throw fail(l, .repeatedGradTarget(key, t)) }
            out.append(t)
        }
        return out
    }

    /// The raw value, for ops with a free-form attribute (`constant`'s value).
    public mutating func raw(_ key: String) throws(DiagnosticError) -> (AttrValue, SourceLoc) {
        guard let e = take(key) else { throw fail(loc, .missing(key)) }
        return e
    }

    /// Fails on any key no accessor asked for (a typo like `axs = [1]` must not be ignored).
    public func checkAllUsed() throws(DiagnosticError) {
        for (k, (_, l)) in entries.sorted(by: { $0.key < $1.key }) where !used.contains(k) {
            throw fail(l, .unknown(k))
        }
    }
}
