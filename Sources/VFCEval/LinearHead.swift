import Foundation
import VFCCodegen
import VFCIR
import VFCTensor

/// How a probe head is optimised: `steps` AdamW steps on mini-batches (as many passes over
/// the rows as that takes, each in a new seeded order), the learning rate following a cosine
/// from `learningRate` to zero. A step count rather than epochs, so that a head is trained
/// as far on a small dataset as on a large one.
public struct ProbeTraining: Sendable, Equatable {
    public var learningRate: Double
    public var weightDecay: Double
    public var steps: Int
    public var batchSize: Int
    public var seed: UInt64

    public init(learningRate: Double, weightDecay: Double = 0, steps: Int, batchSize: Int, seed: UInt64 = 0) {
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.steps = steps
        self.batchSize = batchSize
        self.seed = seed
    }
}

/// A linear probe head (`ProbeModule`) compiled by vfc's JIT: trained with its generated
/// AdamW step on frozen features, then applied to new rows.
public final class LinearHead {
    public let inputs: Int
    public let loss: ProbeLoss
    public let module: Module
    private var compiled: [Int: JITModule] = [:]

    public init(inputs: Int, loss: ProbeLoss) throws {
        self.inputs = inputs
        self.loss = loss
        var module = try Parser.parse(ProbeModule.text(inputs: inputs, loss: loss), file: "<probe>")
        try Verifier.run(&module)
        self.module = module
    }

    /// The trained weights: `w` [outputs, inputs] and `b` [outputs], and the last loss.
    public struct Weights: Sendable {
        public var w: Tensor
        public var b: Tensor
        public var finalLoss: Double
    }

    private func jit(rows: Int) throws -> JITModule {
        if let j = compiled[rows] { return j }
        let j = try JITModule(module: module, functions: ["train_step", "predict"], options: CodegenOptions(bindings: ["N": rows]))
        compiled[rows] = j
        return j
    }

    /// Trains a fresh head (zero weights) on `x` (rows x inputs) and `targets` (rows x
    /// `loss.targetWidth`). Each pass visits the rows in a new random order (seeded) in
    /// full batches of `min(batchSize, rows)`.
    public func train(x: FeatureMatrix, targets: FeatureMatrix, _ cfg: ProbeTraining) throws -> Weights {
        guard x.dim == inputs, targets.dim == loss.targetWidth, x.rows == targets.rows, x.rows > 0 else {
            throw EvalError.headShape(rows: x.rows, dim: x.dim, targetRows: targets.rows, targetDim: targets.dim, inputs: inputs, targetWidth: loss.targetWidth)
        }
        let batch = min(cfg.batchSize, x.rows)
        let jit = try jit(rows: batch)
        var params: [String: Tensor] = [:]
        for p in module.params { params[p.name] = Tensor(dtype: .f32, shape: p.type.staticShape ?? []) }
        let session = try JITSession(jit: jit, function: "train_step", params: params)
        let perEpoch = x.rows / batch
        let total = max(1, cfg.steps)
        var rng = RNG(seed: cfg.seed)
        var step = 0
        var last = Double.nan
        var xb = Tensor(dtype: .f32, shape: [batch, x.dim])
        var tb = Tensor(dtype: .f32, shape: [batch, targets.dim])
        while step < total {
            var order = Array(0..<x.rows)
            order.shuffle(using: &rng)
            for k in 0..<min(perEpoch, total - step) {
                let rows = order[k * batch ..< (k + 1) * batch]
                fill(&xb, from: x, rows: rows)
                fill(&tb, from: targets, rows: rows)
                step += 1
                let lr = cfg.learningRate * 0.5 * (1 + cos(Double.pi * Double(step - 1) / Double(total)))
                let scalars = [lr, cfg.weightDecay, 1 - pow(ProbeModule.beta1, Double(step)), 1 - pow(ProbeModule.beta2, Double(step))]
                try session.call(inputs: [xb, tb] + scalars.map { Tensor(scalar: $0, dtype: .f32) })
                last = session.result(0).scalars.first ?? .nan
            }
        }
        guard last.isFinite else { throw EvalError.diverged(loss: last) }
        return Weights(w: session.param("w")!, b: session.param("b")!, finalLoss: last)
    }

    /// The head's outputs on every row of `x` (rows x `loss.outputs`), computed by the
    /// compiled `@predict` in chunks of `chunk` rows (the last one padded).
    public func predict(_ weights: Weights, x: FeatureMatrix, chunk: Int = 1024) throws -> FeatureMatrix {
        let n = min(chunk, max(x.rows, 1))
        let jit = try jit(rows: n)
        let o = loss.outputs
        var out = [Float](repeating: 0, count: x.rows * o)
        var start = 0
        while start < x.rows {
            let end = min(start + n, x.rows)
            // A fresh tensor per chunk: the padding rows of the last one stay zero.
            var xb = Tensor(dtype: .f32, shape: [n, x.dim])
            fill(&xb, from: x, rows: start..<end)
            let y = try jit.run(function: "predict", inputs: [xb], params: ["w": weights.w, "b": weights.b])[0]
            y.withUnsafeBufferPointer { p in
                for i in 0..<((end - start) * o) { out[start * o + i] = Float(p[i]) }
            }
            start = end
        }
        return FeatureMatrix(rows: x.rows, dim: o, values: out)
    }

    private func fill<C: Collection>(_ t: inout Tensor, from m: FeatureMatrix, rows: C) where C.Element == Int {
        let d = m.dim
        t.withUnsafeMutableBufferPointer { p in
            m.values.withUnsafeBufferPointer { v in
                for (r, i) in rows.enumerated() {
                    for k in 0..<d { p[r * d + k] = Double(v[i * d + k]) }
                }
            }
        }
    }
}

/// Per-column standardisation from training rows (mean 0, std 1; a constant column is
/// only centred): a linear map, so a linear probe can fit the same functions, but AdamW's
/// step sizes then mean the same for every feature.
public struct Standardizer: Sendable {
    public var mean: [Float]
    public var scale: [Float]

    public init(fitting m: FeatureMatrix) {
        var mean = [Double](repeating: 0, count: m.dim), sq = [Double](repeating: 0, count: m.dim)
        for i in 0..<m.rows {
            for k in 0..<m.dim {
                let v = Double(m.values[i * m.dim + k])
                mean[k] += v
                sq[k] += v * v
            }
        }
        let n = Double(max(m.rows, 1))
        self.mean = mean.map { Float($0 / n) }
        scale = zip(mean, sq).map { s, q in
            let variance = max(q / n - (s / n) * (s / n), 0)
            return variance > 1e-12 ? Float(1 / variance.squareRoot()) : 1
        }
    }

    public func apply(_ m: FeatureMatrix) -> FeatureMatrix {
        var out = m
        for i in 0..<m.rows {
            for k in 0..<m.dim { out.values[i * m.dim + k] = (m.values[i * m.dim + k] - mean[k]) * scale[k] }
        }
        return out
    }
}
