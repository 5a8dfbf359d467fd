/// One dimension of a tensor shape: a product `coefficient * s1 * s2 * ...` of a static
/// integer and symbolic dimensions (`N`, `B`), bound when a function is run or compiled.
///
/// Keeping dimensions as monomials lets reshapes flatten symbolic axes (`[B, 2, T]` to
/// `[2*B, T]`) while equality stays a structural comparison: two dims are equal exactly
/// when their coefficients and sorted symbol lists are equal.
public struct Dim: Hashable, Sendable, CustomStringConvertible {
    /// The static factor (the whole value for a static dim).
    public var coefficient: Int
    /// Symbol names, sorted, with repetition (`N*N` is `["N", "N"]`).
    public var symbols: [String]

    public init(_ value: Int) {
        coefficient = value
        symbols = []
    }

    public init(symbol: String) {
        coefficient = 1
        symbols = [symbol]
    }

    public init(coefficient: Int, symbols: [String]) {
        self.coefficient = coefficient
        self.symbols = coefficient == 0 ? [] : symbols.sorted()
    }

    /// The static value, or nil when the dim involves a symbol.
    public var staticValue: Int? { symbols.isEmpty ? coefficient : nil }

    /// The symbol name when the dim is exactly one symbol (`N`), else nil.
    public var singleSymbol: String? { coefficient == 1 && symbols.count == 1 ? symbols[0] : nil }

    /// The product of two dims, or nil when the static part overflows.
    public func multiplied(by other: Dim) -> Dim? {
        let (c, overflow) = coefficient.multipliedReportingOverflow(by: other.coefficient)
        if overflow { return nil }
        return Dim(coefficient: c, symbols: symbols + other.symbols)
    }

    /// Replaces symbols by the dims in `map` (symbols not in `map` stay), or nil on overflow.
    public func substituting(_ map: [String: Dim]) -> Dim? {
        var result = Dim(coefficient)
        for s in symbols {
            guard let next = result.multiplied(by: map[s] ?? Dim(symbol: s)) else { return nil }
            result = next
        }
        return result
    }

    /// The value with every symbol bound, or nil if a symbol is unbound or it overflows.
    public func evaluate(_ bindings: [String: Int]) -> Int? {
        var v = coefficient
        for s in symbols {
            guard let b = bindings[s] else { return nil }
            let (p, o) = v.multipliedReportingOverflow(by: b)
            if o { return nil }
            v = p
        }
        return v
    }

    /// `N`, `64`, `2*B*V`: the coefficient first (omitted when 1), then the symbols.
    public var description: String {
        if symbols.isEmpty { return String(coefficient) }
        let syms = symbols.joined(separator: "*")
        return coefficient == 1 ? syms : "\(coefficient)*\(syms)"
    }
}

extension Dim: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self.init(value) }
}

/// The product of a list of dims (the element count of a shape), or nil on overflow.
public func product(_ dims: [Dim]) -> Dim? {
    var p = Dim(1)
    for d in dims {
        guard let n = p.multiplied(by: d) else { return nil }
        p = n
    }
    return p
}

extension Dim {
    /// The sum of two dims when it is again a single term (`2*N + N = 3*N`, `3 + 4 = 7`);
    /// nil for sums like `N + 1` that a monomial cannot express, or on overflow.
    public func adding(_ other: Dim) -> Dim? {
        if coefficient == 0 { return other }
        if other.coefficient == 0 { return self }
        guard symbols == other.symbols else { return nil }
        let (c, o) = coefficient.addingReportingOverflow(other.coefficient)
        return o ? nil : Dim(coefficient: c, symbols: symbols)
    }
}
