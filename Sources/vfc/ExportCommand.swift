import ArgumentParser
import Foundation
import VFCIR
import VFCRun
import VFCTensor
import VFCTrain

/// `vfc export RUN_DIR|CKPT --format timm [--teacher] -o DIR|vit.safetensors|-`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the backbone of a checkpoint as a timm model folder (config.json and model.safetensors).",
        discussion: """
            Takes a state file (vfc init, vfc step --out, a checkpoint) or a run directory \
            (its newest ckpt-*.safetensors). Writes cls_token [1, 1, D], pos_embed [1, 1 + n^2, D] \
            (pos_cls, then the positional field sampled on the whole image's patch grid), \
            patch_embed.*, blocks.* and norm.*, under timm's VisionTransformer key names. \
            The student by default, --teacher for the teacher.
            -o DIR (a path not ending in .safetensors that is not an existing file) writes the folder \
            timm.create_model("local-dir:DIR", pretrained=True) loads: DIR/model.safetensors and, \
            beside it, DIR/config.json with the architecture (img_size, patch_size, embed_dim, \
            depth, num_heads, mlp_ratio, num_classes=0, global_pool=token) and the preprocessing \
            (input size, bilinear resize with crop_pct 1, ImageNet mean and std). The weights do \
            not hold the attention head count: it is read from the module, the run's own for a \
            run directory, else --module. -o FILE.safetensors (or - for standard output) writes \
            the weights alone.
            Examples:
              vfc export runs/micro --format timm --teacher -o vit-micro
              vfc export state.safetensors --module IR/ssl_micro.ir --format timm -o vit-micro
            """)

    @Argument(help: ArgumentHelp("A state/checkpoint file, or a run directory.", valueName: "RUN_DIR|CKPT"))
    var source: String

    @Option(help: "The key layout to write (timm).")
    var format = "timm"

    @Flag(help: "Export the teacher (teacher.*) instead of the student.")
    var teacher = false

    @Option(help: ArgumentHelp("The module the state belongs to, for the attention head count of config.json (default: a run directory's own).", valueName: "FILE.ir"))
    var module: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("The model folder to write; a .safetensors path, or '-' for standard output, for the weights alone.", valueName: "DIR|OUT.safetensors|-"))
    var output: String

    func run() throws {
        try reportingErrors {
            guard format == "timm" else { throw DriverError.optionChoice("--format", choices: "timm", got: format) }
            guard !output.isEmpty else { throw DriverError.emptyOutput(noun: "path") }
            let path = try checkpointPath(source)
            // A folder unless a file is named: '-', a .safetensors path, or an existing file.
            var isDirectory: ObjCBool = false
            let existingFile = FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory) && !isDirectory.boolValue
            let folder = !StandardOutput.named(output) && !output.hasSuffix(".safetensors") && !existingFile
            let weightsPath = folder ? (output as NSString).appendingPathComponent("model.safetensors") : output
            let configPath = folder ? (output as NSString).appendingPathComponent("config.json") : nil
            try checkOutputs([NamedPath("-o", weightsPath), NamedPath("-o", configPath)],
                             inputs: [NamedPath("the checkpoint", path), NamedPath("--module", module)])
            let state = try readVerifiedSafetensors(path)
            let network = teacher ? "teacher" : "student"
            let backbone = try timmBackbone(state: state.tensors, prefix: teacher ? "teacher." : "")
            let weights = SafetensorsFile(tensors: backbone, metadata: ["format": "pt"])
            guard let configPath else {
                try StandardOutput.write(weights, to: output, option: "-o")
                return
            }
            let width = backbone["patch_embed.proj.weight"]?.shape.first ?? 0
            let heads = try attentionHeads(in: try exportModule(), width: width)
            let config = try TimmConfig(backbone: backbone, heads: heads)
            try RunFiles.createDirectory(output)
            try weights.write(path: weightsPath)
            try AtomicWrite.write(Array(config.json(network: network).utf8), to: configPath)
        }
    }

    /// --module, or the module of the run directory given as the source.
    private func exportModule() throws -> Module {
        if let module { return try loadModule(module) }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir), isDir.boolValue else {
            throw DriverError.stateNeedsModule(source)
        }
        let config = try RunConfig.read(runDirectory: source)
            .resolvingPaths(runDirectory: source, currentDirectory: FileManager.default.currentDirectoryPath).config
        return try loadModule(config.module)
    }
}

/// `source` itself when it is a file; for a run directory, its newest checkpoint.
func checkpointPath(_ source: String) throws -> String {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
        throw DriverError.noSuchPath(source)
    }
    guard isDir.boolValue else { return source }
    guard let newest = CheckpointStore(runDirectory: source).list().first else {
        throw DriverError.noCheckpoint(source)
    }
    return newest.path
}
