// The LLVM-C 19 API as one Clang module. `llvm-c` and `llvm` are symlinks to Debian's
// llvm-19-dev headers (/usr/lib/llvm-19/include), so no include path flag is needed.
#include "llvm-c/Analysis.h"
#include "llvm-c/BitReader.h"
#include "llvm-c/BitWriter.h"
#include "llvm-c/Core.h"
#include "llvm-c/Error.h"
#include "llvm-c/LLJIT.h"
#include "llvm-c/Orc.h"
#include "llvm-c/Target.h"
#include "llvm-c/TargetMachine.h"
#include "llvm-c/Transforms/PassBuilder.h"
