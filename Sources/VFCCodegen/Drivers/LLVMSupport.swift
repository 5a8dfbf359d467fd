import CLLVM
import Foundation

/// One-time LLVM set-up and host facts shared by the JIT and ahead-of-time compilation.
enum LLVMSupport {
    /// Initialises the native target, its assembly printer and parser, once per process.
    static let initialized: Bool = {
        LLVMInitializeX86TargetInfo()
        LLVMInitializeX86Target()
        LLVMInitializeX86TargetMC()
        LLVMInitializeX86AsmPrinter()
        LLVMInitializeX86AsmParser()
        return true
    }()

    /// The host's CPU name (`znver4`, `skylake-avx512`, ...).
    static var hostCPU: String { takeString(LLVMGetHostCPUName()) }

    /// The host's feature string (`+avx2,+fma,...`).
    static var hostFeatures: String { takeString(LLVMGetHostCPUFeatures()) }

    /// The name of a global value (a function).
    static func valueName(_ v: LLVMValueRef?) -> String {
        guard let v else { return "" }
        var length = 0
        guard let p = LLVMGetValueName2(v, &length) else { return "" }
        return String(cString: p)
    }

    static var defaultTriple: String { takeString(LLVMGetDefaultTargetTriple()) }

    /// Copies and frees a string LLVM allocated.
    static func takeString(_ p: UnsafeMutablePointer<CChar>?) -> String {
        guard let p else { return "" }
        defer { LLVMDisposeMessage(p) }
        return String(cString: p)
    }

    /// The message of an LLVMErrorRef (consumed), for a thrown CodegenError.
    /// Runs the new pass manager's default<O3> pipeline, with loop and SLP vectorisation,
    /// over `module` for the target machine `tm` (the JIT's partitions and the AOT module).
    static func optimizeO3(_ module: LLVMModuleRef, _ tm: LLVMTargetMachineRef) throws {
        let passOptions = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(passOptions) }
        LLVMPassBuilderOptionsSetLoopVectorization(passOptions, 1)
        LLVMPassBuilderOptionsSetSLPVectorization(passOptions, 1)
        if let err = LLVMRunPasses(module, "default<O3>", tm, passOptions) {
            throw CodegenError.llvm("LLVM optimisation failed: \(message(err))")
        }
    }

    static func message(_ error: LLVMErrorRef) -> String {
        takeString(LLVMGetErrorMessage(error))
    }
}

