/// The subset of TensorFlow's `Event` protobuf (tensorflow/core/util/event.proto) that a
/// scalar log needs, encoded and decoded by hand:
///
///     message Event   { double wall_time = 1; int64 step = 2;
///                       oneof what { string file_version = 3; Summary summary = 5; } }
///     message Summary { repeated Value value = 1; }
///     message Summary.Value { string tag = 1; float simple_value = 2; }
public struct TensorBoardEvent: Sendable, Equatable {
    public var wallTime: Double
    public var step: Int64
    /// Set on the first record of a file ("brain.Event:2").
    public var fileVersion: String?
    /// Scalar values as (tag, simple_value), in file order.
    public var scalars: [(tag: String, value: Float)]

    public init(wallTime: Double, step: Int64, fileVersion: String? = nil, scalars: [(tag: String, value: Float)] = []) {
        self.wallTime = wallTime
        self.step = step
        self.fileVersion = fileVersion
        self.scalars = scalars
    }

    public static func == (a: TensorBoardEvent, b: TensorBoardEvent) -> Bool {
        a.wallTime == b.wallTime && a.step == b.step && a.fileVersion == b.fileVersion
            && a.scalars.count == b.scalars.count
            && zip(a.scalars, b.scalars).allSatisfy { $0.tag == $1.tag && $0.value.bitPattern == $1.value.bitPattern }
    }

    /// The protobuf encoding of this event.
    public func encoded() -> [UInt8] {
        var event = ProtobufWriter()
        event.appendDouble(field: 1, wallTime)
        event.appendInt64(field: 2, step)
        if let fileVersion { event.appendString(field: 3, fileVersion) }
        if !scalars.isEmpty {
            var summary = ProtobufWriter()
            for (tag, value) in scalars {
                var v = ProtobufWriter()
                v.appendString(field: 1, tag)
                v.appendFloat(field: 2, value)
                summary.appendMessage(field: 1, v)
            }
            event.appendMessage(field: 5, summary)
        }
        return event.bytes
    }

    /// Decodes an event, ignoring fields outside the subset above.
    public init(decoding data: [UInt8]) throws {
        self.init(wallTime: 0, step: 0)
        for (field, value) in try ProtobufReader.fields(data) {
            switch (field, value) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let v)): step = Int64(bitPattern: v)
            case (3, .bytes(let b)): fileVersion = String(decoding: b, as: UTF8.self)
            case (5, .bytes(let summary)):
                for (sf, sv) in try ProtobufReader.fields(summary) {
                    guard sf == 1, case .bytes(let valueBytes) = sv else { continue }
                    var tag = ""
                    var simple: Float?
                    for (vf, vv) in try ProtobufReader.fields(valueBytes) {
                        if vf == 1, case .bytes(let t) = vv { tag = String(decoding: t, as: UTF8.self) }
                        if vf == 2, case .fixed32(let bits) = vv { simple = Float(bitPattern: bits) }
                    }
                    if let simple { scalars.append((tag, simple)) }
                }
            default: continue
            }
        }
    }
}
