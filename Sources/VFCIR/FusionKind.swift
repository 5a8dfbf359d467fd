/// What a fused kernel (`@F.fused.K`, written by the fuse-* passes) is, so the code
/// generator lowers it by its kind instead of trying each form in turn. Printed before
/// the kernel's `func` as `fused(KIND)`; the body stays ordinary IR (the interpreter runs it,
/// `inline` undoes the fusion).
public enum FusionKind: String, CaseIterable, Hashable, Sendable {
    /// Elementwise ops only: one loop over the elements (`fuse-elementwise`).
    case loop
    /// A row anchor (softmax, log_softmax, layer_norm over the last axis) with the
    /// elementwise ops computed where it loads (prologue) and stores (epilogue).
    case row
    /// A reduction over trailing axes with its prologue and epilogue (`fuse-reductions`).
    case reduce
    /// A product (matmul, linear) and one pass applying its elementwise epilogue (`fuse-epilogues`).
    case epilogue
    /// The backward of crop_sample_add: masked selects, token sums and the field scatter
    /// in one pass over the gradient (`fuse-crop-sample`).
    case cropSample = "crop_sample"
    /// Independent same-bodied elementwise parts, one per tensor, run as one loop over a
    /// table of buffers (`fuse-horizontal`: the optimizer update).
    case multiTensor = "multi_tensor"
    /// Independent same-bodied full sums and the scalar ops combining them, in one
    /// parallel loop (`fuse-horizontal-reductions`: the gradient norm).
    case multiSum = "multi_sum"
}
