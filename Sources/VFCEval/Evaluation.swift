import Foundation
import VFCData
import VFCTensor

/// A probe of `vfc eval`.
public enum Probe: String, CaseIterable, Sendable, Codable {
    case knn, linear, position, boxes

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
    /// The linear probe's L-BFGS iterations at most, per fit.
    public var linearSteps: Int
    public var boxesSteps: Int

    public init(probes: [Probe], explicit: Bool, seed: UInt64 = 0, k: Int = 20, temperature: Double = 0.07,
                linearFeatures: LinearFeatures = .cls, linearSteps: Int = 3000, boxesSteps: Int = 1000) {
        self.probes = probes
        self.explicit = explicit
        self.seed = seed
        self.k = k
        self.temperature = temperature
        self.linearFeatures = linearFeatures
        self.linearSteps = linearSteps
        self.boxesSteps = boxesSteps
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

    /// `dataset` split by `EvalDataset.split` (seeded), `fraction` of it held out for
    /// validation. When either side is empty, an error: "`what` leaves no training (or
    /// validation) image`hint`".
    public init(holdingOut fraction: Double, of dataset: EvalDataset, seed: UInt64, what: String, hint: String = "") throws {
        let (train, val) = EvalDataset.split(count: dataset.count, fraction: fraction, seed: seed)
        guard !train.isEmpty, !val.isEmpty else {
            throw EvalError.emptySplitSide(what: what, training: train.isEmpty, hint: hint)
        }
        self.init(train: dataset, trainIndices: train, val: dataset, valIndices: val)
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
    /// CPU time of the process (every thread) during feature extraction: what the work
    /// costs, also on a machine shared with other jobs.
    public var featureCpuSeconds: Double
    public var knn: KNNReport?
    public var linear: LinearReport?
    public var position: PositionReport?
    public var boxes: BoxesReport?
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

/// The decoded source images of a split (unreadable files left out), and the probes its
/// labels allow: prepared once, evaluated on any number of states (`vfc train --eval-every`).
public struct PreparedSplit {
    public var split: EvalSplit
    public var train: (kept: [Int], images: [RGBImage])
    public var val: (kept: [Int], images: [RGBImage])
    public var probes: [Probe]
    public var skipped: [String]
}

/// Runs the probes on a frozen backbone.
public enum Evaluation {
    /// `prepare` then `run(backbone:prepared:...)`.
    public static func run(backbone: Backbone, split: EvalSplit, options: EvalOptions, log: (String) -> Void,
                           features: (([String: Tensor]) throws -> Void)? = nil) throws -> EvalReport {
        try run(backbone: backbone, prepared: prepare(split, side: backbone.side, options: options), options: options, log: log,
                features: features)
    }

    /// Checks that the split has the labels the probes need (a probe named explicitly
    /// without them is an error; `--probe all` leaves it out) and decodes its images at the
    /// source side `side`.
    public static func prepare(_ split: EvalSplit, side: Int, options: EvalOptions) throws -> PreparedSplit {
        guard !split.trainIndices.isEmpty else { throw EvalError.noImagesAfterSplit(path: split.train.path, training: true) }
        guard !split.valIndices.isEmpty else { throw EvalError.noImagesAfterSplit(path: split.val.path, training: false) }
        var probes = options.probes
        var skipped: [String] = []
        let classes = split.train.classes
        if probes.contains(where: \.needsClasses) {
            var missing: String?
            if !split.train.hasClassLabels { missing = split.train.path } else if !split.val.hasClassLabels { missing = split.val.path }
            if split.val !== split.train, split.val.classes != classes {
                throw EvalError.classesDiffer(val: split.val.path, valClasses: split.val.classes, train: split.train.path, trainClasses: classes)
            }
            if let missing {
                let needing = probes.filter(\.needsClasses).map(\.rawValue)
                if options.explicit {
                    throw EvalError.noClassLabels(path: missing, probes: needing)
                }
                skipped += needing
                probes.removeAll(where: \.needsClasses)
            }
        }
        if probes.contains(.boxes), split.train.boxes == nil || split.val.boxes == nil {
            let missing = split.train.boxes == nil ? split.train.path : split.val.path
            if options.explicit {
                throw EvalError.noBoxes(path: missing)
            }
            skipped.append("boxes")
            probes.removeAll { $0 == .boxes }
        }
        let train = split.train.sources(split.trainIndices, side: side)
        let val = split.val.sources(split.valIndices, side: side)
        guard !train.kept.isEmpty, !val.kept.isEmpty else { throw EvalError.noReadableImage(training: train.kept.isEmpty) }
        return PreparedSplit(split: split, train: train, val: val, probes: probes, skipped: skipped)
    }

    /// The probes of `prepared` on `backbone`'s features. `features`, when given, receives
    /// the CLS features and classes the kNN and linear probes use (`train_cls` [N, D],
    /// `train_labels` [N] i64, `val_cls`, `val_labels`, and `train_holdout` i64: the training
    /// rows the linear probe's sweep holds out), for checks outside vfc.
    public static func run(backbone: Backbone, prepared: PreparedSplit, options: EvalOptions, log: (String) -> Void,
                           features: (([String: Tensor]) throws -> Void)? = nil) throws -> EvalReport {
        let (split, train, val, probes) = (prepared.split, prepared.train, prepared.val, prepared.probes)
        let classes = split.train.classes
        let clock = ContinuousClock()
        var featureTime = Duration.zero
        var report = EvalReport(network: backbone.network, trainImages: 0, valImages: 0, classes: classes,
                                compileSeconds: backbone.compileSeconds, featureSeconds: 0, featureCpuSeconds: 0,
                                skipped: prepared.skipped)
        report.trainImages = train.kept.count
        report.valImages = val.kept.count

        var wholeTokens: (train: Tokens, val: Tokens)?
        if probes.contains(where: { $0.needsClasses || $0 == .boxes }) {
            let start = clock.now, cpu = processCPUSeconds()
            wholeTokens = (try backbone.features(images: train.images.map(wholeView)), try backbone.features(images: val.images.map(wholeView)))
            featureTime += clock.now - start
            report.featureCpuSeconds += processCPUSeconds() - cpu
        }
        if probes.contains(where: \.needsClasses), let (trainTokens, valTokens) = wholeTokens {
            // Images without a class (files at the top of an ImageFolder) take no part.
            let tr = train.kept.indices.filter { split.train.labels[train.kept[$0]] >= 0 }
            let va = val.kept.indices.filter { split.val.labels[val.kept[$0]] >= 0 }
            guard !tr.isEmpty, !va.isEmpty else { throw EvalError.noLabelledImage(training: tr.isEmpty) }
            let trLabels = tr.map { split.train.labels[train.kept[$0]] }
            let vaLabels = va.map { split.val.labels[val.kept[$0]] }
            if let features {
                let holdOut = ClassificationProbes.holdOutSplit(rows: tr.count, seed: options.seed).holdOut
                func tensor(_ m: FeatureMatrix) -> Tensor {
                    Tensor(dtype: .f32, shape: [m.rows, m.dim], scalars: m.values.map(Double.init))
                }
                try features(["train_cls": tensor(trainTokens.cls.selecting(tr)), "val_cls": tensor(valTokens.cls.selecting(va)),
                              "train_labels": Tensor(dtype: .i64, shape: [tr.count], scalars: trLabels.map(Double.init)),
                              "val_labels": Tensor(dtype: .i64, shape: [va.count], scalars: vaLabels.map(Double.init)),
                              "train_holdout": Tensor(dtype: .i64, shape: [holdOut.count], scalars: holdOut.map(Double.init))])
            }
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
                    maxIterations: options.linearSteps, seed: options.seed)
                let l = report.linear!
                log(String(format: "linear: top-1 %.2f%% (%@, L2 %g chosen on a hold-out fifth of the training images; %@ in %d L-BFGS iterations, largest gradient %.1e)",
                           l.top1, options.linearFeatures.rawValue, l.l2, l.converged ? "converged" : "not converged",
                           l.iterations, l.gradientMax))
            }
        }
        if probes.contains(.position) {
            let start = clock.now, cpu = processCPUSeconds()
            let (trX, trY) = try cropFeatures(backbone, images: train.images, indices: train.kept, seed: options.seed)
            let (vaX, vaY) = try cropFeatures(backbone, images: val.images, indices: val.kept, seed: options.seed)
            featureTime += clock.now - start
            report.featureCpuSeconds += processCPUSeconds() - cpu
            report.position = try PositionProbe.run(train: trX, trainTargets: trY, val: vaX, valTargets: vaY, grid: backbone.grid)
            log(String(format: "position: mean error %.3f patches, R^2 %.4f (%d train / %d val patches)",
                       report.position!.meanErrorPatches, report.position!.r2, trX.rows, vaX.rows))
        }
        if probes.contains(.boxes), let (trainTokens, valTokens) = wholeTokens {
            report.boxes = try BoxesProbe.run(
                trainPatches: trainTokens.patches, trainObjects: train.kept.map { split.train.boxes($0, side: backbone.side) },
                valPatches: valTokens.patches, valObjects: val.kept.map { split.val.boxes($0, side: backbone.side) },
                classes: classes.count, grid: backbone.grid, side: backbone.side, steps: options.boxesSteps, seed: options.seed)
            log(String(format: "boxes: AP %.2f, AP50 %.2f (%d val objects; %d of %d train patches on an object)",
                       report.boxes!.ap, report.boxes!.ap50, report.boxes!.valObjects, report.boxes!.positivePatches, report.boxes!.trainPatches))
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

/// CPU seconds used by this process so far, all threads.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
