import VFCData

/// How a run reads its `--data` beyond the path (kept in config.json, so a resume reads the
/// dataset the same way): DCT-domain JPEG scaling, the tar shards' shuffle buffer and
/// truncation policy, and the pixel limit. A run with every default stores none.
public struct DataReading: Codable, Sendable, Equatable {
    public var dctScaling: Bool
    public var shuffleBuffer: Int
    public var skipTruncatedShards: Bool
    public var maxPixels: Int

    public init(dctScaling: Bool, shuffleBuffer: Int, skipTruncatedShards: Bool, maxPixels: Int) {
        self.dctScaling = dctScaling
        self.shuffleBuffer = shuffleBuffer
        self.skipTruncatedShards = skipTruncatedShards
        self.maxPixels = maxPixels
    }

    public static let standard = DataReading(dctScaling: false, shuffleBuffer: 10_000, skipTruncatedShards: false,
                                             maxPixels: DecodeLimits.standard.maxPixels)
}
