import VFCIR

/// The symbolic dims a module's params and functions use, sorted.
func symbolicDims(_ module: Module) -> [String] {
    var names = Set(module.params.flatMap { $0.type.shape.flatMap(\.symbols) })
    for f in module.functions {
        for v in f.values { names.formUnion(v.type?.shape.flatMap(\.symbols) ?? []) }
    }
    return names.sorted()
}

/// Refuses `--bind NAME=...` for a NAME the module does not use (a typo would otherwise be
/// ignored and the dim bound some other way, or not at all), listing the ones it does use.
func checkBindNames(_ bindings: [String: Int], module: Module, file: String) throws {
    let known = symbolicDims(module)
    let unknown = bindings.keys.filter { !known.contains($0) }.sorted()
    guard !unknown.isEmpty else { return }
    throw DriverError.unknownSymbols(unknown, file: displayName(file), known: known)
}
