import VFCIR
import VFCInterpreter
import VFCTensor

/// The backbone of a training state under timm's `VisionTransformer` key names
/// (method.md section 7): `cls_token` [1, 1, D], `pos_embed` [1, 1 + n^2, D] (pe_cls, then
/// the field sampled on the n x n patch grid of the whole image, no flip), `patch_embed.*`,
/// `blocks.*` and `norm.*` unchanged. Heads, tokens of the masks and optimizer state are
/// left out, so `load_state_dict(strict=True)` of a headless timm model (`num_classes=0`)
/// takes the file as it is.
///
/// The source side is the field's side (method.md: Fs = S) and n = S / P, P from the
/// patch embedding's kernel. `prefix` selects the network (`""` the student, `"teacher."`).
public func timmBackbone(state: [String: Tensor], prefix: String = "") throws -> [String: Tensor] {
    func get(_ name: String) throws -> Tensor {
        guard let t = state[prefix + name] else { throw StepError.missingStateTensor(prefix + name) }
        return t.dtype == .f32 ? t : t.converted(to: .f32)
    }
    let field = try get("pos_field")
    let weight = try get("patch_embed.proj.weight")
    guard field.rank == 3, field.shape[0] == field.shape[1], weight.rank == 4, weight.shape[2] == weight.shape[3],
          weight.shape[0] == field.shape[2], weight.shape[2] > 0, field.shape[0] % weight.shape[2] == 0 else {
        throw StepError.timmLayout(prefix: prefix, field: field.shape, weight: weight.shape)
    }
    let (side, d, patch) = (field.shape[0], field.shape[2], weight.shape[2])
    let grid = side / patch
    var out: [String: Tensor] = [:]
    let cls = try get("cls_token")
    guard cls.shape == [d], let cls3 = cls.reshaped(to: [1, 1, d]) else {
        throw StepError.classToken(prefix: prefix, shape: cls.shape, width: d)
    }
    out["cls_token"] = cls3
    let samples = try sampleOnFullGrid(field: field, grid: grid)
    let posCls = try get("pos_cls")
    var pos = Tensor(dtype: .f32, shape: [1, 1 + grid * grid, d])
    pos.withUnsafeMutableBufferPointer { p in
        posCls.withUnsafeBufferPointer { c in for k in 0..<d { p[k] = c[k] } }
        samples.withUnsafeBufferPointer { s in for k in 0..<s.count { p[d + k] = s[k] } }
    }
    out["pos_embed"] = pos
    let kept: (String) -> Bool = { n in
        n.hasPrefix("patch_embed.") || n.hasPrefix("blocks.") || n.hasPrefix("norm.")
    }
    for (name, t) in state where name.hasPrefix(prefix) {
        let key = String(name.dropFirst(prefix.count))
        if prefix.isEmpty, name.hasPrefix("teacher.") || name.hasPrefix("opt.") { continue }
        if kept(key) { out[key] = t.dtype == .f32 ? t : t.converted(to: .f32) }
    }
    return out
}

/// The field sampled at the patch centres of the whole image (box (0, 0, S, S), no flip),
/// [grid^2, D], by the `crop_sample` op itself so the export cannot drift from training.
private func sampleOnFullGrid(field: Tensor, grid: Int) throws -> Tensor {
    let (s, d) = (field.shape[0], field.shape[2])
    let text = """
        param @pos_field : f32[\(s), \(s), \(d)]
        func @sample(%boxes: f32[1, 4], %flips: u8[1]) -> f32[1, \(grid * grid), \(d)] {
          %pe = crop_sample @pos_field, %boxes, %flips {grid = \(grid), source = \(s)}
          return %pe
        }
        """
    var module = try Parser.parse(text, file: "<export>")
    try Verifier.run(&module)
    let boxes = Tensor(dtype: .f32, shape: [1, 4], scalars: [0, 0, Double(s), Double(s)])
    let flips = Tensor(dtype: .u8, shape: [1])
    let out = try Interpreter(module: module).run(function: "sample", inputs: [boxes, flips], params: ["pos_field": field], bindings: [:])
    return out[0]
}
