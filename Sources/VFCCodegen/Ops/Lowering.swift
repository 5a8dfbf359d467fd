import CLLVM
import VFCIR
import VFCPasses

/// A value during lowering: a dense row-major buffer, or a scalar literal operand.
enum Lowered {
    case buffer(LLVMValueRef, DType, [Int])
    case literal(Double)

    var shape: [Int] {
        if case .buffer(_, _, let s) = self { return s }
        return []
    }

    /// The element type of a buffer (nil for a literal).
    var dtype: DType? {
        if case .buffer(_, let d, _) = self { return d }
        return nil
    }
}

/// Lowers one verified, call-free function with every symbol bound into an LLVM function
/// with the entry ABI of `EntryPoint`. Every op has a lowering (an exhaustive switch in
/// `lower(_:)` dispatching to one file per op family); intermediates live in one arena
/// per call (`MemoryPlan`), taken from the runtime on entry and given back on return.
struct FunctionLowering {
    var e: Emitter
    let module: Module
    let function: Function
    let bindings: [String: Int]
    var values: [ValueID: Lowered] = [:]
    var params: [String: Lowered] = [:]
    var allocations: [LLVMValueRef] = []
    /// Output buffers not yet claimed by the value they return, by value.
    var outputSlots: [ValueID: LLVMValueRef] = [:]
    /// The attributes of the entry (outlined parallel bodies carry them too).
    var attributes: FunctionAttributes?
    var parallelCount = 0
    /// Functions outlined by `kernel` so far (their names are numbered).
    var kernelCount = 0
    /// Kernels already emitted, by what determines their code (see `kernel`).
    var kernels: [String: (fn: LLVMValueRef, type: LLVMTypeRef)] = [:]
    /// What has been emitted so far (`vfc compile --stats`).
    var stats = LoweringStats()
    /// Liveness and the pool of temporary buffers (`Lowering+Memory.swift`).
    var plan: MemoryPlan
    /// Profiling sites (nil: no profiling code is emitted).
    var profile: ProfileTable?
    /// The profile id of each outlined kernel, by function name.
    var kernelSites: [String: Int] = [:]
    /// The multi-tensor partition of each kernel asked about by `canWriteInPlace`.
    var partitions = PartitionMemo()
    /// The body indices of the view ops (`OpTraits.view`), found once for `canWriteInPlace`,
    /// which asks for every donated result.
    var viewOps: [Int]?
    /// The transposes and slices products read in place, and the products written into a
    /// transpose's buffer (`ViewFolding`).
    var folding: ViewFolding
    /// The run-time dims and the shapes of the values they size (nil: every extent is fixed
    /// at compile time; `Lowering+RuntimeDims.swift`).
    var runtime: RuntimeDims?

    init(e: Emitter, module: Module, function: Function, bindings: [String: Int]) {
        self.e = e
        self.module = module
        self.function = function
        self.bindings = bindings
        let folding = ViewFolding(function, module: module) { function.values[$0.index].type?.evaluate(bindings) }
        self.folding = folding
        self.plan = MemoryPlan(function, sharing: folding.views.mapValues(\.base))
    }

    /// The static shape of a type under the bindings.
    func shape(_ t: TensorType?) throws -> [Int] {
        guard let t else { throw CodegenError.internalError("untyped value") }
        guard let s = t.evaluate(bindings) else {
            let unbound = Set(t.shape.flatMap(\.symbols).filter { bindings[$0] == nil }).sorted()
            throw CodegenError.unbound(function: function.name, symbols: unbound, type: t)
        }
        guard let n = product(s.map { Dim($0) })?.staticValue, n <= Limits.maxElements else {
            throw CodegenError.tooManyElements(function: function.name, type: t, bindings: bindings)
        }
        return s
    }

    /// The entry point this function will have.
    func entryPoint() throws -> EntryPoint {
        var inputs: [EntryPoint.Buffer] = []
        for a in function.arguments {
            let v = function.values[a.index]
            inputs.append(try entryBuffer(v.name, v.type))
        }
        // The params it reads, and those it only donates a result to, in declaration order.
        var read = Set(module.paramsRead(by: function.name))
        for case .param(let p) in function.resultAliases.values { read.insert(p) }
        var ps: [EntryPoint.Buffer] = []
        for p in module.params where read.contains(p.name) {
            ps.append(try entryBuffer(p.name, p.type))
        }
        var paramIndex: [String: Int] = [:]
        for (k, p) in ps.enumerated() { paramIndex[p.name] = k }
        var outs: [EntryPoint.Buffer] = []
        for (i, r) in function.returns.enumerated() {
            guard let t = function.type(of: r, in: module) else { throw CodegenError.literalResult(function: function.name, index: i) }
            var b = try entryBuffer("result\(i)", t)
            switch function.resultAliases[i] {
            case .argument(let a)?:
                guard a >= 0, a < inputs.count else { throw CodegenError.internalError("result \(i) aliases argument \(a)") }
                b.aliasOf = inputs[a].name
                b.aliasIndex = a
            case .param(let p)?:
                guard let k = paramIndex[p] else { throw CodegenError.internalError("result \(i) aliases unknown param @\(p)") }
                b.aliasOf = p
                b.aliasIndex = inputs.count + k
            case nil: break
            }
            outs.append(b)
        }
        return EntryPoint(function: function.name, symbol: EntryPoint.symbol(for: function.name), inputs: inputs, params: ps, outputs: outs,
                          dims: runtime?.names ?? [])
    }

    /// Whether donated result `i` (returning `value`, written into the input `ref`) can be
    /// computed straight into the donated buffer: its producer is elementwise (it reads and
    /// writes element `k` together), nothing after the producer reads the donated input
    /// (or a value sharing its buffer), and no other result returns it or the input.
    mutating func canWriteInPlace(result i: Int, _ value: ValueID, into ref: InputRef) -> Bool {
        guard !function.arguments.contains(value),
              let at = function.body.firstIndex(where: { $0.results.contains(value) }) else { return false }
        if case .call(let callee) = function.body[at].op {
            // A fused elementwise kernel reads every operand at index i before it writes
            // its results at i, like the ops it holds.
            guard let f = module.function(named: callee), f.fusionKind == .loop || f.fusionKind == .multiTensor else { return false }
        } else if !function.body[at].op.has(.elementwise) {
            return false
        }
        // The donated input and the values that share its buffer (reshape, stop_gradient).
        var shared = Set<ValueID>()
        func isDonor(_ o: Operand) -> Bool {
            switch (o, ref) {
            case (.value(let v), _): return shared.contains(v)
            case (.param(let p), .param(let q)): return p == q
            default: return false
            }
        }
        if case .argument(let a) = ref { shared.insert(function.arguments[a]) }
        if viewOps == nil { viewOps = function.body.indices.filter { function.body[$0].op.has(.view) } }
        for k in viewOps ?? [] {
            if let o = function.body[k].operands.first, isDonor(o) { shared.formUnion(function.body[k].results) }
        }
        if case .call(let callee) = function.body[at].op, let f = module.function(named: callee),
           !MultiTensorKernel.writesInPlaceSafely(f, partition: f.fusionKind == .multiTensor ? partitions.partition(of: f) : nil, call: function.body[at], result: value, isDonor: isDonor) {
            return false
        }
        for inst in function.body[(at + 1)...] where inst.operands.contains(where: isDonor) { return false }
        for (j, r) in function.returns.enumerated() where j != i {
            if r == .value(value) || isDonor(r) { return false }
        }
        return true
    }

    /// Emits the entry function and its packed wrapper.
    mutating func emit(_ entry: EntryPoint, attributes: FunctionAttributes) throws {
        let count = entry.buffers.count
        var paramTypes: [LLVMTypeRef?] = Array(repeating: e.ptr, count: count) + Array(repeating: e.i64, count: entry.dims.count)
        let fnType = LLVMFunctionType(e.void, &paramTypes, UInt32(paramTypes.count), 0)
        let fn = LLVMAddFunction(e.module, entry.symbol, fnType)!
        attributes.apply(to: fn, context: e.context)
        // The ABI requires distinct, non-overlapping buffers (EntryPoint), so every one is
        // noalias. A donated buffer stays noalias: it is read and written only through its
        // own argument (the result is computed into it, or copied into it at the end).
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        for k in 0..<count { LLVMAddAttributeAtIndex(fn, UInt32(k + 1), LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        // The entry only allocates, calls kernels (each optimised on its own) and frees: its
        // code is thousands of calls in a row, which O3 and the machine scheduler would
        // spend seconds on for no speed, so it is compiled as at -O0.
        for a in ["noinline", "optnone"] {
            let kind = LLVMGetEnumAttributeKindForName(a, a.utf8.count)
            LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, kind, 0))
        }
        self.attributes = attributes
        e.function = fn
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        let stepSite = profile?.add(.step, name: entry.symbol, op: "step", detail: "@\(function.name)")
        if let stepSite { profileBegin(stepSite) }
        storeRuntimeDims(fn, after: count)
        var k: UInt32 = 0
        for (a, b) in zip(function.arguments, entry.inputs) {
            values[a] = .buffer(LLVMGetParam(fn, k)!, b.dtype, b.shape)
            if let s = b.runtimeShape { runtime?.shapes[a] = s }
            k += 1
        }
        for b in entry.params {
            params[b.name] = .buffer(LLVMGetParam(fn, k)!, b.dtype, b.shape)
            k += 1
        }
        // One destination per result: its own output buffer, or the donated input's.
        var outputs: [LLVMValueRef] = []
        for b in entry.outputs {
            if let d = b.aliasIndex {
                outputs.append(LLVMGetParam(fn, UInt32(d))!)
            } else {
                outputs.append(LLVMGetParam(fn, k)!)
                k += 1
            }
        }
        let donated = Set(entry.outputs.indices.filter { entry.outputs[$0].aliasIndex != nil })
        // A value computed here and returned is computed straight into its output buffer
        // (the first, if it is returned twice); the others are copied at the end. A donated
        // result is computed into the donated buffer when that is safe, else copied.
        for (i, r) in function.returns.enumerated() where !donated.contains(i) {
            if case .value(let v) = r, !function.arguments.contains(v), outputSlots[v] == nil { outputSlots[v] = outputs[i] }
        }
        for (i, r) in function.returns.enumerated() where donated.contains(i) {
            if case .value(let v) = r, outputSlots[v] == nil, let ref = function.resultAliases[i],
               canWriteInPlace(result: i, v, into: ref) {
                outputSlots[v] = outputs[i]
            }
        }
        stats.ioBytes = entry.buffers.map { $0.count * $0.dtype.byteSize }.reduce(0, +)
        for (k, inst) in function.body.enumerated() { try lower(inst, at: k) }
        plan.advance(to: function.body.count)
        // Own outputs first: they may read an input that a donated result overwrites.
        for (i, r) in function.returns.enumerated() where !donated.contains(i) {
            let src = try operand(r)
            guard case .buffer(let p, let d, let s) = src, p != outputs[i] else { continue }
            if let n = runtimeCount(r) {
                runtimeCopy(from: p, to: outputs[i], d, n)
                continue
            }
            copy(from: p, to: outputs[i], d, s.reduce(1, *))
            kernel(read: bytes(src), written: bytes(src), flops: 0)
        }
        // Donated results: a source that is itself a donated buffer (results swapped
        // between inputs) is saved first, so every copy reads the values returned.
        let destinations = Set(donated.map { outputs[$0] })
        var pending: [(LLVMValueRef, LLVMValueRef, DType, Int)] = []
        for i in donated.sorted() {
            guard case .buffer(var p, let d, let s) = try operand(function.returns[i]), p != outputs[i] else { continue }
            if runtimeCount(function.returns[i]) != nil {
                throw CodegenError.donatedRuntimeResult(function: function.name, index: i)
            }
            let n = s.reduce(1, *)
            if destinations.contains(p) {
                let saved = allocate(d, s, zeroed: false)
                copy(from: p, to: saved, d, n)
                p = saved
            }
            pending.append((p, outputs[i], d, n))
        }
        for (src, dst, d, n) in pending {
            copy(from: src, to: dst, d, n)
            kernel(read: n * d.byteSize, written: n * d.byteSize, flops: 0)
        }
        if let arena = placeArena(in: fn) { allocations.append(arena) }
        for a in allocations { _ = e.call("vfc_free", e.void, [e.ptr], [a]) }
        if let stepSite { profileEnd(stepSite) }
        LLVMBuildRetVoid(e.builder)
        try emitPacked(entry, fn, fnType!, count, attributes)
    }

    /// `void SYMBOL_packed(void **buffers)`: one signature for every entry, for the JIT.
    private func emitPacked(_ entry: EntryPoint, _ fn: LLVMValueRef, _ fnType: LLVMTypeRef, _ count: Int, _ attributes: FunctionAttributes) throws {
        var one: [LLVMTypeRef?] = [e.ptr]
        let packedType = LLVMFunctionType(e.void, &one, 1, 0)
        let packed = LLVMAddFunction(e.module, entry.packedSymbol, packedType)!
        attributes.apply(to: packed, context: e.context)
        var w = e
        w.function = packed
        LLVMPositionBuilderAtEnd(w.builder, w.block("entry"))
        let base = LLVMGetParam(packed, 0)!
        var args: [LLVMValueRef?] = []
        for i in 0..<count {
            var idx: [LLVMValueRef?] = [w.i64(i)]
            let slot = LLVMBuildInBoundsGEP2(w.builder, w.ptr, base, &idx, 1, "")
            args.append(LLVMBuildLoad2(w.builder, w.ptr, slot, ""))
        }
        // Each run-time dim through a pointer to its int64_t value.
        for j in entry.dims.indices {
            var idx: [LLVMValueRef?] = [w.i64(count + j)]
            let slot = LLVMBuildInBoundsGEP2(w.builder, w.ptr, base, &idx, 1, "")
            args.append(LLVMBuildLoad2(w.builder, w.i64, LLVMBuildLoad2(w.builder, w.ptr, slot, ""), ""))
        }
        LLVMBuildCall2(w.builder, fnType, fn, &args, UInt32(args.count), "")
        LLVMBuildRetVoid(w.builder)
    }

    /// The lowered form of an operand.
    func operand(_ o: Operand) throws -> Lowered {
        switch o {
        case .value(let v):
            guard let l = values[v] else { throw CodegenError.internalError("%\(function.values[v.index].name) used before it was lowered") }
            return l
        case .param(let p):
            guard let l = params[p] else { throw CodegenError.internalError("param @\(p) not passed") }
            return l
        case .literal(let x):
            return .literal(x)
        }
    }

    func copy(from src: LLVMValueRef, to dst: LLVMValueRef, _ d: DType, _ count: Int) {
        guard count > 0 else { return }
        LLVMBuildMemCpy(e.builder, dst, 1, src, 1, e.i64(count * d.byteSize))
    }

    /// Lowers instruction `index` of the body: its result buffer (a slot of the memory
    /// plan's arena), then the op's loops; the slots of values it reads last end here.
    mutating func lower(_ inst: Instruction, at index: Int) throws {
        plan.advance(to: index)
        if runtime != nil, try lowerWithRuntimeDims(inst, at: index) { return }
        let ops = try inst.operands.map { try operand($0) }
        // Views and sums the products write in place emit no code (ViewFolding).
        if let r = inst.results.first, let t = function.values[r.index].type, try lowerFolded(inst, t.dtype, try shape(t), at: index) { return }
        if case .call = inst.op, try lowerFusedCall(inst, ops, at: index) {
            releaseDying(inst, at: index)
            return
        }
        let resultTypes = inst.results.map { function.values[$0.index].type }
        guard let first = resultTypes.first, let t = first else { throw CodegenError.internalError("\(inst.op.name) has no typed result") }
        let outShape = try shape(t)
        // Ops that only reinterpret a dense buffer share it instead of copying.
        if inst.op.has(.view), case .buffer(let p, _, _) = ops[0] {
            values[inst.results[0]] = .buffer(p, t.dtype, outShape)
            return
        }
        if inst.op.has(.elementwise) {
            // An operand read for the last time can hold the result (in place).
            releaseDying(inst, at: index, inPlace: (Dim(outShape.reduce(1, *)), t.dtype.byteSize))
        }
        // Only the ops that write some elements of their result need it zeroed first.
        let out = resultBuffer(for: inst.results[0], t.dtype, outShape, zeroed: inst.op.has(.partialWriter))
        // Only the result computes in place of a dying operand (not the op's scratch).
        plan.handoff = []
        let result = Lowered.buffer(out, t.dtype, outShape)
        values[inst.results[0]] = result
        count(inst.op, ops, t.dtype, outShape)
        try kernel(inst, ops, out, op: inst.op.name) { lowering, ops, out in try lowering.lowerOp(inst, ops, out, t.dtype, outShape) }
        releaseDying(inst, at: index)
    }
}

/// The function attributes every generated function carries, so JIT and AOT code agree.
struct FunctionAttributes {
    var cpu: String
    var features: String
    var preferVectorWidth: Int

    func apply(to fn: LLVMValueRef, context: LLVMContextRef) {
        for (k, v) in [("target-cpu", cpu), ("target-features", features), ("prefer-vector-width", String(preferVectorWidth))] {
            let a = LLVMCreateStringAttribute(context, k, UInt32(k.utf8.count), v, UInt32(v.utf8.count))
            LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), a)
        }
        let nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8)
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(context, nounwind, 0))
    }
}
