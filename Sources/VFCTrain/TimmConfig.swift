import Foundation
import VFCData
import VFCIR
import VFCTensor

/// What timm needs besides the weights to rebuild an exported backbone and feed it: the
/// `config.json` of a model folder, which `timm.create_model("local-dir:DIR",
/// pretrained=True)` reads (the layout of timm's `save_for_hf` and of the Hugging Face hub):
/// `architecture` (a registered timm entrypoint), `model_args` (every dimension, overriding
/// the entrypoint's), and `pretrained_cfg` (input size and preprocessing).
public struct TimmConfig: Equatable, Sendable {
    public var imageSize: Int
    public var patchSize: Int
    public var embedDim: Int
    public var depth: Int
    public var numHeads: Int
    public var mlpHidden: Int

    /// The dimensions of a backbone (`timmBackbone`'s output) with `heads` attention heads:
    /// everything but the head count is in the tensors' shapes.
    public init(backbone: [String: Tensor], heads: Int) throws {
        guard let weight = backbone["patch_embed.proj.weight"], weight.rank == 4,
              let pos = backbone["pos_embed"], pos.rank == 3,
              let fc1 = backbone["blocks.0.mlp.fc1.weight"], fc1.rank == 2 else {
            throw StepError.incompleteBackbone
        }
        embedDim = weight.shape[0]
        patchSize = weight.shape[2]
        let grid = Int(Double(pos.shape[1] - 1).squareRoot().rounded())
        guard grid * grid == pos.shape[1] - 1 else { throw StepError.positionEmbedding(pos.shape) }
        imageSize = grid * patchSize
        mlpHidden = fc1.shape[0]
        depth = Set(backbone.keys.compactMap { key -> Int? in
            guard key.hasPrefix("blocks.") else { return nil }
            return Int(key.dropFirst(7).prefix { $0 != "." })
        }).count
        guard heads > 0, embedDim % heads == 0 else {
            throw StepError.headsDivide(heads: heads, width: embedDim)
        }
        numHeads = heads
    }

    /// A registered timm entrypoint: the standard size with these dimensions when there is
    /// one, else the base ViT. `model_args` set every dimension, so the name only picks
    /// the class and its defaults (qkv bias, LayerNorm eps 1e-6, erf GELU, a class token).
    public var architecture: String {
        let sizes = [(192, 12, 3, "tiny"), (384, 12, 6, "small"), (768, 12, 12, "base"), (1024, 24, 16, "large")]
        if let size = sizes.first(where: { $0.0 == embedDim && $0.1 == depth && $0.2 == numHeads })?.3,
           [(16, 224), (16, 384), (32, 224), (32, 384)].contains(where: { $0 == (patchSize, imageSize) }) {
            return "vit_\(size)_patch\(patchSize)_\(imageSize)"
        }
        return "vit_base_patch16_224"
    }

    /// config.json (sorted keys, so the same export gives the same bytes). Preprocessing is
    /// the data pipeline's (docs/data.md): the shorter side resized to S (bilinear), the
    /// centre S x S crop (crop_pct 1), ImageNet mean and std.
    public func json(network: String) -> String {
        func list(_ xs: [Float]) -> String { "[" + xs.map { String(format: "%.3f", Double($0)) }.joined(separator: ", ") + "]" }
        return """
            {
              "architecture": "\(architecture)",
              "global_pool": "token",
              "model_args": {
                "class_token": true,
                "depth": \(depth),
                "embed_dim": \(embedDim),
                "global_pool": "token",
                "img_size": \(imageSize),
                "mlp_ratio": \(Double(mlpHidden) / Double(embedDim)),
                "num_classes": 0,
                "num_heads": \(numHeads),
                "patch_size": \(patchSize),
                "qkv_bias": true
              },
              "num_classes": 0,
              "num_features": \(embedDim),
              "pretrained_cfg": {
                "classifier": "head",
                "crop_mode": "center",
                "crop_pct": 1.0,
                "custom_load": false,
                "first_conv": "patch_embed.proj",
                "fixed_input_size": true,
                "input_size": [3, \(imageSize), \(imageSize)],
                "interpolation": "bilinear",
                "mean": \(list(Photometric.mean)),
                "num_classes": 0,
                "std": \(list(Photometric.std)),
                "tag": "vfc"
              },
              "vfc": {
                "network": "\(network)",
                "note": "architecture names the timm class; model_args set every dimension"
              }
            }

            """
    }
}

/// The attention head count of a module's encoder: the reshape that splits the qkv
/// projection into [..., 3, heads, D / heads] (method.md section 3). The weights alone do
/// not hold it, and a wrong count still loads, so it is read from the code that trained them.
public func attentionHeads(in module: Module, width: Int) throws -> Int {
    var found = Set<Int>()
    for f in module.functions {
        for inst in f.body {
            guard case .reshape(let shape) = inst.op, shape.count >= 3,
                  shape[shape.count - 3].staticValue == 3,
                  let heads = shape[shape.count - 2].staticValue, let dh = shape[shape.count - 1].staticValue,
                  heads > 0, heads * dh == width else { continue }
            found.insert(heads)
        }
    }
    guard found.count == 1, let heads = found.first else {
        throw StepError.unknownHeads(module: module.name, width: width, found: found.sorted())
    }
    return heads
}
