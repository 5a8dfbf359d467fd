import CLLVM
import Foundation

/// Compiles a lowered, not yet optimised module to object files on every core: the JIT's
/// cold compile.
///
/// Why: a training step lowers to hundreds of small kernel functions, and LLVM's O3 and
/// code generation cost milliseconds per function whatever its size, which adds up to
/// seconds on one core. The kernels are independent (the entry calls them; they call only
/// their own parallel bodies and the runtime), so they are split into partitions, each
/// parsed into an LLVM context of its own and optimised and compiled on a thread of its
/// own (LLVM contexts are not shared between threads).
///
/// The entry functions (thousands of calls in a row, `optnone`) go into a partition of their
/// own compiled at `-O0`: with the default code generator the greedy register allocator alone
/// spends most of a second on the entry of the tiny step, for no speed (it only allocates and
/// calls).
///
/// Deterministic: the partitions depend only on the module (functions in module order,
/// dealt to the lightest partition by instruction count), never on the number of threads or
/// on which thread finishes first, and the objects come back in partition order.
enum ParallelCodegen {
    /// At most this many kernel partitions, whatever the core count (more partitions than
    /// cores balance uneven kernels; each costs a parse of the module's bitcode, ~20 ms of
    /// CPU for the tiny step).
    static let maxPartitions = 8
    /// Instructions per kernel partition below which fewer partitions are made (small
    /// modules, as in unit tests, compile in one). Counted before O3, whose vectorised
    /// loops make a partition's cost vary severalfold per instruction: at 4000 the tiny
    /// step (~12,600) made three partitions, so on two cores the third ran alone after the
    /// others (the wall time of two); at 1000 it makes eight, which balance.
    static let minPartitionWeight = 1000

    /// The object files of `module` (consumed: it is split and disposed of by the caller
    /// as before, but its functions' linkage changes), entry partition first.
    static func objects(of module: LLVMModuleRef, entries: Set<String>, options: CodegenOptions) throws -> [[UInt8]] {
        let partition = assign(module, entries: entries)
        exportCrossPartitionFunctions(module, partition)
        let buffer = LLVMWriteBitcodeToMemoryBuffer(module)!
        let bitcode = Array(UnsafeRawBufferPointer(start: LLVMGetBufferStart(buffer), count: LLVMGetBufferSize(buffer)))
        LLVMDisposeMemoryBuffer(buffer)
        let count = (partition.values.max() ?? 0) + 1
        let results = Results(count: count)
        let attributes = options.attributes
        DispatchQueue.concurrentPerform(iterations: count) { p in
            results.set(p, Result { try compile(bitcode, partition: p, of: partition, attributes: attributes) })
        }
        return try results.values.map { try $0!.get() }
    }

    /// The partition of each defined function by name: 0 for the entries, 1... for the
    /// kernels, a kernel together with the parallel loops it outlined (`K.par.N`,
    /// `K.par.N.body`), which only it references.
    static func assign(_ module: LLVMModuleRef, entries: Set<String>) -> [String: Int] {
        var units: [(root: String, functions: [String], weight: Int)] = []
        var unitOf: [String: Int] = [:]
        var partition: [String: Int] = [:]
        var f = LLVMGetFirstFunction(module)
        while let fn = f {
            f = LLVMGetNextFunction(fn)
            guard LLVMIsDeclaration(fn) == 0 else { continue }
            let name = LLVMSupport.valueName(fn)
            if entries.contains(name) {
                partition[name] = 0
                continue
            }
            let root = name.range(of: ".par.").map { String(name[..<$0.lowerBound]) } ?? name
            var weight = 0
            var bb = LLVMGetFirstBasicBlock(fn)
            while let b = bb {
                var inst = LLVMGetFirstInstruction(b)
                while let i = inst { weight += 1; inst = LLVMGetNextInstruction(i) }
                bb = LLVMGetNextBasicBlock(b)
            }
            if let u = unitOf[root] {
                units[u].functions.append(name)
                units[u].weight += weight
            } else {
                unitOf[root] = units.count
                units.append((root, [name], weight))
            }
        }
        let total = units.reduce(0) { $0 + $1.weight }
        let n = max(1, min(maxPartitions, total / minPartitionWeight, units.count))
        // Heaviest first, each to the lightest partition so far (ties: module order, lowest
        // partition): an order that depends on the module alone.
        var load = Array(repeating: 0, count: n)
        let order = units.indices.sorted { units[$0].weight != units[$1].weight ? units[$0].weight > units[$1].weight : $0 < $1 }
        for u in order {
            let p = load.indices.min { load[$0] != load[$1] ? load[$0] < load[$1] : $0 < $1 }!
            load[p] += units[u].weight
            for name in units[u].functions { partition[name] = p + 1 }
        }
        return partition
    }

    /// Functions called from another partition get external linkage (they are internal as
    /// lowered, which a separate object could not reach).
    private static func exportCrossPartitionFunctions(_ module: LLVMModuleRef, _ partition: [String: Int]) {
        var f = LLVMGetFirstFunction(module)
        while let fn = f {
            f = LLVMGetNextFunction(fn)
            guard LLVMIsDeclaration(fn) == 0, let home = partition[LLVMSupport.valueName(fn)] else { continue }
            var use = LLVMGetFirstUse(fn)
            while let u = use {
                use = LLVMGetNextUse(u)
                guard let user = LLVMGetUser(u), LLVMIsAInstruction(user) != nil,
                      let caller = LLVMGetBasicBlockParent(LLVMGetInstructionParent(user)),
                      partition[LLVMSupport.valueName(caller)] != home else { continue }
                LLVMSetLinkage(fn, LLVMExternalLinkage)
                break
            }
        }
    }

    /// One partition: parsed into a context of its own, the other partitions' functions
    /// reduced to declarations, optimised at O3 (kernels) and compiled to an object.
    private static func compile(_ bitcode: [UInt8], partition p: Int, of partition: [String: Int], attributes: FunctionAttributes) throws -> [UInt8] {
        let context = LLVMContextCreate()
        defer { LLVMContextDispose(context) }
        let buffer = bitcode.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { LLVMCreateMemoryBufferWithMemoryRangeCopy($0.baseAddress, $0.count, "vfc") }
        }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        var parsed: LLVMModuleRef?
        guard LLVMParseBitcodeInContext2(context, buffer, &parsed) == 0, let module = parsed else {
            throw CodegenError.internalError("cannot read back the lowered module")
        }
        defer { LLVMDisposeModule(module) }
        var foreign: [LLVMValueRef] = []
        var f = LLVMGetFirstFunction(module)
        while let fn = f {
            f = LLVMGetNextFunction(fn)
            if LLVMIsDeclaration(fn) == 0, partition[LLVMSupport.valueName(fn)] != p { foreign.append(fn) }
        }
        // Replace each foreign definition by a declaration of the same name and type (a
        // use from this partition then links to the other object), or drop it when unused.
        for fn in foreign {
            let name = LLVMSupport.valueName(fn)
            if LLVMGetFirstUse(fn) == nil {
                LLVMDeleteFunction(fn)
                continue
            }
            let declaration = LLVMAddFunction(module, "", LLVMGlobalGetValueType(fn))!
            LLVMReplaceAllUsesWith(fn, declaration)
            LLVMDeleteFunction(fn)
            LLVMSetValueName2(declaration, name, name.utf8.count)
        }
        // Definitions left unused by the deletions (a foreign function's own callees).
        var changed = true
        while changed {
            changed = false
            var g = LLVMGetFirstFunction(module)
            while let fn = g {
                g = LLVMGetNextFunction(fn)
                if LLVMIsDeclaration(fn) == 0, LLVMGetLinkage(fn) == LLVMInternalLinkage, LLVMGetFirstUse(fn) == nil,
                   partition[LLVMSupport.valueName(fn)] != p {
                    LLVMDeleteFunction(fn)
                    changed = true
                }
            }
        }
        let level = p == 0 ? LLVMCodeGenLevelNone : LLVMCodeGenLevelAggressive
        let tm = try targetMachine(attributes, level: level)
        defer { LLVMDisposeTargetMachine(tm) }
        let layout = LLVMCreateTargetDataLayout(tm)
        LLVMSetModuleDataLayout(module, layout)
        LLVMDisposeTargetData(layout)
        if p != 0 { try LLVMSupport.optimizeO3(module, tm) }
        var error: UnsafeMutablePointer<CChar>?
        var object: LLVMMemoryBufferRef?
        if LLVMTargetMachineEmitToMemoryBuffer(tm, module, LLVMObjectFile, &error, &object) != 0 || object == nil {
            throw CodegenError.llvm("LLVM code generation failed: \(LLVMSupport.takeString(error))")
        }
        defer { LLVMDisposeMemoryBuffer(object) }
        return Array(UnsafeRawBufferPointer(start: LLVMGetBufferStart(object), count: LLVMGetBufferSize(object)))
    }

    private static func targetMachine(_ attributes: FunctionAttributes, level: LLVMCodeGenOptLevel) throws -> LLVMTargetMachineRef {
        var target: LLVMTargetRef?
        var error: UnsafeMutablePointer<CChar>?
        guard LLVMGetTargetFromTriple(LLVMSupport.defaultTriple, &target, &error) == 0, let target else {
            throw CodegenError.llvm("no LLVM target for \(LLVMSupport.defaultTriple): \(LLVMSupport.takeString(error))")
        }
        guard let tm = LLVMCreateTargetMachine(target, LLVMSupport.defaultTriple, attributes.cpu, attributes.features,
                                               level, LLVMRelocPIC, LLVMCodeModelDefault) else {
            throw CodegenError.llvm("cannot create a target machine for CPU '\(attributes.cpu)'")
        }
        return tm
    }

    /// The partitions' objects as the threads finish them.
    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [Result<[UInt8], any Error>?]

        init(count: Int) { values = Array(repeating: nil, count: count) }

        func set(_ i: Int, _ r: Result<[UInt8], any Error>) {
            lock.lock()
            values[i] = r
            lock.unlock()
        }
    }
}
