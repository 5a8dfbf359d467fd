import Testing
@testable import VFCCodegen
import VFCRuntime

/// The arena placement of the memory plan (`MemoryPlan.place`): slots live at the same
/// instruction never share bytes, and the arena stays close to what is live at once.
@Suite struct ArenaPlacementTests {
    typealias Slot = (bytes: Int, first: Int, last: Int?)

    /// Whether any two slots live at one instruction overlap in the arena.
    static func conflicts(_ slots: [Slot], _ offsets: [Int]) -> Bool {
        func aligned(_ n: Int) -> Int { (n + 63) & ~63 }
        for i in slots.indices {
            for j in slots.indices where j > i {
                let a = slots[i], b = slots[j]
                let together = a.first <= (b.last ?? Int.max) && b.first <= (a.last ?? Int.max)
                let shared = offsets[i] < offsets[j] + aligned(b.bytes) && offsets[j] < offsets[i] + aligned(a.bytes)
                if together && shared { return true }
            }
        }
        return false
    }

    /// Worked by hand: A (100 B, instructions 0-2) is placed first at 0; B (64 B, 3-5)
    /// follows A in time and reuses offset 0; C (64 B, 1-4) meets both, so it goes above A's
    /// 128 aligned bytes.
    @Test func handExample() {
        let slots: [Slot] = [(100, 0, 2), (64, 3, 5), (64, 1, 4)]
        let (offsets, total) = MemoryPlan.place(slots)
        #expect(offsets == [0, 0, 128])
        #expect(total == 192)
    }

    /// A slot open to the end of the function (a returned value) meets every later slot.
    @Test func openSlotMeetsLaterSlots() {
        let slots: [Slot] = [(64, 2, nil), (64, 7, 9), (64, 0, 1)]
        let (offsets, total) = MemoryPlan.place(slots)
        #expect(offsets[0] != offsets[1])
        #expect(offsets[2] == 0 || offsets[2] == 64)
        #expect(total == 128)
        #expect(!Self.conflicts(slots, offsets))
    }

    /// Random lifetimes (a fixed generator): no conflicts, the arena is at least the most
    /// bytes live at one instruction and at most every slot side by side, and the same
    /// slots give the same offsets.
    @Test func randomLifetimes() {
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        for _ in 0..<20 {
            var slots: [Slot] = []
            for _ in 0..<(5 + next(60)) {
                let first = next(50)
                let last: Int? = next(10) == 0 ? nil : first + next(8)
                slots.append((1 + next(5000), first, last))
            }
            let (offsets, total) = MemoryPlan.place(slots)
            #expect(!Self.conflicts(slots, offsets))
            var live = 0
            for t in 0..<60 {
                var bytes = 0
                for s in slots where s.first <= t && t <= (s.last ?? Int.max) { bytes += (s.bytes + 63) & ~63 }
                live = max(live, bytes)
            }
            #expect(total >= live)
            #expect(total <= slots.map { ($0.bytes + 63) & ~63 }.reduce(0, +))
            #expect(MemoryPlan.place(slots).offsets == offsets)
        }
    }
}

/// The runtime's placement (`vfc_arena_plan`, used by functions with run-time dims) is the
/// compiler's (`MemoryPlan.place`), and its cache of plans hands back the plan of the sizes
/// asked for when calls alternate between sizes.
@Suite struct RuntimeArenaPlacementTests {
    typealias Slot = ArenaPlacementTests.Slot

    /// `vfc_arena_plan` on `slots`: the offsets and the total.
    static func runtimePlan(_ slots: [Slot]) -> (offsets: [Int], total: Int) {
        let sizes = slots.map { Int64($0.bytes) }
        let lifetimes = slots.flatMap { [Int64($0.first), Int64($0.last ?? Int.max)] }
        var offsets = [Int64](repeating: -1, count: slots.count)
        let total = vfc_arena_plan(Int64(slots.count), sizes, lifetimes, &offsets)
        return (offsets.map(Int.init), Int(total))
    }

    /// Random slot sets (a fixed generator, equal sizes included so that ties are broken
    /// by first use and order): the same offsets and total as the compiler's placement,
    /// also when asked again after other plans (from the cache) and past the cache's size.
    @Test func matchesCompilePlacement() {
        var state: UInt64 = 0x2545F4914F6CDD1D
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var sets: [[Slot]] = []
        for _ in 0..<12 {
            var slots: [Slot] = []
            for _ in 0..<(1 + next(80)) {
                let first = next(40)
                let last: Int? = next(8) == 0 ? nil : first + next(10)
                slots.append((64 * (1 + next(6)) + (next(3) == 0 ? 0 : next(64)), first, last))
            }
            sets.append(slots)
        }
        for round in 0..<2 {
            for slots in sets {
                let compiled = MemoryPlan.place(slots)
                let runtime = Self.runtimePlan(slots)
                #expect(runtime.offsets == compiled.offsets, "round \(round)")
                #expect(runtime.total == compiled.total, "round \(round)")
                #expect(!ArenaPlacementTests.conflicts(slots, runtime.offsets))
            }
        }
        // The same lifetimes with other sizes (another batch size) are another plan.
        let slots: [Slot] = [(100, 0, 2), (64, 3, 5), (64, 1, 4)]
        let scaled = slots.map { ($0.bytes * 3, $0.first, $0.last) }
        #expect(Self.runtimePlan(slots).total == 192)
        let placed = MemoryPlan.place(scaled), again = Self.runtimePlan(scaled)
        #expect(again.offsets == placed.offsets && again.total == placed.total)
        #expect(Self.runtimePlan(slots).offsets == [0, 0, 128])
    }

    /// No slots: an empty arena.
    @Test func noSlots() {
        #expect(Self.runtimePlan([]).total == 0)
    }
}
