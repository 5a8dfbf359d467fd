import Foundation
import VFCCodegen
import VFCData
import VFCIR
import VFCTensor

/// Which network of a training state gives the features.
public enum Network: String, Sendable, Codable {
    case teacher, student
}

/// The tokens of a batch of images: `count` x `tokens` x `dim`, token 0 the CLS token (the
/// final-LayerNorm output of the encoder), then the patches in row-major grid order.
public struct Tokens: Sendable {
    public var count: Int
    public var tokens: Int
    public var dim: Int
    public var values: [Float]

    /// The CLS token of every image, [count, dim].
    public var cls: FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(count * dim)
        for i in 0..<count { out.append(contentsOf: values[(i * tokens) * dim ..< (i * tokens + 1) * dim]) }
        return FeatureMatrix(rows: count, dim: dim, values: out)
    }

    /// CLS concatenated with the mean of the patch tokens, [count, 2 dim].
    public var clsAndMeanPatch: FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(count * 2 * dim)
        for i in 0..<count {
            let base = i * tokens * dim
            out.append(contentsOf: values[base ..< base + dim])
            var mean = [Float](repeating: 0, count: dim)
            for t in 1..<tokens { for k in 0..<dim { mean[k] += values[base + t * dim + k] } }
            out.append(contentsOf: mean.map { $0 / Float(max(tokens - 1, 1)) })
        }
        return FeatureMatrix(rows: count, dim: 2 * dim, values: out)
    }

    /// Every patch token of every image, [count * (tokens - 1), dim], image-major.
    public var patches: FeatureMatrix {
        var out = [Float]()
        out.reserveCapacity(count * (tokens - 1) * dim)
        for i in 0..<count { out.append(contentsOf: values[(i * tokens + 1) * dim ..< (i + 1) * tokens * dim]) }
        return FeatureMatrix(rows: count * (tokens - 1), dim: dim, values: out)
    }
}

/// The frozen encoder of a training state, compiled by vfc's JIT from the module's own
/// feature functions (scripts/gen_ssl.py writes them): `@teacher_features` / `@features` on
/// whole images (box = the image, no flip), `@teacher_global` / `@student_global` on views
/// cut by crop boxes, with flips (the student's masks all zero).
public final class Backbone {
    public let network: Network
    /// The side of the images the encoder takes (the source side S: G = S for whole images).
    public let side: Int
    /// Patches per side of the image (n) and the token width (D).
    public let grid: Int
    public let dim: Int
    /// Images per call (the last call takes what is left: the image count is a run-time
    /// dim of the compiled functions, compiled once).
    public let chunk: Int
    public let compileSeconds: Double
    let whole: String, crop: String
    let jit: JITModule
    let irName: String
    /// The params the feature functions read, each checked against its declaration.
    private var params: [String: Tensor] = [:]
    private let declared: [(name: String, type: TensorType)]

    /// Checks that `state` (read from `source`) holds every param the feature functions of
    /// `module` (read from `irName`) read, with the declared shapes, then compiles them once
    /// for every image count (run-time dims), to run on `chunk` images per call.
    public init(module: Module, irName: String, state: [String: Tensor], source: String, network: Network, chunk: Int = 64) throws {
        self.network = network
        self.chunk = chunk
        whole = network == .teacher ? "teacher_features" : "features"
        crop = network == .teacher ? "teacher_global" : "student_global"
        for name in [whole, crop] where module.function(named: name) == nil {
            throw EvalError.noFeatureFunction(module: irName, function: name)
        }
        let f = module.function(named: whole)!
        guard f.arguments.count == 1, let arg = f.values[f.arguments[0].index].type, arg.rank == 4,
              let g = arg.shape[3].staticValue, arg.shape[2].staticValue == g,
              f.returns.count == 1, let res = f.resultTypes?.first, res.rank == 3,
              let t = res.shape[1].staticValue, let d = res.shape[2].staticValue else {
            throw EvalError.featureSignature(module: irName, function: whole)
        }
        let n = Int(Double(t - 1).squareRoot().rounded())
        guard n * n == t - 1, n > 0, g % n == 0 else {
            throw EvalError.tokenCount(module: irName, function: whole, tokens: t, side: g)
        }
        (side, grid, dim) = (g, n, d)
        self.irName = irName
        declared = Set(module.paramsRead(by: whole) + module.paramsRead(by: crop)).sorted().compactMap { name in
            module.param(named: name).map { (name, $0.type) }
        }
        params = try Self.checked(state, declared, source: source, function: whole, irName: irName)
        jit = try JITModule(module: module, functions: [whole, crop], options: CodegenOptions(runtimeDims: true))
        compileSeconds = jit.compileSeconds
    }

    /// Takes the weights of another state of the same module (read from `source`), checked
    /// as at `init`; the compiled code is reused.
    public func load(state: [String: Tensor], source: String) throws {
        params = try Self.checked(state, declared, source: source, function: whole, irName: irName)
    }

    private static func checked(_ state: [String: Tensor], _ declared: [(name: String, type: TensorType)], source: String,
                                function: String, irName: String) throws -> [String: Tensor] {
        var params: [String: Tensor] = [:]
        for (name, type) in declared {
            guard let t = state[name] else {
                throw EvalError.missingWeight(source: source, name: name, type: type, function: function, module: irName)
            }
            guard t.shape == type.staticShape, t.dtype.isFloat == type.dtype.isFloat else {
                throw EvalError.weightType(source: source, name: name, dtype: t.dtype, shape: t.shape, declared: type, module: irName)
            }
            params[name] = t
        }
        return params
    }

    /// Tokens of whole images, each planar [3, side, side] (normalised like the views).
    public func features(images: [[Float]]) throws -> Tokens {
        try run(images.count, function: whole) { range in
            [Self.batch(images[range], side: side)]
        }
    }

    /// Tokens of views (planar [3, side, side]) cut from their sources by `boxes`
    /// (x0, y0, w, h in source pixels) and mirrored where `flips`.
    public func features(views: [[Float]], boxes: [CropBox], flips: [Bool]) throws -> Tokens {
        try run(views.count, function: crop) { range in
            var b = Tensor(dtype: .f32, shape: [range.count, 4])
            var fl = Tensor(dtype: .u8, shape: [range.count])
            b.withUnsafeMutableBufferPointer { p in
                for (r, i) in range.enumerated() {
                    let x = boxes[i]
                    (p[4 * r], p[4 * r + 1], p[4 * r + 2], p[4 * r + 3]) = (Double(x.x0), Double(x.y0), Double(x.w), Double(x.h))
                }
            }
            fl.withUnsafeMutableBufferPointer { p in for (r, i) in range.enumerated() { p[r] = flips[i] ? 1 : 0 } }
            var inputs = [Self.batch(views[range], side: side), b, fl]
            if network == .student {
                inputs += [Tensor(dtype: .u8, shape: [range.count, grid * grid]), Tensor(dtype: .u8, shape: [range.count, grid * grid])]
            }
            return inputs
        }
    }

    private func run(_ count: Int, function: String, inputs: (Range<Int>) -> [Tensor]) throws -> Tokens {
        let t = grid * grid + 1
        var out = [Float](repeating: 0, count: count * t * dim)
        var start = 0
        while start < count {
            let end = min(start + chunk, count)
            let y = try jit.run(function: function, inputs: inputs(start..<end), params: params)[0]
            y.withUnsafeBufferPointer { p in
                let n = (end - start) * t * dim
                for i in 0..<n { out[start * t * dim + i] = Float(p[i]) }
            }
            start = end
        }
        return Tokens(count: count, tokens: t, dim: dim, values: out)
    }

    private static func batch(_ images: ArraySlice<[Float]>, side: Int) -> Tensor {
        var x = Tensor(dtype: .f32, shape: [images.count, 3, side, side])
        let per = 3 * side * side
        x.withUnsafeMutableBufferPointer { p in
            for (r, img) in images.enumerated() { for k in 0..<per { p[r * per + k] = Double(img[k]) } }
        }
        return x
    }
}
