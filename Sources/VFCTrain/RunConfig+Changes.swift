extension RunConfig {
    /// `name old -> new` for each setting a resume may change that differs from `old`.
    public func changes(from old: RunConfig) -> [String] {
        var out: [String] = []
        func note<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { out.append("\(name) \(a) -> \(b)") } }
        note("steps", old.steps, steps)
        note("lr", old.schedule.lr, schedule.lr)
        note("min-lr", old.schedule.minLR, schedule.minLR)
        note("warmup-steps", old.schedule.warmupSteps, schedule.warmupSteps)
        note("schedule-steps", old.schedule.horizon, schedule.horizon)
        note("weight-decay", old.schedule.weightDecay, schedule.weightDecay)
        note("weight-decay-end", old.schedule.weightDecayEnd, schedule.weightDecayEnd)
        note("momentum", old.schedule.momentum, schedule.momentum)
        note("checkpoint-every", old.checkpointEvery, checkpointEvery)
        return out
    }
}
