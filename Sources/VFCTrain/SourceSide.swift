import VFCIR

extension Trainer {
    /// The side S of the square source images a module's step expects. With a `pos_field`
    /// param it is the field's side (method.md: Fs = S); nil if that param is not
    /// [S, S, D]. A module without a field (the ablation variants whose position embedding
    /// lives on the patch grid, docs/experiments.md) sees whole images as global views, so
    /// S is the global view side G.
    static func sourceSide(_ module: Module, globalSide: Int) -> Int? {
        guard let param = module.param(named: "pos_field") else { return globalSide }
        guard let field = param.type.staticShape, field.count == 3, field[0] == field[1] else { return nil }
        return field[0]
    }
}
