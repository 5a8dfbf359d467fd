import Foundation

/// The schedule of method.md section 6: linear warm-up then cosine decay of the learning
/// rate, weight decay cosine from `weightDecay` to `weightDecayEnd`, teacher momentum cosine
/// from `momentum` to 1.
///
/// It runs over `horizon` steps and stays at its final values after them; it does not
/// depend on how many steps a run is asked for, so that a run extended by resuming
/// (`vfc train --resume DIR --steps 2K` after `--steps K`) computes exactly what a run of 2K
/// steps computes.
public struct Schedule: Codable, Sendable, Equatable {
    public var lr: Double
    public var minLR: Double
    public var warmupSteps: Int
    public var horizon: Int
    public var weightDecay: Double
    public var weightDecayEnd: Double
    public var momentum: Double

    public init(lr: Double = 5e-4, minLR: Double = 1e-6, warmupSteps: Int = 10, horizon: Int = 1000,
                weightDecay: Double = 0.04, weightDecayEnd: Double = 0.4, momentum: Double = 0.996) {
        self.lr = lr
        self.minLR = minLR
        self.warmupSteps = warmupSteps
        self.horizon = horizon
        self.weightDecay = weightDecay
        self.weightDecayEnd = weightDecayEnd
        self.momentum = momentum
    }

    /// The values for the step with 0-based index `step`.
    public func values(at step: Int) -> (lr: Double, weightDecay: Double, momentum: Double) {
        let lrNow: Double
        if step < warmupSteps {
            lrNow = lr * Double(step + 1) / Double(warmupSteps)
        } else {
            let t = Swift.min(1, Double(step - warmupSteps) / Double(Swift.max(1, horizon - warmupSteps)))
            lrNow = minLR + 0.5 * (lr - minLR) * (1 + cos(Double.pi * t))
        }
        let t = Swift.min(1, Double(step) / Double(Swift.max(1, horizon)))
        let cosine = 0.5 * (1 + cos(Double.pi * t))   // 1 -> 0
        return (lrNow, weightDecayEnd + (weightDecay - weightDecayEnd) * cosine, 1 + (momentum - 1) * cosine)
    }

    /// Checks the ranges, naming the option at fault.
    public func validate() throws {
        func need(_ ok: Bool, _ option: String, _ requirement: String, _ value: (any CustomStringConvertible)?) throws {
            if !ok { throw StepError.option(option, requirement: requirement, value: value.map(\.description)) }
        }
        try need(lr.isFinite && lr > 0, "--lr", "positive", lr)
        try need(minLR.isFinite && minLR >= 0 && minLR <= lr, "--min-lr", "in [0, lr]", minLR)
        try need(warmupSteps >= 0, "--warmup-steps", ">= 0", warmupSteps)
        try need(horizon >= 1, "--schedule-steps", ">= 1", horizon)
        try need(weightDecay >= 0 && weightDecayEnd >= 0, "weight decay", ">= 0", nil)
        try need(momentum >= 0 && momentum <= 1, "--momentum", "in [0, 1]", momentum)
    }
}
