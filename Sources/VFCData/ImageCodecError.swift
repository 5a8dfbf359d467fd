/// Why an image file could not be read or written. The message names the file and what
/// the codec reported; `DataIndex` turns it into one warning per skipped file.
public struct ImageCodecError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
