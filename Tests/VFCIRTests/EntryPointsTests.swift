import Testing
@testable import VFCIR

/// `Module.entryPoints`: the functions nothing calls, in declaration order.
@Suite struct EntryPointsTests {
    @Test func functionsNoFunctionCallsAreTheEntryPoints() throws {
        let m = try check("""
            func @helper(%x: f32[X]) -> f32[X] {
              %y = mul %x, 2
              return %y
            }

            func @loss(%x: f32[N]) -> f32[] {
              %h = call @helper(%x)
              %s = reduce_sum %h {axes = [0]}
              return %s
            }

            func @step(%x: f32[N]) -> (f32[], f32[N]) {
              %l, %g = value_and_grad @loss(%x) {wrt = [0]}
              return %l, %g
            }

            func @features(%x: f32[B]) -> f32[B] {
              %y = call @helper(%x)
              return %y
            }
            """).get()
        // @helper is called (twice), @loss through value_and_grad: neither is an entry.
        #expect(m.entryPoints == ["step", "features"])
    }

    @Test func aModuleWithoutCallsHasEveryFunctionAsEntry() throws {
        let m = try check("""
            func @a(%x: f32[2]) -> f32[2] {
              return %x
            }

            func @b(%x: f32[2]) -> f32[2] {
              %y = neg %x
              return %y
            }
            """).get()
        #expect(m.entryPoints == ["a", "b"])
        #expect(Module().entryPoints.isEmpty)
    }
}
