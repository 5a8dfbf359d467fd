/// Parses the vfc text format into a `Module`. The grammar (docs/IR.md):
///
///     module   := ('module' @name)? (param | kernel | func)*
///     kernel   := 'fused' '(' kind ')' func      kind := loop | row | reduce | epilogue | ...
///     param    := 'param' @name ':' type ('=' init)?
///     func     := 'func' @name '(' (%arg ':' type),* ')' ('->' result | '->' '(' result,* ')')? '{' stmt* '}'
///     result   := type ('aliases' (%arg | @param))?
///     stmt     := %r (',' %r)* '=' opname operands attrs? (':' type | ':' '(' type,* ')')?
///               | %r,* '=' 'call' @f '(' operands ')' (':' types)?
///               | 'return' operands
///     operand  := %value | @param | number
///     type     := dtype '[' (dim (',' dim)*)? ']'     dim := factor ('*' factor)*
///
/// Every error is a `Diagnostic` at the offending token; the parser never traps on input.
public struct Parser {
    private var tokens: [Token]
    private var index = 0
    private let file: String

    /// Parses `text`; `file` names it in diagnostics.
    public static func parse(_ text: String, file: String) throws(DiagnosticError) -> Module {
        var lexer = Lexer(text: text, file: file)
        var parser = Parser(tokens: try lexer.tokenize(), file: file)
        return try parser.parseModule()
    }

    private init(tokens: [Token], file: String) {
        self.tokens = tokens
        self.file = file
    }

    // MARK: token helpers

    private var current: Token { tokens[min(index, tokens.count - 1)] }

    private mutating func advance() -> Token {
        let t = current
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    private func error(_ e: ParseError, at t: Token? = nil) -> DiagnosticError {
        DiagnosticError((t ?? current).loc, .parse(e))
    }

    @discardableResult
    private mutating func expect(_ kind: TokenKind, _ what: String) throws(DiagnosticError) -> Token {
        guard current.kind == kind else { throw error(.expectedToken(kind, what: what, found: .init(current))) }
        return advance()
    }

    private mutating func accept(_ kind: TokenKind) -> Bool {
        if current.kind == kind {
            _ = advance()
            return true
        }
        return false
    }

    private func isKeyword(_ word: String) -> Bool { current.kind == .identifier && current.text == word }

    // MARK: module level

    private mutating func parseModule() throws(DiagnosticError) -> Module {
        var module = Module(file: file)
        if isKeyword("module") {
            _ = advance()
            module.name = try expect(.symbolName, "a module name like '@vit'").text
        }
        var seen: [String: SourceLoc] = [:]
        while current.kind != .eof {
            if isKeyword("param") {
                let p = try parseParam()
                if let prev = seen[p.name] { throw DiagnosticError(p.loc, .parse(.redefinedSymbol(p.name, firstDefinedAt: prev))) }
                seen[p.name] = p.loc
                module.params.append(p)
            } else if isKeyword("func") || isKeyword("fused") {
                let kind = try parseFusionKind()
                guard isKeyword("func") else { throw error(.expectedFuncAfterFused(kind, found: .init(current))) }
                var f = try parseFunction()
                f.fusionKind = kind
                if let prev = seen[f.name] { throw DiagnosticError(f.loc, .parse(.redefinedSymbol(f.name, firstDefinedAt: prev))) }
                seen[f.name] = f.loc
                module.functions.append(f)
            } else {
                throw error(.expectedDeclaration(found: .init(current)))
            }
        }
        return module
    }

    private mutating func parseParam() throws(DiagnosticError) -> ParamDecl {
        let kw = advance()
        let name = try expect(.symbolName, "a parameter name like '@weight'").text
        try expect(.colon, "':' and the parameter type")
        let type = try parseType()
        var initializer = Initializer.zeros
        if accept(.equal) { initializer = try parseInitializer() }
        return ParamDecl(name: name, type: type, initializer: initializer, loc: kw.loc)
    }

    private mutating func parseInitializer() throws(DiagnosticError) -> Initializer {
        let t = try expect(.identifier, "an initializer (zeros, ones, normal, trunc_normal, uniform, copy)")
        switch t.text {
        case "copy":
            try expect(.lparen, "'(' after 'copy'")
            let source = try expect(.symbolName, "the param to copy, like '@weight'").text
            try expect(.rparen, "')'")
            return .copy(of: source)
        case "zeros": return .zeros
        case "ones": return .ones
        case "normal", "trunc_normal", "uniform":
            try expect(.lparen, "'(' after '\(t.text)'")
            let a = try parseNumber()
            var b: Double?
            if t.text == "uniform" {
                try expect(.comma, "',' between uniform's bounds")
                b = try parseNumber()
            }
            try expect(.rparen, "')'")
            if t.text == "uniform", let b {
                guard a < b else { throw error(.uniformBounds(lo: a, hi: b), at: t) }
                return .uniform(lo: a, hi: b)
            }
            guard a >= 0, a.isFinite else { throw error(.invalidStd(initializer: t.text, std: a), at: t) }
            return t.text == "normal" ? .normal(std: a) : .truncNormal(std: a)
        default:
            throw error(.unknownInitializer(t.text), at: t)
        }
    }

    private mutating func parseNumber() throws(DiagnosticError) -> Double {
        let t = try expect(.number, "a number")
        guard let v = Double(t.text), v.isFinite else { throw error(.numberOutOfRange(t.text), at: t) }
        return v
    }

    // MARK: types

    /// `f32[N, 64, 2*B]`.
    mutating func parseType() throws(DiagnosticError) -> TensorType {
        let t = try expect(.identifier, "a type like 'f32[N, 64]'")
        guard let dtype = DType(rawValue: t.text) else {
            throw error(.unknownDType(t.text), at: t)
        }
        try expect(.lbracket, "'[' after the element type")
        var dims: [Dim] = []
        if current.kind != .rbracket {
            repeat {
                if dims.count >= Limits.maxRank { throw error(.rankOverLimit(limit: Limits.maxRank)) }
                dims.append(try parseDim())
            } while accept(.comma)
        }
        try expect(.rbracket, "',' or ']' in the shape")
        if let n = product(dims), let v = n.staticValue, v > Limits.maxElements {
            throw error(.elementsOverLimit(TensorType(dtype, dims), count: v, limit: Limits.maxElements), at: t)
        } else if product(dims) == nil {
            throw error(.elementsUncountable(TensorType(dtype, dims)), at: t)
        }
        return TensorType(dtype, dims)
    }

    private mutating func parseDim() throws(DiagnosticError) -> Dim {
        var d = try parseDimFactor()
        while accept(.star) {
            let f = try parseDimFactor()
            guard let p = d.multiplied(by: f) else { throw error(.dimensionOverflow) }
            d = p
        }
        return d
    }

    private mutating func parseDimFactor() throws(DiagnosticError) -> Dim {
        let t = advance()
        switch t.kind {
        case .number:
            guard let v = Int(t.text), v >= 0 else {
                throw error(.invalidDimension(t.text), at: t)
            }
            guard v <= Limits.maxElements else { throw error(.dimensionOverLimit(t.text, limit: Limits.maxElements), at: t) }
            return Dim(v)
        case .identifier:
            return Dim(symbol: t.text)
        default:
            throw error(.expectedDimension(found: .init(t)), at: t)
        }
    }

    /// `type` or `(type, type)`.
    private mutating func parseTypeList() throws(DiagnosticError) -> [TensorType] {
        if accept(.lparen) {
            var types: [TensorType] = []
            if current.kind != .rparen {
                repeat { types.append(try parseType()) } while accept(.comma)
            }
            try expect(.rparen, "',' or ')' in the type list")
            return types
        }
        return [try parseType()]
    }

    // MARK: functions

    /// The declared results: `type` or `(type, type)`, each optionally followed by
    /// `aliases %arg` or `aliases @param` (a donated result).
    private mutating func parseResults(into f: inout Function, _ scope: [String: ValueID]) throws(DiagnosticError) {
        var types: [TensorType] = []
        func result(_ p: inout Parser) throws(DiagnosticError) {
            types.append(try p.parseType())
            guard p.isKeyword("aliases") else { return }
            _ = p.advance()
            let t = p.advance()
            switch t.kind {
            case .valueName:
                guard let id = scope[t.text], let i = f.arguments.firstIndex(of: id) else {
                    throw p.error(.aliasOfUnknownArgument(t.text), at: t)
                }
                f.resultAliases[types.count - 1] = .argument(i)
            case .symbolName:
                f.resultAliases[types.count - 1] = .param(t.text)
            default:
                throw p.error(.expectedAliasTarget(found: .init(t)), at: t)
            }
        }
        if accept(.lparen) {
            if current.kind != .rparen {
                repeat { try result(&self) } while accept(.comma)
            }
            try expect(.rparen, "',' or ')' in the result list")
        } else {
            try result(&self)
        }
        f.resultTypes = types
    }

    /// `fused(KIND)` before a kernel's `func`, or nothing.
    private mutating func parseFusionKind() throws(DiagnosticError) -> FusionKind? {
        guard isKeyword("fused") else { return nil }
        _ = advance()
        try expect(.lparen, "'(' after 'fused'")
        let t = try expect(.identifier, "a fused kernel kind like 'loop'")
        guard let kind = FusionKind(rawValue: t.text) else {
            throw error(.unknownFusionKind(t.text), at: t)
        }
        try expect(.rparen, "')' after the kernel kind")
        return kind
    }

    private mutating func parseFunction() throws(DiagnosticError) -> Function {
        let kw = advance()
        let name = try expect(.symbolName, "a function name like '@main'").text
        var f = Function(name: name, loc: kw.loc)
        var scope: [String: ValueID] = [:]
        try expect(.lparen, "'(' to start the argument list")
        if current.kind != .rparen {
            repeat {
                let a = try expect(.valueName, "an argument like '%x: f32[N]'")
                try expect(.colon, "':' and the argument type")
                let type = try parseType()
                if scope[a.text] != nil { throw error(.redefinedValue(a.text), at: a) }
                scope[a.text] = f.addArgument(name: a.text, type: type, loc: a.loc)
            } while accept(.comma)
        }
        try expect(.rparen, "',' or ')' in the argument list")
        if accept(.arrow) { try parseResults(into: &f, scope) }
        try expect(.lbrace, "'{' to start the function body")
        var returned = false
        while current.kind != .rbrace {
            if current.kind == .eof { throw error(.unclosedFunction(name)) }
            if returned { throw error(.returnNotLast(function: name)) }
            if isKeyword("return") {
                let r = advance()
                f.returnLoc = r.loc
                if current.kind != .rbrace {
                    repeat { f.returns.append(try parseOperand(scope)) } while accept(.comma)
                }
                returned = true
            } else {
                try parseInstruction(into: &f, scope: &scope)
            }
        }
        if !returned { throw error(.missingReturn(function: name)) }
        _ = advance()
        return f
    }

    private mutating func parseOperand(_ scope: [String: ValueID]) throws(DiagnosticError) -> Operand {
        let t = advance()
        switch t.kind {
        case .valueName:
            guard let id = scope[t.text] else { throw error(.undefinedValue(t.text), at: t) }
            return .value(id)
        case .symbolName:
            return .param(t.text)
        case .number:
            guard let v = Double(t.text), v.isFinite else { throw error(.numberOutOfRange(t.text), at: t) }
            return .literal(v)
        default:
            throw error(.expectedOperand(found: .init(t)), at: t)
        }
    }

    private mutating func parseInstruction(into f: inout Function, scope: inout [String: ValueID]) throws(DiagnosticError) {
        var names: [Token] = []
        repeat { names.append(try expect(.valueName, "a result like '%x = ...' or 'return'")) } while accept(.comma)
        try expect(.equal, "'=' after the results")
        let opTok = try expect(.identifier, "an op name")
        var operands: [Operand] = []
        var callee: String?
        if opTok.text == "call" || opTok.text == "value_and_grad" {
            // Ops on a function: `call @f(%x, %y)`, `value_and_grad @f(%x) {wrt = [0]}`.
            callee = try expect(.symbolName, "the callee, like '\(opTok.text) @f(%x)'").text
            try expect(.lparen, "'(' after the callee")
            if current.kind != .rparen {
                repeat { operands.append(try parseOperand(scope)) } while accept(.comma)
            }
            try expect(.rparen, "',' or ')' in the argument list")
        } else if [.valueName, .symbolName, .number].contains(current.kind) {
            repeat { operands.append(try parseOperand(scope)) } while accept(.comma)
        }
        var attrs = AttrDict(opName: opTok.text, loc: opTok.loc, entries: try parseAttributes())
        guard let op = try OpSyntax.makeOp(name: opTok.text, callee: callee, attrs: &attrs) else {
            throw error(.unknownOp(opTok.text), at: opTok)
        }
        try attrs.checkAllUsed()
        var types: [TensorType]?
        if accept(.colon) {
            let tl = try parseTypeList()
            guard tl.count == names.count else {
                throw error(.resultTypeCount(op: opTok.text, results: names.count, types: tl.count), at: opTok)
            }
            types = tl
        }
        var ids: [ValueID] = []
        for (i, n) in names.enumerated() {
            if scope[n.text] != nil { throw error(.redefinedValue(n.text), at: n) }
            let id = f.addValue(name: n.text, type: types?[i], loc: n.loc)
            scope[n.text] = id
            ids.append(id)
        }
        f.body.append(Instruction(op: op, operands: operands, results: ids, loc: opTok.loc))
    }

    private mutating func parseAttributes() throws(DiagnosticError) -> [String: (AttrValue, SourceLoc)] {
        var out: [String: (AttrValue, SourceLoc)] = [:]
        guard accept(.lbrace) else { return out }
        if current.kind != .rbrace {
            repeat {
                let key = try expect(.identifier, "an attribute name")
                if out[key.text] != nil { throw error(.duplicateAttribute(key.text), at: key) }
                if accept(.equal) {
                    out[key.text] = (try parseAttrValue(depth: 0), key.loc)
                } else {
                    out[key.text] = (.bool(true), key.loc)
                }
            } while accept(.comma)
        }
        try expect(.rbrace, "',' or '}' in the attributes")
        return out
    }

    private mutating func parseAttrValue(depth: Int) throws(DiagnosticError) -> AttrValue {
        if depth > 4 { throw error(.attributesNestTooDeeply) }
        let t = advance()
        switch t.kind {
        case .number:
            var v: AttrValue
            if let i = Int(t.text) {
                v = .int(i)
            } else if !t.text.contains("."), !t.text.lowercased().contains("e") {
                throw error(.integerOutOfRange(t.text), at: t)
            } else if let d = Double(t.text), d.isFinite {
                v = .float(d)
            } else {
                throw error(.numberOutOfRange(t.text), at: t)
            }
            if current.kind == .star, case .int(let i) = v, i >= 0 { return .dim(try continueDim(Dim(i))) }
            return v
        case .symbolName:
            return .symbol(t.text)
        case .identifier:
            if t.text == "true" { return .bool(true) }
            if t.text == "false" { return .bool(false) }
            if current.kind == .star { return .dim(try continueDim(Dim(symbol: t.text))) }
            return .identifier(t.text)
        case .lbracket:
            var items: [AttrValue] = []
            if current.kind != .rbracket {
                repeat {
                    if items.count >= Limits.maxElements { throw error(.attributeListTooLong) }
                    items.append(try parseAttrValue(depth: depth + 1))
                } while accept(.comma)
            }
            try expect(.rbracket, "',' or ']' in the list")
            return .list(items)
        default:
            throw error(.expectedAttributeValue(found: .init(t)), at: t)
        }
    }

    private mutating func continueDim(_ first: Dim) throws(DiagnosticError) -> Dim {
        var d = first
        while accept(.star) {
            let f = try parseDimFactor()
            guard let p = d.multiplied(by: f) else { throw error(.dimensionOverflow) }
            d = p
        }
        return d
    }
}
