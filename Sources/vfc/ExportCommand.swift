import ArgumentParser
import Foundation
import VFCRun
import VFCTensor
import VFCTrain

/// `vfc export RUN_DIR|CKPT --format timm [--teacher] -o vit.safetensors`.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the backbone of a checkpoint with timm's VisionTransformer key names.",
        discussion: """
            Takes a state file (vfc init, vfc step --out, a checkpoint) or a run directory \
            (its newest ckpt-*.safetensors). Writes cls_token [1, 1, D], pos_embed [1, 1 + n^2, D] \
            (pos_cls, then the positional field sampled on the whole image's patch grid), \
            patch_embed.*, blocks.* and norm.*: what timm's vit_*_patch{P}_{S} with \
            num_classes=0 loads with strict=True. The student by default, --teacher for the teacher.
            Example:
              vfc export runs/micro --format timm --teacher -o vit.safetensors
            """)

    @Argument(help: ArgumentHelp("A state/checkpoint file, or a run directory.", valueName: "RUN_DIR|CKPT"))
    var source: String

    @Option(help: "The key layout to write (timm).")
    var format = "timm"

    @Flag(help: "Export the teacher (teacher.*) instead of the student.")
    var teacher = false

    @Option(name: .shortAndLong, help: ArgumentHelp("The file to write.", valueName: "OUT.safetensors"))
    var output: String

    func run() throws {
        try reportingErrors {
            guard format == "timm" else { throw DriverError("--format must be timm, got '\(format)'") }
            let path = try checkpointPath(source)
            try checkOutputs([NamedPath("-o", output)], inputs: [NamedPath("the checkpoint", path)])
            let state = try readVerifiedSafetensors(path)
            let backbone = try timmBackbone(state: state.tensors, prefix: teacher ? "teacher." : "")
            try SafetensorsFile(tensors: backbone, metadata: ["format": "pt"]).write(path: output)
        }
    }
}

/// `source` itself when it is a file; for a run directory, its newest checkpoint.
func checkpointPath(_ source: String) throws -> String {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: source, isDirectory: &isDir) else {
        throw DriverError("cannot read '\(source)': no such file or directory")
    }
    guard isDir.boolValue else { return source }
    guard let newest = CheckpointStore(runDirectory: source).list().first else {
        throw DriverError("\(source): no checkpoint (ckpt-*.safetensors) in the run directory")
    }
    return newest.path
}
