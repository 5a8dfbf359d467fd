import Foundation
import VFCRuntime

/// A profiled site of compiled code (`CodegenOptions.profile`): the whole step, an outlined
/// kernel (every call of it, from any call site), or one `cblas_sgemm` call site inside a
/// kernel. Ids index the runtime's counters (`vfc_prof_*`).
public struct ProfileSite: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// The entry function: the whole step.
        case step
        /// An outlined kernel of one op (`op` is the op's name).
        case kernel
        /// A fused kernel (`op` names its anchor, or "elementwise").
        case fused
        /// A cblas_sgemm / cblas_dgemm call (`parent` is the kernel it is in).
        case sgemm
    }

    public var id: Int
    public var kind: Kind
    /// The LLVM function (`F.k.N`, or the entry's symbol for `step`).
    public var name: String
    public var op: String
    /// Shapes and the like, for people.
    public var detail: String
    public var parent: String?
}

/// The sites of a module as lowering registers them (shared by the functions of a module,
/// so ids are unique in it).
final class ProfileTable {
    private(set) var sites: [ProfileSite] = []

    func add(_ kind: ProfileSite.Kind, name: String, op: String, detail: String, parent: String? = nil) -> Int {
        let d = detail.count > 90 ? String(detail.prefix(87)) + "..." : detail
        sites.append(ProfileSite(id: sites.count, kind: kind, name: name, op: op, detail: d, parent: parent))
        return sites.count - 1
    }
}

/// The runtime's profile counters.
public enum Profiler {
    public struct Counter: Sendable {
        public var inclusiveNanoseconds: Int64
        public var exclusiveNanoseconds: Int64
        public var calls: Int64
    }

    /// Zeroes the counters for the sites of `sites` (call before the steps to measure).
    public static func reset(_ sites: [ProfileSite]) {
        vfc_prof_reset(Int64(sites.count))
    }

    public static func read(_ site: ProfileSite) -> Counter {
        Counter(inclusiveNanoseconds: vfc_prof_read(Int64(site.id), 0),
                exclusiveNanoseconds: vfc_prof_read(Int64(site.id), 1),
                calls: vfc_prof_read(Int64(site.id), 2))
    }

    /// The per-kernel table of the counters accumulated over `steps` steps: every kernel
    /// and sgemm site by its exclusive time (a kernel's own loops, without the sgemm calls
    /// in it; the step's row is what the entry itself spends: allocation, output copies,
    /// the calls), sorted by time, then the group totals. Shares are of the step's total.
    public static func report(_ sites: [ProfileSite], steps: Int, top: Int = 40) -> String {
        let steps = max(steps, 1)
        let rows = sites.map { ($0, read($0)) }
        let total = Double(rows.filter { $0.0.kind == .step }.map(\.1.inclusiveNanoseconds).reduce(0, +))
        guard total > 0 else { return "profile: no time recorded\n" }
        func ms(_ ns: Int64) -> String { String(format: "%9.3f", Double(ns) / 1e6 / Double(steps)) }
        func share(_ ns: Int64) -> String { String(format: "%6.2f%%", Double(ns) / total * 100) }
        func kind(_ s: ProfileSite) -> String {
            switch s.kind {
            case .step: return "entry"
            case .kernel: return s.op
            case .fused: return "fused(\(s.op))"
            case .sgemm: return "sgemm"
            }
        }
        var out = "profile: \(steps) step(s), \(String(format: "%.3f", total / 1e6 / Double(steps))) ms per step, "
            + "\(sites.filter { $0.kind != .step }.count) sites\n"
        out += " share   ms/step    calls  kind                  site / detail\n"
        let sorted = rows.filter { $0.1.exclusiveNanoseconds > 0 || $0.1.calls > 0 }.sorted { $0.1.exclusiveNanoseconds > $1.1.exclusiveNanoseconds }
        for (s, c) in sorted.prefix(top) {
            let calls = String(format: "%8.1f", Double(c.calls) / Double(steps))
            let k = kind(s).padding(toLength: 20, withPad: " ", startingAt: 0)
            let where_ = s.kind == .sgemm ? "\(s.detail) in \(s.parent ?? "?")" : "\(s.name) \(s.detail)"
            out += "\(share(c.exclusiveNanoseconds)) \(ms(c.exclusiveNanoseconds)) \(calls)  \(k)  \(where_)\n"
        }
        if sorted.count > top {
            let rest = sorted.dropFirst(top).map(\.1.exclusiveNanoseconds).reduce(0, +)
            out += "\(share(rest)) \(ms(rest))           (\(sorted.count - top) more sites)\n"
        }
        // Groups: sgemm, fused kernels, other kernels by op, the entry.
        var groups: [String: Int64] = [:]
        var byOp: [String: Int64] = [:]
        for (s, c) in rows {
            let g: String
            switch s.kind {
            case .sgemm: g = "sgemm"
            case .fused: g = "fused kernels"
            case .kernel: g = "other kernels"; byOp[s.op, default: 0] += c.exclusiveNanoseconds
            case .step: g = "entry (alloc, copies, calls)"
            }
            groups[g, default: 0] += c.exclusiveNanoseconds
        }
        out += "groups:\n"
        for g in ["sgemm", "fused kernels", "other kernels", "entry (alloc, copies, calls)"] {
            out += "\(share(groups[g] ?? 0)) \(ms(groups[g] ?? 0))  \(g)\n"
        }
        out += "other kernels by op:\n"
        for (op, ns) in byOp.sorted(by: { $0.value > $1.value }) where ns > 0 {
            out += "\(share(ns)) \(ms(ns))  \(op)\n"
        }
        return out
    }
}
