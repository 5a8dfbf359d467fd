import Foundation
import VFCIR

/// Gradient rules of the elementwise family. A rank-0 operand that an op broadcast
/// implicitly gets its gradient summed over every axis (`sumToOperand`).
extension GradRules {
    static func unaryVJP(_ u: UnaryOp, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> Operand? {
        let dy = try c.dy(), x = c.x(0), y = c.y()
        switch u {
        case .neg: return try b.neg(dy)
        case .exp: return try b.mul(dy, y)
        case .log: return try b.div(dy, x)
        case .sqrt: return try b.div(try b.mul(dy, .literal(0.5)), y)
        case .rsqrt:
            // d/dx x^-1/2 = -1/2 y^3
            let y3 = try b.mul(try b.mul(y, y), y)
            return try b.mul(dy, try b.mul(y3, .literal(-0.5)))
        case .tanh:
            return try b.mul(dy, try b.sub(.literal(1), try b.mul(y, y)))
        case .erf:
            // 2/sqrt(pi) exp(-x^2)
            let e = try b.unary(.exp, try b.neg(try b.mul(x, x)))
            return try b.mul(dy, try b.mul(e, .literal(2 / Double.pi.squareRoot())))
        case .abs:
            // sign(x), with 0 at x == 0 (the subgradient PyTorch and JAX use).
            let t = try c.type(0)
            let pos = try b.emit(.compare(.gt), [x, .literal(0)])
            let negative = try b.emit(.compare(.lt), [x, .literal(0)])
            let zero = try b.zeros(t)
            return try b.select(pos, dy, try b.select(negative, try b.neg(dy), zero))
        case .gelu:
            // d/dx x Phi(x) = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2,
            // phi(x) = exp(-x^2 / 2) / sqrt(2 pi): recomputed here rather than stored.
            let cdf = try b.mul(try b.add(try b.unary(.erf, try b.mul(x, .literal(1 / 2.0.squareRoot()))), .literal(1)), .literal(0.5))
            let pdf = try b.mul(try b.unary(.exp, try b.mul(try b.mul(x, x), .literal(-0.5))), .literal(1 / (2 * Double.pi).squareRoot()))
            return try b.mul(dy, try b.add(cdf, try b.mul(x, pdf)))
        case .not:
            return nil
        }
    }

    static func binaryVJP(_ op: BinaryOp, _ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy(), x0 = c.x(0), x1 = c.x(1)
        var d0: Operand?, d1: Operand?
        switch op {
        case .add:
            d0 = dy
            d1 = dy
        case .sub:
            d0 = dy
            if c.needs[1] { d1 = try b.neg(dy) }
        case .mul:
            if c.needs[0] { d0 = try b.mul(dy, x1) }
            if c.needs[1] { d1 = try b.mul(dy, x0) }
        case .div:
            // d/da a/b = 1/b; d/db a/b = -a/b^2 = -y/b
            if c.needs[0] { d0 = try b.div(dy, x1) }
            if c.needs[1] { d1 = try b.neg(try b.div(try b.mul(dy, c.y()), x1)) }
        case .max, .min:
            // Ties split the gradient equally between the operands, as PyTorch and JAX do.
            let cmp: CompareOp = op == .max ? .gt : .lt
            let t = c.resultTypes[0]
            let zero = try b.zeros(t)
            let half = try b.mul(dy, .literal(0.5))
            let first = try b.emit(.compare(cmp), [x0, x1])
            let tie = try b.emit(.compare(.eq), [x0, x1])
            if c.needs[0] { d0 = try b.select(first, dy, try b.select(tie, half, zero)) }
            if c.needs[1] {
                let second = try b.emit(.compare(cmp), [x1, x0])
                d1 = try b.select(second, dy, try b.select(tie, half, zero))
            }
        case .pow:
            // d/da a^e = e a^(e-1) = e y / a; d/db a^e = log(a) y (a > 0 where it matters).
            if c.needs[0] {
                let e1: Operand
                if case .literal(let e) = x1 { e1 = .literal(e - 1) } else { e1 = try b.sub(x1, .literal(1)) }
                d0 = try b.mul(dy, try b.mul(x1, try b.emit(.binary(.pow), [x0, e1])))
            }
            if c.needs[1] { d1 = try b.mul(dy, try b.mul(try b.unary(.log, x0), c.y())) }
        case .and, .or:
            return [nil, nil]
        }
        return [try d0.map { d throws(DiagnosticError) in try b.sumToOperand(d, c.operandTypes[0]) },
                try d1.map { d throws(DiagnosticError) in try b.sumToOperand(d, c.operandTypes[1]) }]
    }

    static func selectVJP(_ c: VJPContext, _ b: inout GradBuilder) throws(DiagnosticError) -> [Operand?] {
        let dy = try c.dy()
        let zero = try b.zeros(c.resultTypes[0])
        let cond = c.x(0)
        let onTrue = c.needs[1] ? try b.sumToOperand(try b.select(cond, dy, zero), c.operandTypes[1]) : nil
        let onFalse = c.needs[2] ? try b.sumToOperand(try b.select(cond, zero, dy), c.operandTypes[2]) : nil
        return [nil, onTrue, onFalse]
    }
}
