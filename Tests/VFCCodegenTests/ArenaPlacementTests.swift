import Testing
@testable import VFCCodegen

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
