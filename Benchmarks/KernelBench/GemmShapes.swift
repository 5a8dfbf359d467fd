// The unbatched f32 products (vfc_sgemm calls) of one training step, with their calls per
// step, as `vfc step IR/ssl_CONFIG.ir --profile --profile-top 1000` lists them (state from
// `vfc init --seed 0`, batch from Tests/fixtures/ssl/make_batch.py at the config's B).
enum GemmShapes {
    static let micro: [GemmShape] = [
        GemmShape(2080, 512, 128, ta: false, tb: true, calls: 9),
        GemmShape(2080, 128, 512, ta: false, tb: true, calls: 9),
        GemmShape(2080, 384, 128, ta: false, tb: true, calls: 8),
        GemmShape(2080, 128, 512, ta: false, tb: false, calls: 4),
        GemmShape(2080, 512, 512, ta: false, tb: true, calls: 1),
        GemmShape(512, 128, 2080, ta: true, tb: false, calls: 4),
        GemmShape(2080, 512, 128, ta: false, tb: false, calls: 4),
        GemmShape(128, 512, 2080, ta: true, tb: false, calls: 4),
        GemmShape(512, 512, 2048, ta: true, tb: false, calls: 1),
        GemmShape(2048, 512, 512, ta: false, tb: false, calls: 1),
        GemmShape(2048, 512, 512, ta: false, tb: true, calls: 1),
        GemmShape(384, 128, 2080, ta: true, tb: false, calls: 4),
        GemmShape(2080, 128, 384, ta: false, tb: false, calls: 4),
        GemmShape(1088, 512, 128, ta: false, tb: true, calls: 4),
        GemmShape(1088, 128, 512, ta: false, tb: true, calls: 4),
        GemmShape(512, 128, 1088, ta: true, tb: false, calls: 4),
        GemmShape(1088, 512, 128, ta: false, tb: false, calls: 4),
        GemmShape(1088, 128, 512, ta: false, tb: false, calls: 4),
        GemmShape(128, 512, 1088, ta: true, tb: false, calls: 4),
        GemmShape(2080, 128, 128, ta: false, tb: true, calls: 8),
        GemmShape(2080, 1024, 128, ta: false, tb: true, calls: 1),
        GemmShape(2048, 128, 1024, ta: false, tb: false, calls: 1),
        GemmShape(1024, 128, 2048, ta: true, tb: false, calls: 1),
        GemmShape(2048, 1024, 128, ta: false, tb: true, calls: 1),
        GemmShape(384, 128, 1088, ta: true, tb: false, calls: 4),
        GemmShape(1088, 384, 128, ta: false, tb: true, calls: 4),
        GemmShape(1088, 128, 384, ta: false, tb: false, calls: 4),
        GemmShape(128, 128, 2080, ta: true, tb: false, calls: 4),
        GemmShape(2080, 128, 128, ta: false, tb: false, calls: 4),
        GemmShape(2048, 512, 128, ta: false, tb: true, calls: 1),
        GemmShape(512, 128, 2048, ta: true, tb: false, calls: 1),
        GemmShape(128, 512, 2048, ta: true, tb: false, calls: 1),
        GemmShape(2048, 512, 128, ta: false, tb: false, calls: 1),
        GemmShape(2048, 128, 512, ta: false, tb: false, calls: 1),
        GemmShape(2048, 128, 512, ta: false, tb: true, calls: 1),
        GemmShape(2048, 128, 192, ta: false, tb: true, calls: 2),
        GemmShape(1088, 128, 128, ta: false, tb: true, calls: 4),
        GemmShape(128, 128, 1088, ta: true, tb: false, calls: 4),
        GemmShape(1088, 128, 128, ta: false, tb: false, calls: 4),
        GemmShape(2048, 128, 128, ta: false, tb: true, calls: 2),
        GemmShape(2048, 128, 128, ta: false, tb: false, calls: 2),
        GemmShape(128, 128, 2048, ta: true, tb: false, calls: 2),
        GemmShape(128, 192, 2048, ta: true, tb: false, calls: 1),
        GemmShape(128, 192, 1024, ta: true, tb: false, calls: 1),
        GemmShape(512, 512, 96, ta: true, tb: false, calls: 1),
        GemmShape(96, 512, 512, ta: false, tb: false, calls: 1),
        GemmShape(96, 512, 512, ta: false, tb: true, calls: 1),
        GemmShape(1024, 128, 192, ta: false, tb: true, calls: 1),
        GemmShape(96, 1024, 128, ta: false, tb: true, calls: 1),
        GemmShape(96, 128, 1024, ta: false, tb: false, calls: 1),
        GemmShape(1024, 128, 96, ta: true, tb: false, calls: 1),
        GemmShape(96, 128, 512, ta: false, tb: false, calls: 1),
        GemmShape(512, 128, 96, ta: true, tb: false, calls: 1),
        GemmShape(96, 512, 128, ta: false, tb: true, calls: 1),
        GemmShape(128, 512, 96, ta: true, tb: false, calls: 1),
        GemmShape(96, 512, 128, ta: false, tb: false, calls: 1),
        GemmShape(96, 128, 512, ta: false, tb: true, calls: 1),
    ]

    static let tiny: [GemmShape] = [
        GemmShape(3152, 2048, 2048, ta: false, tb: true, calls: 1),
        GemmShape(2048, 2048, 3136, ta: true, tb: false, calls: 1),
        GemmShape(3136, 2048, 2048, ta: false, tb: false, calls: 1),
        GemmShape(3136, 2048, 2048, ta: false, tb: true, calls: 1),
        GemmShape(3152, 192, 768, ta: false, tb: true, calls: 24),
        GemmShape(3152, 768, 192, ta: false, tb: true, calls: 24),
        GemmShape(3152, 576, 192, ta: false, tb: true, calls: 24),
        GemmShape(3152, 8192, 256, ta: false, tb: true, calls: 1),
        GemmShape(8192, 256, 3136, ta: true, tb: false, calls: 1),
        GemmShape(3136, 256, 8192, ta: false, tb: false, calls: 1),
        GemmShape(3136, 8192, 256, ta: false, tb: true, calls: 1),
        GemmShape(192, 768, 3152, ta: true, tb: false, calls: 12),
        GemmShape(768, 192, 3152, ta: true, tb: false, calls: 12),
        GemmShape(3152, 192, 768, ta: false, tb: false, calls: 12),
        GemmShape(3152, 768, 192, ta: false, tb: false, calls: 12),
        GemmShape(576, 192, 3152, ta: true, tb: false, calls: 12),
        GemmShape(3152, 192, 576, ta: false, tb: false, calls: 12),
        GemmShape(192, 768, 1776, ta: true, tb: false, calls: 12),
        GemmShape(1776, 192, 768, ta: false, tb: true, calls: 12),
        GemmShape(1776, 768, 192, ta: false, tb: true, calls: 12),
        GemmShape(768, 192, 1776, ta: true, tb: false, calls: 12),
        GemmShape(1776, 192, 768, ta: false, tb: false, calls: 12),
        GemmShape(1776, 768, 192, ta: false, tb: false, calls: 12),
        GemmShape(3152, 192, 192, ta: false, tb: true, calls: 24),
        GemmShape(576, 192, 1776, ta: true, tb: false, calls: 12),
        GemmShape(1776, 576, 192, ta: false, tb: true, calls: 12),
        GemmShape(1776, 192, 576, ta: false, tb: false, calls: 12),
        GemmShape(3152, 256, 2048, ta: false, tb: true, calls: 1),
        GemmShape(256, 2048, 3136, ta: true, tb: false, calls: 1),
        GemmShape(3136, 256, 2048, ta: false, tb: true, calls: 1),
        GemmShape(3136, 2048, 256, ta: false, tb: false, calls: 1),
        GemmShape(192, 192, 3152, ta: true, tb: false, calls: 12),
        GemmShape(3152, 192, 192, ta: false, tb: false, calls: 12),
        GemmShape(3152, 2048, 192, ta: false, tb: true, calls: 1),
        GemmShape(2048, 192, 3136, ta: true, tb: false, calls: 1),
        GemmShape(3136, 2048, 192, ta: false, tb: true, calls: 1),
        GemmShape(3136, 192, 2048, ta: false, tb: false, calls: 1),
        GemmShape(3136, 192, 768, ta: false, tb: true, calls: 2),
        GemmShape(192, 192, 1776, ta: true, tb: false, calls: 12),
        GemmShape(1776, 192, 192, ta: false, tb: false, calls: 12),
        GemmShape(1776, 192, 192, ta: false, tb: true, calls: 12),
        GemmShape(192, 768, 3136, ta: true, tb: false, calls: 1),
        GemmShape(64, 2048, 2048, ta: false, tb: false, calls: 1),
        GemmShape(64, 2048, 2048, ta: false, tb: true, calls: 1),
        GemmShape(2048, 2048, 64, ta: true, tb: false, calls: 1),
        GemmShape(192, 768, 1728, ta: true, tb: false, calls: 1),
        GemmShape(1728, 192, 768, ta: false, tb: true, calls: 1),
        GemmShape(3136, 192, 192, ta: false, tb: false, calls: 2),
        GemmShape(192, 192, 3136, ta: true, tb: false, calls: 2),
        GemmShape(3136, 192, 192, ta: false, tb: true, calls: 2),
        GemmShape(64, 8192, 256, ta: false, tb: true, calls: 1),
        GemmShape(8192, 256, 64, ta: true, tb: false, calls: 1),
        GemmShape(64, 256, 8192, ta: false, tb: false, calls: 1),
        GemmShape(64, 2048, 256, ta: false, tb: false, calls: 1),
        GemmShape(64, 256, 2048, ta: false, tb: true, calls: 1),
        GemmShape(256, 2048, 64, ta: true, tb: false, calls: 1),
        GemmShape(64, 192, 2048, ta: false, tb: false, calls: 1),
        GemmShape(2048, 192, 64, ta: true, tb: false, calls: 1),
        GemmShape(64, 2048, 192, ta: false, tb: true, calls: 1),
    ]

    /// One item of tiny's batched per-head products of attention (`48 x 197x64x197` and
    /// the like in the profile: one sgemm call per head, each on one thread, 48 per call),
    /// with their items per step. Dense operands here; the step reads them in place.
    static let attention: [GemmShape] = [
        GemmShape(197, 64, 197, ta: false, tb: false, calls: 36 * 48),
        GemmShape(197, 197, 64, ta: false, tb: true, calls: 36 * 48),
        GemmShape(197, 64, 197, ta: true, tb: false, calls: 24 * 48),
    ]
}

extension GemmShapes {
    /// The steps VFC_BENCH_STEPS names (micro,tiny by default; `attention`: tiny's
    /// per-head items) with their shapes;
    /// VFC_BENCH_SHAPES=N keeps the N shapes of each step with the most work per step.
    static func selected(_ env: [String: String]) -> [(String, [GemmShape])] {
        let only = (env["VFC_BENCH_STEPS"] ?? "micro,tiny").split(separator: ",").map(String.init)
        let keep = env["VFC_BENCH_SHAPES"].flatMap { Int($0) } ?? Int.max
        let largest: ([GemmShape]) -> [GemmShape] = { shapes in
            let cut = shapes.map { $0.flops * Double($0.calls) }.sorted(by: >).prefix(keep).last ?? 0
            return shapes.filter { $0.flops * Double($0.calls) >= cut }
        }
        return [("micro", largest(micro)), ("tiny", largest(tiny)), ("attention", attention)].filter { only.contains($0.0) }
    }
}
