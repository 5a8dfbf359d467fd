import Testing
@testable import VFCIR

/// Donated results: `-> (f32[4] aliases %w, f32[])` parses, prints back, and verifies.
@Suite struct AliasesTests {
    static let step = """
        param @blocks.0.w : f32[8] = zeros

        func @step(%w: f32[4], %g: f32[4]) -> (f32[4] aliases %w, f32[]) {
          %u = mul %g, 0.1 : f32[4]
          %n = sub %w, %u : f32[4]
          %l = reduce_sum %g {axes = [0]} : f32[]
          return %n, %l
        }

        func @update(%g: f32[8]) -> f32[8] aliases @blocks.0.w {
          %n = sub @blocks.0.w, %g : f32[8]
          return %n
        }

        """

    @Test func parsesAndStores() throws {
        let m = try check(Self.step).get()
        #expect(m.functions[0].resultAliases == [0: .argument(0)])
        #expect(m.functions[1].resultAliases == [0: .param("blocks.0.w")])
        #expect(m.functions[0].spelling(of: .argument(0)) == "%w")
        #expect(InputRef.param("blocks.0.w").description == "@blocks.0.w")
    }

    @Test func roundTripIsExact() throws {
        let m = try check(Self.step).get()
        let printed = Printer.print(m)
        #expect(printed == Self.step)
        let again = try check(printed).get()
        #expect(Printer.print(again) == printed)
        #expect(again.functions.map(\.resultAliases) == m.functions.map(\.resultAliases))
    }

    @Test func parseErrorsAreLocated() {
        #expect(errorOf("func @f(%w: f32[4]) -> f32[4] aliases %v {\n  return %w\n}\n")
            == "t.ir:1:39: error: 'aliases' names unknown argument '%v'")
        #expect(errorOf("func @f(%w: f32[4]) -> f32[4] aliases 3 {\n  return %w\n}\n")
            == "t.ir:1:39: error: expected an argument or param after 'aliases' (like '%w' or '@weight'), found '3'")
    }

    @Test func verifierErrors() {
        #expect(errorOf("func @f(%w: f32[5], %g: f32[4]) -> f32[4] aliases %w {\n  %n = neg %g\n  return %n\n}\n")
            == "t.ir:3:3: error: return: result 0 f32[4] cannot alias %w of type f32[5]")
        #expect(errorOf("func @f(%g: f32[4]) -> f32[4] aliases @nope {\n  %n = neg %g\n  return %n\n}\n")
            == "t.ir:3:3: error: return: result 0 aliases undefined parameter '@nope'")
        #expect(errorOf("func @f(%w: f32[4]) -> (f32[4] aliases %w, f32[4] aliases %w) {\n  %n = neg %w\n  return %n, %n\n}\n")
            == "t.ir:3:3: error: return: %w is donated to result 0 and to result 1; an input can be donated at most once")
    }
}
