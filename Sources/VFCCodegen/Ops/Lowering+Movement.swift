import CLLVM
import VFCIR

/// Lowering of the data-movement family. Everything but take and scatter_add is one
/// strided copy (`movementCopy`): a loop nest over an iteration shape whose source and
/// destination offsets are static strides times the loop indices. Axes that are
/// contiguous in both buffers are merged first, so the innermost loop is as long as
/// possible, and an innermost run that is contiguous on both sides becomes a `memcpy`;
/// an innermost stride-0 source (broadcast) is a splat store that LLVM vectorises.
///
/// take and scatter_add check every index: one outside [0, n) makes the runtime print the
/// interpreter's located message (`FILE:LINE:COL: error: take: index 5 at position 1 of
/// the indices is out of range for axis 0 of size 3`) and exit with status 1, since
/// generated code cannot throw.
extension FunctionLowering {
    mutating func lowerBroadcast(_ dims: [Int], _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let (p, d, xShape) = try movementBuffer(x, "broadcast")
        let xs = movementStrides(xShape)
        var src = [Int](repeating: 0, count: shape.count)
        for (k, r) in dims.enumerated() where xShape[k] != 1 { src[r] = xs[k] }
        movementCopy(d, shape: shape, from: p, srcStrides: src, to: out, dstStrides: movementStrides(shape))
    }

    mutating func lowerTranspose(_ perm: [Int], _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let (p, d, xShape) = try movementBuffer(x, "transpose")
        let xs = movementStrides(xShape)
        movementCopy(d, shape: shape, from: p, srcStrides: perm.map { xs[$0] }, to: out, dstStrides: movementStrides(shape))
    }

    mutating func lowerSlice(_ axis: Int, _ start: Int, _ step: Int, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let (p, d, xShape) = try movementBuffer(x, "slice")
        let a = try movementAxis(axis, xShape.count, "slice")
        var src = movementStrides(xShape)
        let base = start * src[a]
        src[a] *= step
        movementCopy(d, shape: shape, from: p, srcBase: base, srcStrides: src, to: out, dstStrides: movementStrides(shape))
    }

    /// The result is zero already (`vfc_alloc` zeroes); x's rows go to low + k (interior + 1).
    mutating func lowerPad(_ axis: Int, _ low: Int, _ interior: Int, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let (p, d, xShape) = try movementBuffer(x, "pad")
        let a = try movementAxis(axis, xShape.count, "pad")
        var dst = movementStrides(shape)
        let base = low * dst[a]
        dst[a] *= interior + 1
        movementCopy(d, shape: xShape, from: p, srcStrides: movementStrides(xShape), to: out, dstBase: base, dstStrides: dst)
    }

    /// Each operand is copied into its slab of the result along `axis`.
    mutating func lowerConcat(_ axis: Int, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let a = try movementAxis(axis, shape.count, "concat")
        let dst = movementStrides(shape)
        var offset = 0
        for o in ops {
            let (p, d, xShape) = try movementBuffer(o, "concat")
            movementCopy(d, shape: xShape, from: p, srcStrides: movementStrides(xShape), to: out, dstBase: offset * dst[a], dstStrides: dst)
            offset += xShape[a]
        }
    }

    /// out[o, j, i] = x[o, idx[j], i] over (outer, indices, inner), one row copy per index.
    mutating func lowerTake(_ axis: Int, _ x: Lowered, _ idx: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int], loc: SourceLoc) throws {
        let (p, d, xShape) = try movementBuffer(x, "take")
        let (ip, id, iShape) = try movementBuffer(idx, "take")
        let a = try movementAxis(axis, xShape.count, "take")
        let outer = xShape[..<a].reduce(1, *), n = xShape[a], inner = xShape[(a + 1)...].reduce(1, *)
        let m = iShape.reduce(1, *)
        guard outer > 0, m > 0, inner > 0 else { return }
        takeRows(p, d, ip, id, out, outer: e.i64(outer), n: e.i64(n), inner: e.i64(inner), m: e.i64(m)) { r, j in
            checkIndex(r, position: j, size: e.i64(n), axis: a, op: "take", loc: loc)
        }
    }

    /// The result is zero already; each updates row is added into out[o, idx[j], :] in
    /// row-major order over the updates (a fixed order).
    mutating func lowerScatterAdd(_ axis: Int, _ u: Lowered, _ idx: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int], loc: SourceLoc) throws {
        let (p, d, _) = try movementBuffer(u, "scatter_add")
        let (ip, id, iShape) = try movementBuffer(idx, "scatter_add")
        guard axis >= 0, axis < shape.count else { throw CodegenError.unsupported(loc, "scatter_add: axis \(axis) is out of range for rank \(shape.count)") }
        let outer = shape[..<axis].reduce(1, *), size = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        let m = iShape.reduce(1, *)
        guard outer > 0, m > 0, inner > 0 else { return }
        scatterRows(p, d, ip, id, out, outer: e.i64(outer), size: e.i64(size), inner: e.i64(inner), m: e.i64(m)) { r, j in
            checkIndex(r, position: j, size: e.i64(size), axis: axis, op: "scatter_add", loc: loc)
        }
    }

    /// out[o, j, :] = x[o, idx[j], :] over (outer, m) rows of `inner` elements, the extents
    /// i64 values (constants, or read from the dim block); `check(index, j)` guards each index.
    func takeRows(_ p: LLVMValueRef, _ d: DType, _ ip: LLVMValueRef, _ id: DType, _ out: LLVMValueRef,
                  outer: LLVMValueRef, n: LLVMValueRef, inner: LLVMValueRef, m: LLVMValueRef,
                  check: (LLVMValueRef, LLVMValueRef) -> Void) {
        let rowBytes = e.mul(inner, d.byteSize)
        indexedRows(ip, id, outer: outer, m: m, "take", check: check) { o, j, r in
            let src = e.mul(e.add(e.mul(o, n), r), inner)
            let dst = e.mul(e.add(e.mul(o, m), j), inner)
            LLVMBuildMemCpy(e.builder, e.gep(out, d, dst), 1, e.gep(p, d, src), 1, rowBytes)
        }
    }

    /// The transpose of `takeRows` into a zeroed `out`: each updates row added into
    /// out[o, idx[j], :] in row-major order over the updates (a fixed order).
    func scatterRows(_ p: LLVMValueRef, _ d: DType, _ ip: LLVMValueRef, _ id: DType, _ out: LLVMValueRef,
                     outer: LLVMValueRef, size: LLVMValueRef, inner: LLVMValueRef, m: LLVMValueRef,
                     check: (LLVMValueRef, LLVMValueRef) -> Void) {
        indexedRows(ip, id, outer: outer, m: m, "scatter", check: check) { o, j, r in
            let dst = e.mul(e.add(e.mul(o, size), r), inner)
            let src = e.mul(e.add(e.mul(o, m), j), inner)
            e.loop(inner, "scatter.i") { i in
                let at = e.add(dst, i)
                e.store(movementAccumulate(e.load(out, d, at), e.load(p, d, e.add(src, i)), d), out, d, at)
            }
        }
    }

    /// body(o, j, idx[j]) for every (o, j) of outer x m, after check(idx[j], j).
    private func indexedRows(_ ip: LLVMValueRef, _ id: DType, outer: LLVMValueRef, m: LLVMValueRef, _ name: String,
                             check: (LLVMValueRef, LLVMValueRef) -> Void, _ body: (LLVMValueRef, LLVMValueRef, LLVMValueRef) -> Void) {
        e.loop(outer, name + ".o") { o in
            e.loop(m, name + ".j") { j in
                let r = movementIndex(ip, id, j)
                check(r, j)
                body(o, j, r)
            }
        }
    }

    // MARK: helpers shared with the vision family

    /// The pointer, dtype and shape of a tensor operand.
    func movementBuffer(_ o: Lowered, _ op: String) throws -> (LLVMValueRef, DType, [Int]) {
        guard case .buffer(let p, let d, let s) = o else { throw CodegenError.internalError("\(op) of a literal") }
        return (p, d, s)
    }

    /// A possibly negative axis resolved against `rank`.
    func movementAxis(_ axis: Int, _ rank: Int, _ op: String) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw CodegenError.internalError("\(op): axis \(axis) is out of range for rank \(rank)") }
        return a
    }

    func movementStrides(_ shape: [Int]) -> [Int] { rowMajorStrides(shape) }

    /// Element `j` of an index buffer as i64 (signed types sign-extended).
    private func movementIndex(_ p: LLVMValueRef, _ d: DType, _ j: LLVMValueRef) -> LLVMValueRef {
        let v = e.load(p, d, j)
        switch d {
        case .i64: return v
        case .i32: return LLVMBuildSExt(e.builder, v, e.i64, "")
        case .u8, .i1: return LLVMBuildZExt(e.builder, v, e.i64, "")
        case .f32, .f64: return e.intrinsic("llvm.fptosi.sat", overloads: [e.i64, e.storage(d)], [v])
        }
    }

    /// `acc + x` in dtype `d`: floats add (contractible), integers saturate as the
    /// interpreter's rounding of its sums does (u8 unsigned, i1 as "or").
    private func movementAccumulate(_ acc: LLVMValueRef, _ x: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        switch d {
        case .f32, .f64: return e.fastMath(LLVMBuildFAdd(e.builder, acc, x, ""))
        case .i32, .i64: return e.intrinsic("llvm.sadd.sat", e.storage(d), [acc, x])
        case .u8: return e.intrinsic("llvm.uadd.sat", e.i8, [acc, x])
        case .i1: return LLVMBuildOr(e.builder, acc, x, "")
        }
    }

    /// Unless 0 <= index < size, calls the runtime with the interpreter's message for this
    /// op (located at the op), which exits with status 1. `size` is an i64 value: a
    /// constant is written into the message (`vfc_index_error`), a size read from the dim
    /// block with run-time dims is passed along (`vfc_index_error_sized`).
    func checkIndex(_ index: LLVMValueRef, position: LLVMValueRef, size: LLVMValueRef, axis: Int, op: String, loc: SourceLoc) {
        let ok = e.block("\(op).index.ok"), bad = e.block("\(op).index.bad")
        LLVMBuildCondBr(e.builder, LLVMBuildICmp(e.builder, LLVMIntULT, index, size, ""), ok, bad)
        LLVMPositionBuilderAtEnd(e.builder, bad)
        let known = LLVMIsAConstantInt(size) != nil
        let sizeText = known ? "\(LLVMConstIntGetSExtValue(size))" : "%lld"
        let format = "\(printfPlace(loc)): error: \(op): index %lld at position %lld of the indices is out of range for axis \(axis) of size \(sizeText)"
        let text = LLVMBuildGlobalStringPtr(e.builder, format, "vfc.index.message")!
        if known {
            _ = e.call("vfc_index_error", e.void, [e.ptr, e.i64, e.i64], [text, index, position])
        } else {
            _ = e.call("vfc_index_error_sized", e.void, [e.ptr, e.i64, e.i64, e.i64], [text, index, position, size])
        }
        LLVMBuildUnreachable(e.builder)
        LLVMPositionBuilderAtEnd(e.builder, ok)
    }

    /// The op's location as printf text ('%' in the file name doubled).
    func printfPlace(_ loc: SourceLoc) -> String {
        "\(loc)".replacingOccurrences(of: "%", with: "%%")
    }


    /// For every index tuple `i` of `shape`:
    /// dst[dstBase + sum i_k dstStrides_k] = src[srcBase + sum i_k srcStrides_k].
    /// Size-1 axes are dropped and axes contiguous in both buffers merged, then one loop
    /// per remaining axis is emitted; an innermost run of stride 1 on both sides is a memcpy.
    func movementCopy(_ d: DType, shape: [Int], from src: LLVMValueRef, srcBase: Int = 0, srcStrides: [Int],
                     to dst: LLVMValueRef, dstBase: Int = 0, dstStrides: [Int]) {
        if shape.contains(0) { return }
        var axes: [(n: Int, s: Int, t: Int)] = []
        for k in shape.indices where shape[k] != 1 {
            let cur = (n: shape[k], s: srcStrides[k], t: dstStrides[k])
            if let last = axes.last, last.s == cur.s * cur.n, last.t == cur.t * cur.n {
                axes[axes.count - 1] = (n: last.n * cur.n, s: cur.s, t: cur.t)
            } else {
                axes.append(cur)
            }
        }
        func level(_ k: Int, _ so: LLVMValueRef, _ to: LLVMValueRef) {
            if k == axes.count {
                e.store(e.load(src, d, so), dst, d, to)
                return
            }
            let (n, s, t) = axes[k]
            if k == axes.count - 1, s == 1, t == 1 {
                LLVMBuildMemCpy(e.builder, e.gep(dst, d, to), 1, e.gep(src, d, so), 1, e.i64(n * d.byteSize))
                return
            }
            e.loop(n, "copy\(k)") { i in
                level(k + 1, movementStep(so, i, s), movementStep(to, i, t))
            }
        }
        level(0, e.i64(srcBase), e.i64(dstBase))
    }

    /// base + i * stride (base itself for stride 0).
    private func movementStep(_ base: LLVMValueRef, _ i: LLVMValueRef, _ stride: Int) -> LLVMValueRef {
        stride == 0 ? base : e.add(base, e.mul(i, stride))
    }
}
