/// Every operation of the vfc IR, with its attributes as associated values.
///
/// Shape rules, the interpreter and (later) gradients and code generation each switch over
/// this enum exhaustively, so a new case cannot be added without all of its rules.
/// Operand conventions are documented per case; `docs/IR.md` is the full reference.
public enum Op: Hashable, Sendable {
    /// `neg %x`, `exp %x`, ...: one operand, same type.
    case unary(UnaryOp)
    /// `add %a, %b`: same shapes, or one operand of rank 0 (a literal like `0.5` or an `[]` value).
    case binary(BinaryOp)
    /// `lt %a, %b`: like binary, result `i1`.
    case compare(CompareOp)
    /// `select %cond, %a, %b`: cond is `i1`/`u8` with the shape of the result; a and b as in binary.
    case select
    /// `constant {value = 0.5} : f32[2, 3]` or `{value = [1, 2, 3]}`; the result type is required.
    case constant(ConstantValue)
    /// `convert %x {dtype = f32}`: element type conversion (float to int truncates toward zero).
    case convert(DType)
    /// `broadcast %x {shape = [N, 4, 8], dims = [0, 2]}`: operand axis k becomes result axis
    /// dims[k] (XLA's broadcast_in_dim); operand dims are equal to those result dims or 1.
    case broadcast(shape: [Dim], dims: [Int])
    /// `reshape %x {shape = [2*B, 64]}`: same element count, row-major order kept.
    case reshape(shape: [Dim])
    /// `transpose %x {perm = [0, 2, 1]}`: result axis i is operand axis perm[i].
    case transpose(perm: [Int])
    /// `slice %x {axis = 1, start = 0, end = 1, step = 1}`: one axis, static size, end exclusive.
    case slice(axis: Int, start: Int, end: Int, step: Int)
    /// `concat %a, %b, ... {axis = 1}`.
    case concat(axis: Int)
    /// `take %x, %idx {axis = 0}`: numpy take; result shape x[:axis] + idx + x[axis+1:].
    case take(axis: Int)
    /// `reduce_sum %x {axes = [1], keep_dims = false}` (also reduce_max, reduce_min, reduce_mean).
    case reduce(ReduceOp, axes: [Int], keepDims: Bool)
    /// `matmul %a, %b {transpose_a, transpose_b}`: [..., m, k] x [..., k, n] with equal batch
    /// dims, or any-rank a with rank-2 b (rows of a times b, as in a linear layer).
    case matmul(transposeA: Bool, transposeB: Bool)
    /// `linear %x, %w, %b`: x [..., in], w [out, in], b [out] to x w^T + b, [..., out].
    case linear
    /// `softmax %x {axis = -1}`.
    case softmax(axis: Int)
    /// `log_softmax %x {axis = -1}`.
    case logSoftmax(axis: Int)
    /// `layer_norm %x, %weight, %bias {eps = 1e-6}`: over the last axis, biased variance.
    case layerNorm(eps: Double)
    /// `l2_normalize %x {axis = -1, eps = 1e-12}`: x / max(||x||, eps).
    case l2Normalize(axis: Int, eps: Double)
    /// `patchify %views {patch = 8}`: [N, C, H, W] to [N, (H/P)(W/P), C P P], rows row-major,
    /// columns in (channel, py, px) order (method.md section 2).
    case patchify(patch: Int)
    /// `crop_sample %field, %boxes, %flips {grid = 8, source = 64}`: bilinear samples of the
    /// field [Fs, Fs, D] at the grid x grid patch centres of each box [N, 4] (x0, y0, w, h)
    /// with flips [N], to [N, grid^2, D] (method.md section 2).
    case cropSample(grid: Int, source: Int)
    /// `crop_sample_add %x, %field, %boxes, %flips, %mc, %mask_token, %mp, %pos_mask_token
    /// {grid, source}`: (mc ? mask_token : x) + (mp ? pos_mask_token : crop_sample), masks
    /// [N, grid^2], tokens [D].
    case cropSampleAdd(grid: Int, source: Int)
    /// `pad %x {axis = 1, low = 2, high = 1, interior = 0}`: zeros inserted before, after and
    /// between the elements of one static axis (the transpose of `slice`).
    case pad(axis: Int, low: Int, high: Int, interior: Int)
    /// `scatter_add %updates, %indices {axis = 0, size = 10}`: zeros of shape
    /// updates[:axis] + [size] + updates[axis + rank(indices):], plus each update added at its
    /// index along `axis` (the transpose of `take`); out-of-range indices are errors.
    case scatterAdd(axis: Int, size: Dim)
    /// `nonzero %mask {size = 2*B, fill = -1}`: i64[size], the row-major flat indices of the
    /// mask's nonzero elements in increasing order, then `fill` up to `size` (JAX's
    /// `jnp.nonzero(mask.ravel(), size=size, fill_value=fill)`); more nonzero elements than
    /// `size` is an error at run time.
    case nonzero(size: Dim, fill: Int)
    /// `crop_sample_grad %d_pe, %boxes, %flips {grid = 8, source = 64, field = 64}`: the
    /// transpose of `crop_sample` with respect to the field: each sample's [D] row is
    /// scatter-added into its four neighbouring cells with the bilinear weights, giving
    /// [field, field, D].
    case cropSampleGrad(grid: Int, source: Int, field: Int)
    /// `stop_gradient %x`: the identity, not differentiated through.
    case stopGradient
    /// `%loss, %aux, %g0, %g1 = value_and_grad @f(%x, %y) {wrt = [0, @w]}`: the callee's
    /// results, then the gradients of its first result (a float scalar) with respect to the
    /// listed arguments (by index) and params (`params` lists every param the callee reads).
    /// The `autodiff` pass expands it into a call of a generated gradient function.
    case valueAndGrad(callee: String, wrt: [GradTarget])
    /// `%a, %b = call @f(%x, %y)`.
    case call(callee: String)

    /// The op's name in the text format.
    public var name: String { code.rawValue }
}
