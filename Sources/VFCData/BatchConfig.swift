/// The shape of the batches a `BatchSampler` produces (the method.md configs table) and
/// the seed that makes them reproducible.
public struct BatchConfig: Sendable, Equatable {
    /// Source image side S (every image is resized and centre-cropped to S x S).
    public var imageSize: Int
    /// Patch side P.
    public var patchSize: Int
    /// Global and local view sides G, L (multiples of P).
    public var globalSize: Int
    public var localSize: Int
    /// Global and local views per image, Vg >= 1 and Vl >= 0.
    public var globalViews: Int
    public var localViews: Int
    /// Images per batch B.
    public var batchSize: Int
    /// The seed every random decision derives from.
    public var seed: UInt64
    /// DINO's photometric augmentation (off: views are pure resampled crops, for tests).
    public var photometric: Bool
    /// ImageNet mean/std normalisation after augmentation (off: pixels stay in [0, 1]).
    public var normalize: Bool
    /// Decode JPEGs at a DCT-domain scale (1/2, 1/4, 1/8) that keeps the shorter side at
    /// least S, instead of at full size (see `JPEGCodec.decode8`): faster, and the source
    /// differs slightly from a full decode (docs/data.md gives the measured difference).
    public var dctScaling: Bool = false

    public init(imageSize: Int, patchSize: Int, globalSize: Int, localSize: Int,
                globalViews: Int, localViews: Int, batchSize: Int, seed: UInt64,
                photometric: Bool = true, normalize: Bool = true) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.globalSize = globalSize
        self.localSize = localSize
        self.globalViews = globalViews
        self.localViews = localViews
        self.batchSize = batchSize
        self.seed = seed
        self.photometric = photometric
        self.normalize = normalize
    }

    /// Patches per side of a global view, n = G / P.
    public var patchesPerSide: Int { globalSize / patchSize }

    /// Throws a `DatasetError` naming the first inconsistent setting.
    public func validate() throws {
        func need(_ ok: Bool, _ what: String, _ requirement: String, _ value: Int?) throws {
            if !ok { throw DatasetError.batchConfig(what: what, requirement: requirement, value: value) }
        }
        try need(imageSize > 0, "image size S", "positive", imageSize)
        try need(patchSize > 0, "patch size P", "positive", patchSize)
        try need(globalSize > 0 && globalSize % patchSize == 0, "global view side G = \(globalSize)", "a positive multiple of P = \(patchSize)", nil)
        try need(localSize > 0 && localSize % patchSize == 0, "local view side L = \(localSize)", "a positive multiple of P = \(patchSize)", nil)
        try need(globalViews >= 1, "global views Vg", "at least 1", globalViews)
        try need(localViews >= 0, "local views Vl", ">= 0", localViews)
        try need(batchSize >= 1, "batch size B", "at least 1", batchSize)
    }

    /// The settings as `key=value` words (part of the sampler state string).
    var fields: [(String, String)] {
        [("S", "\(imageSize)"), ("P", "\(patchSize)"), ("G", "\(globalSize)"), ("L", "\(localSize)"),
         ("Vg", "\(globalViews)"), ("Vl", "\(localViews)"), ("B", "\(batchSize)"), ("seed", "\(seed)"),
         ("photometric", photometric ? "1" : "0"), ("normalize", normalize ? "1" : "0")]
            + (dctScaling ? [("dct", "1")] : [])
    }
}
