import Foundation
import VFCData

/// A probe of `vfc eval`.
public enum Probe: String, CaseIterable, Sendable, Codable {
    case knn, linear, position

    /// Whether the probe needs each image's class.
    public var needsClasses: Bool { self == .knn || self == .linear }
}

/// What the linear probe reads from each image.
public enum LinearFeatures: String, Sendable, CaseIterable {
    case cls
    case clsMean = "cls+mean"
}

/// How `Evaluation.run` evaluates.
public struct EvalOptions: Sendable {
    public var probes: [Probe]
    /// false for `--probe all`: probes whose labels the data lacks are skipped with a note
    /// instead of failing.
    public var explicit: Bool
    public var seed: UInt64
    public var k: Int
    public var temperature: Double
    public var linearFeatures: LinearFeatures
    public var linearSteps: Int
    public var positionSteps: Int

    public init(probes: [Probe], explicit: Bool, seed: UInt64 = 0, k: Int = 20, temperature: Double = 0.07,
                linearFeatures: LinearFeatures = .cls, linearSteps: Int = 1000, positionSteps: Int = 1000) {
        self.probes = probes
        self.explicit = explicit
        self.seed = seed
        self.k = k
        self.temperature = temperature
        self.linearFeatures = linearFeatures
        self.linearSteps = linearSteps
        self.positionSteps = positionSteps
    }
}

/// Training and validation images: entries of one dataset split by `--split`, or two
/// folders (`--val`).
public struct EvalSplit {
    public var train: EvalDataset
    public var trainIndices: [Int]
    public var val: EvalDataset
    public var valIndices: [Int]

    public init(train: EvalDataset, trainIndices: [Int], val: EvalDataset, valIndices: [Int]) {
        self.train = train
        self.trainIndices = trainIndices
        self.val = val
        self.valIndices = valIndices
    }
}

/// What `vfc eval` reports (`--json`, `-o`). Accuracies are percentages.
public struct EvalReport: Codable, Sendable {
    public var network: Network
    public var trainImages: Int
    public var valImages: Int
    public var classes: [String]
    public var compileSeconds: Double
    public var featureSeconds: Double
    public var knn: KNNReport?
    public var linear: LinearReport?
    public var position: PositionReport?
    /// Probes of `--probe all` the data has no labels for.
    public var skipped: [String]

    /// The report as JSON with snake_case keys, keys sorted.
    public func json() throws -> String {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try e.encode(self), as: UTF8.self)
    }
}

/// Runs the probes on a frozen backbone.
public enum Evaluation {
    public static func run(backbone: Backbone, split: EvalSplit, options: EvalOptions, log: (String) -> Void) throws -> EvalReport {
        guard !split.trainIndices.isEmpty else { throw EvalError("no training images in \(split.train.path) after the split") }
        guard !split.valIndices.isEmpty else { throw EvalError("no validation images in \(split.val.path) after the split") }
        var probes = options.probes
        var skipped: [String] = []
        let classes = split.train.classes
        if probes.contains(where: \.needsClasses) {
            var missing: String?
            if !split.train.hasClassLabels { missing = split.train.path } else if !split.val.hasClassLabels { missing = split.val.path }
            if split.val !== split.train, split.val.classes != classes {
                throw EvalError("the classes of \(split.val.path) (\(split.val.classes.joined(separator: ", "))) differ from those of \(split.train.path) (\(classes.joined(separator: ", ")))")
            }
            if let missing {
                let needing = probes.filter(\.needsClasses).map(\.rawValue)
                if options.explicit {
                    throw EvalError("\(missing) has no class labels (no class subfolders and no labels.json of vfc data synth): the \(needing.joined(separator: " and ")) probe\(needing.count > 1 ? "s need" : " needs") them")
                }
                skipped += needing
                probes.removeAll(where: \.needsClasses)
            }
        }
        let clock = ContinuousClock()
        var featureTime = Duration.zero
        var report = EvalReport(network: backbone.network, trainImages: 0, valImages: 0, classes: classes,
                                compileSeconds: backbone.compileSeconds, featureSeconds: 0, skipped: skipped)
        let train = split.train.sources(split.trainIndices, side: backbone.side)
        let val = split.val.sources(split.valIndices, side: backbone.side)
        guard !train.kept.isEmpty, !val.kept.isEmpty else { throw EvalError("no readable \(train.kept.isEmpty ? "training" : "validation") image") }
        report.trainImages = train.kept.count
        report.valImages = val.kept.count

        if probes.contains(where: \.needsClasses) {
            let start = clock.now
            let trainTokens = try backbone.features(images: train.images.map(wholeView))
            let valTokens = try backbone.features(images: val.images.map(wholeView))
            featureTime += clock.now - start
            // Images without a class (files at the top of an ImageFolder) take no part.
            let tr = train.kept.indices.filter { split.train.labels[train.kept[$0]] >= 0 }
            let va = val.kept.indices.filter { split.val.labels[val.kept[$0]] >= 0 }
            guard !tr.isEmpty, !va.isEmpty else { throw EvalError("no labelled \(tr.isEmpty ? "training" : "validation") image") }
            let trLabels = tr.map { split.train.labels[train.kept[$0]] }
            let vaLabels = va.map { split.val.labels[val.kept[$0]] }
            if probes.contains(.knn) {
                report.knn = ClassificationProbes.knn(train: trainTokens.cls.selecting(tr), trainLabels: trLabels,
                                                      val: valTokens.cls.selecting(va), valLabels: vaLabels,
                                                      classes: classes.count, k: options.k, temperature: options.temperature)
                log(String(format: "knn: top-1 %.2f%% (k=%d, T=%g)", report.knn!.top1, report.knn!.k, options.temperature))
            }
            if probes.contains(.linear) {
                let pick: (Tokens) -> FeatureMatrix = { options.linearFeatures == .cls ? $0.cls : $0.clsAndMeanPatch }
                report.linear = try ClassificationProbes.linear(
                    train: pick(trainTokens).selecting(tr), trainLabels: trLabels, val: pick(valTokens).selecting(va),
                    valLabels: vaLabels, classes: classes.count, features: options.linearFeatures.rawValue,
                    steps: options.linearSteps, seed: options.seed)
                log(String(format: "linear: top-1 %.2f%% (%@, lr %g chosen on a hold-out fifth of the training images)",
                           report.linear!.top1, options.linearFeatures.rawValue, report.linear!.learningRate))
            }
        }
        if probes.contains(.position) {
            let start = clock.now
            let (trX, trY) = try cropFeatures(backbone, images: train.images, indices: train.kept, seed: options.seed)
            let (vaX, vaY) = try cropFeatures(backbone, images: val.images, indices: val.kept, seed: options.seed)
            featureTime += clock.now - start
            report.position = try PositionProbe.run(train: trX, trainTargets: trY, val: vaX, valTargets: vaY, grid: backbone.grid,
                                                    steps: options.positionSteps, seed: options.seed)
            log(String(format: "position: mean error %.3f patches, R^2 %.4f (%d train / %d val patches)",
                       report.position!.meanErrorPatches, report.position!.r2, trX.rows, vaX.rows))
        }
        let t = featureTime.components
        report.featureSeconds = Double(t.seconds) + Double(t.attoseconds) * 1e-18
        return report
    }

    /// Patch features of one crop per image and the normalised centre of each patch.
    static func cropFeatures(_ backbone: Backbone, images: [RGBImage], indices: [Int], seed: UInt64) throws -> (FeatureMatrix, FeatureMatrix) {
        var views: [[Float]] = [], boxes: [CropBox] = [], flips: [Bool] = [], targets: [Float] = []
        for (img, i) in zip(images, indices) {
            let (box, flip) = PositionProbe.crop(side: backbone.side, seed: seed, image: i)
            var v = ViewGeometry.resample(img, box: box, side: backbone.side, flip: flip)
            Photometric.normalize(&v, side: backbone.side)
            views.append(v)
            boxes.append(box)
            flips.append(flip)
            targets += PositionProbe.targets(box: box, flip: flip, grid: backbone.grid, side: backbone.side)
        }
        let tokens = try backbone.features(views: views, boxes: boxes, flips: flips)
        return (tokens.patches, FeatureMatrix(rows: targets.count / 2, dim: 2, values: targets))
    }
}
