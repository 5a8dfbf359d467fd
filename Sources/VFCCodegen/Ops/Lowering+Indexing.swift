import CLLVM
import VFCIR

/// Lowering of `nonzero` (fixed and run-time extents) and of the run-time-extent forms of
/// take and scatter_add, the ops that gather the rows a mask selects and scatter their
/// gradients back.
///
/// The loops are the fixed lowerings' (`Lowering+Movement.swift`) with i64 values for the
/// extents, read from the dim block. Bad input stops the run with the interpreter's
/// located message and exit status 1: an index outside its axis (`checkIndex`), a mask with more
/// nonzero elements than the `nonzero` result holds.
extension FunctionLowering {
    /// `nonzero` with fixed extents.
    mutating func lowerNonzero(_ fill: Int, _ mask: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int], loc: SourceLoc) throws {
        let (p, d, maskShape) = try movementBuffer(mask, "nonzero")
        emitNonzero(p, d, count: e.i64(maskShape.reduce(1, *)), out, size: e.i64(shape.first ?? 0), fill: fill, loc: loc)
    }

    /// The ops `lowerRuntimeIndexing` lowers (all three check their input at run time).
    static func isRuntimeIndexing(_ op: Op) -> Bool {
        switch op {
        case .take, .scatterAdd, .nonzero: return true
        default: return false
        }
    }

    /// take, scatter_add or nonzero inside a run-time-dims kernel: `shapes` are the
    /// operands' dims, `shape` the result's, `block` the kernel's dim block.
    mutating func lowerRuntimeIndexing(_ op: Op, _ ops: [Lowered], _ shapes: [[Dim]?], _ out: LLVMValueRef,
                                       _ dtype: DType, _ shape: [Dim], _ block: LLVMValueRef, loc: SourceLoc) throws {
        func buffer(_ k: Int) throws -> (LLVMValueRef, DType, [Dim]) {
            guard k < ops.count, case .buffer(let p, let d, _) = ops[k], let s = shapes[k] else {
                throw CodegenError.internalError("\(op.name): operand \(k) is not a tensor")
            }
            return (p, d, s)
        }
        func extentOf(_ dims: ArraySlice<Dim>) -> LLVMValueRef { extent(product(Array(dims)) ?? Dim(0), block) }
        switch op {
        case .nonzero(_, let fill):
            let (p, d, maskShape) = try buffer(0)
            emitNonzero(p, d, count: count(maskShape, block), out, size: extentOf(shape[...]), fill: fill, loc: loc)
        case .take(let axis):
            let (p, d, xs) = try buffer(0)
            let (ip, id, iShape) = try buffer(1)
            let a = try movementAxis(axis, xs.count, "take")
            let n = extentOf(xs[a...a])
            takeRows(p, d, ip, id, out, outer: extentOf(xs[..<a]), n: n, inner: extentOf(xs[(a + 1)...]), m: count(iShape, block)) { r, j in
                checkIndex(r, position: j, size: n, axis: a, op: "take", loc: loc)
            }
        case .scatterAdd(let axis, _):
            // The result is zeroed (a partial writer).
            let (p, d, _) = try buffer(0)
            let (ip, id, iShape) = try buffer(1)
            guard axis >= 0, axis < shape.count else {
                throw CodegenError.unsupported(loc, "scatter_add: axis \(axis) is out of range for rank \(shape.count)")
            }
            let size = extentOf(shape[axis...axis])
            scatterRows(p, d, ip, id, out, outer: extentOf(shape[..<axis]), size: size, inner: extentOf(shape[(axis + 1)...]),
                        m: count(iShape, block)) { r, j in
                checkIndex(r, position: j, size: size, axis: axis, op: "scatter_add", loc: loc)
            }
        default:
            throw CodegenError.internalError("\(op.name) is not an indexing op")
        }
    }

    /// out[0..<k] = the flat indices of the nonzero elements of p[0..<count] in order, then
    /// `fill` up to `size`; k > size stops the run with the interpreter's message. One
    /// sequential pass: the masks it reads are small next to the rows they select.
    func emitNonzero(_ p: LLVMValueRef, _ d: DType, count: LLVMValueRef, _ out: LLVMValueRef, size: LLVMValueRef,
                     fill: Int, loc: SourceLoc) {
        let found = LLVMBuildAlloca(e.builder, e.i64, "nonzero.found")!
        LLVMBuildStore(e.builder, e.i64(0), found)
        e.loop(count, "nonzero.i") { i in
            let v = e.load(p, d, i)
            let zero = LLVMConstNull(LLVMTypeOf(v))
            let hit = d.isFloat ? LLVMBuildFCmp(e.builder, LLVMRealUNE, v, zero, "")! : LLVMBuildICmp(e.builder, LLVMIntNE, v, zero, "")!
            let yes = e.block("nonzero.hit"), store = e.block("nonzero.store"), bump = e.block("nonzero.bump"), next = e.block("nonzero.next")
            LLVMBuildCondBr(e.builder, hit, yes, next)
            LLVMPositionBuilderAtEnd(e.builder, yes)
            let k = LLVMBuildLoad2(e.builder, e.i64, found, "")!
            LLVMBuildCondBr(e.builder, LLVMBuildICmp(e.builder, LLVMIntSLT, k, size, ""), store, bump)
            LLVMPositionBuilderAtEnd(e.builder, store)
            e.store(i, out, .i64, k)
            LLVMBuildBr(e.builder, bump)
            LLVMPositionBuilderAtEnd(e.builder, bump)
            LLVMBuildStore(e.builder, e.add(k, 1), found)
            LLVMBuildBr(e.builder, next)
            LLVMPositionBuilderAtEnd(e.builder, next)
        }
        let total = LLVMBuildLoad2(e.builder, e.i64, found, "")!
        let ok = e.block("nonzero.fits"), bad = e.block("nonzero.overflow")
        LLVMBuildCondBr(e.builder, LLVMBuildICmp(e.builder, LLVMIntSLE, total, size, ""), ok, bad)
        LLVMPositionBuilderAtEnd(e.builder, bad)
        let format = "\(printfPlace(loc)): error: nonzero: the mask has %lld nonzero elements, more than size %lld"
        _ = e.call("vfc_index_error", e.void, [e.ptr, e.i64, e.i64], [LLVMBuildGlobalStringPtr(e.builder, format, "vfc.nonzero.message")!, total, size])
        LLVMBuildUnreachable(e.builder)
        LLVMPositionBuilderAtEnd(e.builder, ok)
        e.loop(from: total, to: size, "nonzero.fill") { j in e.store(e.i64(fill), out, .i64, j) }
    }
}
