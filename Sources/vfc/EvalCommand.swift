import ArgumentParser
import Foundation
import VFCCodegen
import VFCEval
import VFCIR
import VFCTensor
import VFCTrain

/// `vfc eval CKPT_OR_RUN --data DIR --probe knn|linear|position|boxes|all`: frozen-feature probes.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score the frozen features of a checkpoint with kNN, linear, position and boxes probes.",
        discussion: """
            Features come from the module's own feature functions (@teacher_features or \
            @features on whole images, @teacher_global or @student_global on random crops), \
            JIT-compiled. kNN: DINO's protocol on L2-normalised CLS features (k 20, T 0.07). \
            linear: multinomial logistic regression on CLS (or CLS ++ mean patch), L2 strength \
            chosen on a hold-out fifth of the training images, solved to convergence (L-BFGS, \
            full batch; scikit-learn's LogisticRegression objective). position: a linear map from each \
            patch feature of a random crop to the patch centre in the original image, exact least \
            squares. boxes: an FCOS-style per-patch head (class, distances to the box sides), \
            COCO AP, generated IR that vfc differentiates and compiles. Classes come \
            from ImageFolder subfolders or the labels.json of vfc data synth (the largest object).
            Examples:
              vfc eval runs/micro --data synth --probe all
              vfc eval state.safetensors --ir IR/ssl_micro.ir --data synth --probe knn --json
            """)

    @Argument(help: ArgumentHelp("A checkpoint or state file, or a run directory (its newest checkpoint).", valueName: "CKPT_OR_RUN"))
    var source: String

    @Option(help: ArgumentHelp("The labelled images (ImageFolder classes, or vfc data synth's labels.json).", valueName: "DIR"))
    var data: String

    @Option(help: ArgumentHelp("The module (default: the run's, from config.json or the checkpoint's metadata).", valueName: "FILE.ir"))
    var ir: String?

    @Option(name: .customLong("probe"), parsing: .singleValue,
            help: ArgumentHelp("knn, linear, position, boxes or all (repeatable, or a,b). all: every probe the data has labels for.", valueName: "NAME"))
    var probes: [String] = ["all"]

    @Flag(exclusivity: .exclusive, help: "Features of the teacher (the default, as DINO and iBOT evaluate) or of the student.")
    var network: NetworkChoice = .teacher

    @Option(parsing: .unconditional, help: ArgumentHelp("The fraction of --data held out for validation (seeded), when no --val is given.", valueName: "FRACTION"))
    var split: Double = 0.2

    @Option(help: ArgumentHelp("Validation images in a folder of their own (all of --data then trains the probes).", valueName: "DIR"))
    var val: String?

    @Option(parsing: .unconditional, help: "Seed of the split, the crops and the probes' training.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Neighbours of the kNN probe.")
    var k: Int = 20

    @Option(parsing: .unconditional, help: "Temperature of the kNN probe's weighted vote.")
    var temperature: Double = 0.07

    @Option(help: ArgumentHelp("Input of the linear probe: cls or cls+mean (CLS ++ mean patch token).", valueName: "cls|cls+mean"))
    var linearFeatures: String = "cls"

    @Option(parsing: .unconditional, help: "L-BFGS iterations of the linear probe at most (per fit; it stops earlier at convergence).")
    var linearSteps: Int = 3000

    @Option(parsing: .unconditional, help: "AdamW steps of the boxes probe (batches of 1024 patches).")
    var boxesSteps: Int = 1000

    @Option(parsing: .unconditional, help: "Images per compiled feature call.")
    var batch: Int = 64

    @Option(parsing: .unconditional, help: "Threads of the compiled code (default: every core).")
    var threads: Int?

    @Flag(help: "Print the report as JSON on standard output (instead of lines of text).")
    var json = false

    @Option(name: .shortAndLong, help: ArgumentHelp("Also write the JSON report to this file (atomically).", valueName: "report.json"))
    var output: String?

    @Option(help: ArgumentHelp("Write the CLS features and classes of the kNN and linear probes (train_cls, train_labels, val_cls, val_labels, train_holdout), for checks outside vfc.", valueName: "FILE.safetensors"))
    var featuresOut: String?

    enum NetworkChoice: String, EnumerableFlag {
        case teacher, student
    }

    func run() throws {
        try reportingErrors {
            guard split > 0, split < 1 else { throw DriverError.optionRange("--split", requirement: "a fraction between 0 and 1", got: "\(split)") }
            guard k >= 1 else { throw DriverError.optionRange("--k", requirement: ">= 1", got: "\(k)") }
            guard temperature > 0 else { throw DriverError.optionRange("--temperature", requirement: "> 0", got: "\(temperature)") }
            guard batch >= 1 else { throw DriverError.optionRange("--batch", requirement: ">= 1", got: "\(batch)") }
            for (option, steps) in [("--linear-steps", linearSteps), ("--boxes-steps", boxesSteps)] where steps < 1 {
                throw DriverError.optionRange(option, requirement: ">= 1", got: "\(steps)")
            }
            guard let features = LinearFeatures(rawValue: linearFeatures) else {
                throw DriverError.optionChoice("--linear-features", choices: "cls or cls+mean", got: linearFeatures)
            }
            let (chosen, explicit) = try parseProbeList(probes)
            if let threads {
                guard threads >= 1 else { throw DriverError.optionRange("--threads", requirement: ">= 1", got: "\(threads)") }
                try Runtime.setThreads(threads)
            }
            let path = try checkpointPath(source)
            try checkOutputs([NamedPath("-o", output), NamedPath("--features-out", featuresOut)], inputs: [NamedPath("the checkpoint", path), NamedPath("--ir", ir)])
            let state = try readVerifiedSafetensors(path)
            let irPath = try moduleFile(checkpoint: path, metadata: state.metadata)
            if ir == nil, !FileManager.default.isReadableFile(atPath: irPath) {
                throw DriverError.unreadableRunModule(irPath)
            }
            let module = try loadModule(irPath)
            let warn: (String) -> Void = { printError("vfc: warning: " + $0) }
            let trainSet = try EvalDataset(path: data, warn: warn)
            let evalSplit: EvalSplit
            if let val {
                let valSet = try EvalDataset(path: val, warn: warn)
                evalSplit = EvalSplit(train: trainSet, trainIndices: Array(0..<trainSet.count),
                                      val: valSet, valIndices: Array(0..<valSet.count))
            } else {
                evalSplit = try EvalSplit(holdingOut: split, of: trainSet, seed: seed,
                                          what: "--split \(split) of the \(trainSet.count) image(s) in \(data)",
                                          hint: "; give more images, another --split or --val DIR")
            }
            let backbone = try Backbone(module: module, irName: displayName(irPath), state: state.tensors, source: path,
                                        network: network == .teacher ? .teacher : .student, chunk: batch)
            let say: (String) -> Void = { line in if !json { print(line) } }
            say("vfc eval: \(network.rawValue) of \(path) (\(irPath)); compiled in \(String(format: "%.2f", backbone.compileSeconds)) s")
            let options = EvalOptions(probes: chosen, explicit: explicit, seed: seed, k: k, temperature: temperature,
                                      linearFeatures: features, linearSteps: linearSteps, boxesSteps: boxesSteps)
            let report = try Evaluation.run(backbone: backbone, split: evalSplit, options: options, log: say,
                                            features: featuresOut.map { out in { tensors in
                                                try SafetensorsFile(tensors: tensors, metadata: ["format": "pt"]).write(path: out)
                                            } })
            if !report.skipped.isEmpty {
                printError("vfc: note: skipped the probes the data has no labels for: \(report.skipped.joined(separator: ", "))")
            }
            say("\(report.trainImages) train / \(report.valImages) val images; features in \(String(format: "%.2f s (%.2f s of CPU)", report.featureSeconds, report.featureCpuSeconds))")
            let text = try report.json()
            if json { print(text) }
            if let output { try AtomicWrite.write(Array((text + "\n").utf8), to: output) }
        }
    }

    /// The module: --ir, else the run's (the checkpoint's metadata, or config.json of the
    /// run directory holding the checkpoint).
    private func moduleFile(checkpoint: String, metadata: [String: String]) throws -> String {
        if let ir { return ir }
        if let text = metadata["config"], let config = try? JSONDecoder().decode(RunConfig.self, from: Data(text.utf8)) {
            return config.module
        }
        let dir = (checkpoint as NSString).deletingLastPathComponent
        if let config = try? RunConfig.read(runDirectory: dir.isEmpty ? "." : dir) { return config.module }
        throw DriverError.checkpointWithoutModule(checkpoint)
    }

}

/// `--probe` values (repeatable, or a,b): the probes, and whether they were named (false
/// when `all` is among them).
func parseProbeList(_ specs: [String]) throws -> ([Probe], Bool) {
    var out: [Probe] = []
    var explicit = true
    for name in specs.flatMap({ $0.split(separator: ",").map(String.init) }) {
        if name == "all" {
            explicit = false
            out += Probe.allCases
        } else if let p = Probe(rawValue: name) {
            out.append(p)
        } else {
            throw DriverError.unknownProbe(name, known: Probe.allCases.map(\.rawValue))
        }
    }
    var seen = Set<Probe>()
    return (out.filter { seen.insert($0).inserted }, explicit && !out.isEmpty)
}
