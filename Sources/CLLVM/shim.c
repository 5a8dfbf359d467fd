// Empty: CLLVM only exposes the LLVM-C headers (include/shim.h) and links libLLVM-19.
