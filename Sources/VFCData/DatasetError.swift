import Foundation

/// Errors that make a dataset unusable (as opposed to single bad files, which are skipped),
/// by what is wrong: the source, a list file, a tar shard, the sampler state or a setting.
/// Each case carries the paths, offsets and values it is about.
public enum DatasetError: Error, Sendable, CustomStringConvertible {
    // The source.
    /// No directory, list file or tar shard at this path.
    case noSuchSource(String)
    /// A folder source that is not a directory.
    case notDirectory(String)
    /// A source without images (`skipped`: files left out).
    case noImages(source: String, skipped: Int)
    /// A source whose every image failed to decode.
    case noReadableImages(source: String, skipped: Int)
    /// An in-memory dataset without images.
    case emptyDataset

    // List files.
    /// The list file cannot be read.
    case unreadableList(String, underlying: ImageCodecError)
    /// The list file is not UTF-8 text.
    case notTextList(String)
    /// A line with more than PATH and LABEL.
    case listFields(path: String, line: Int, fields: Int)
    /// A label that is not a non-negative integer, at its column.
    case listLabel(path: String, line: Int, column: Int, text: String)

    // Tar shards.
    /// A shard pattern with `{` and no `}`.
    case unclosedBrace(String)
    /// A shard range that is not `{LO..HI}`, 0 <= LO <= HI.
    case shardRange(String, body: String)
    /// A shard range of ten million shards or more.
    case tooManyShards(String, body: String)
    /// A shard that cannot be opened: the system's error code.
    case unopenableShard(String, code: Int32)
    /// A shard that is not a regular file.
    case notRegularFile(String)
    /// A shard that ends inside a member (without --skip-truncated-shards).
    case truncatedShard(String, offset: Int, detail: TarTruncation)
    /// A short read of a shard's header.
    case shardReadError(String, offset: Int)
    /// A tar header whose checksum does not match.
    case corruptTarHeader(String, offset: Int)
    /// A base-256 size field too large.
    case tarSizeTooLarge(String, offset: Int)
    /// An octal size field that does not parse.
    case badTarSize(String, text: String, offset: Int)

    // The sampler and its settings.
    /// A sampler state without its tag (the start of the text).
    case notSamplerState(String)
    /// A sampler state word that is not a new `key=value`.
    case malformedStateWord(String)
    /// A sampler state without a valid next_batch.
    case missingNextBatch
    /// A sampler state of another dataset or config: each difference, spelled out.
    case stateMismatch([String])
    /// Rows outside a batch.
    case rows(Range<Int>, batchSize: Int)
    /// A batch setting out of its range: `what` must be `requirement` (got `value`).
    case batchConfig(what: String, requirement: String, value: Int?)
    /// A synthetic dataset setting out of its range: `what` must be `requirement`, got `value`.
    case synth(what: String, requirement: String, value: String)

    public var description: String {
        switch self {
        case .noSuchSource(let s): return "\(s): not a directory, list file or tar shard (no such file)"
        case .notDirectory(let s): return "\(s): not a directory"
        case let .noImages(source, skipped):
            return "no images (.jpg, .jpeg, .png) found under \(source)" + (skipped == 0 ? "" : " (\(skipped) skipped)")
        case let .noReadableImages(source, skipped): return "no readable images in \(source) (\(skipped) file(s) skipped)"
        case .emptyDataset: return "an empty dataset"
        case let .unreadableList(path, e): return "\(path): \(e.message)"
        case .notTextList(let path): return "\(path): not a UTF-8 text file listing images"
        case let .listFields(path, line, fields): return "\(path):\(line):1: expected PATH or PATH<TAB>LABEL, got \(fields) tab-separated fields"
        case let .listLabel(path, line, column, text): return "\(path):\(line):\(column): the label must be a non-negative integer, got '\(text)'"
        case .unclosedBrace(let spec): return "\(spec): unclosed '{' in the shard pattern"
        case let .shardRange(spec, body): return "\(spec): a shard range must be {LO..HI} with 0 <= LO <= HI, got {\(body)}"
        case let .tooManyShards(spec, body): return "\(spec): too many shards in {\(body)}"
        case let .unopenableShard(path, code): return "\(path): cannot open the tar shard: \(String(cString: strerror(code)))"
        case .notRegularFile(let path): return "\(path): not a regular file"
        case let .truncatedShard(path, offset, detail):
            return "\(path): truncated tar shard at byte offset \(offset) (\(detail)); --skip-truncated-shards keeps the members before it"
        case let .shardReadError(path, offset): return "\(path): read error at byte offset \(offset)"
        case let .corruptTarHeader(path, offset): return "\(path): corrupt tar header at byte offset \(offset) (checksum mismatch)"
        case let .tarSizeTooLarge(path, offset): return "\(path): tar size field too large at byte offset \(offset)"
        case let .badTarSize(path, text, offset): return "\(path): bad tar size field '\(text)' at byte offset \(offset)"
        case .notSamplerState(let text): return "sampler state: not a \(BatchSampler.stateTag) state: \"\(text.prefix(60))\""
        case .malformedStateWord(let w): return "sampler state: malformed word \"\(w)\""
        case .missingNextBatch: return "sampler state: missing or invalid next_batch"
        case .stateMismatch(let diffs): return "sampler state was saved for another dataset or config: \(diffs.joined(separator: "; "))"
        case let .rows(rows, batchSize): return "rows \(rows) of a batch of \(batchSize)"
        case let .batchConfig(what, requirement, value): return "batch config: \(what) must be \(requirement)" + (value.map { ", got \($0)" } ?? "")
        case let .synth(what, requirement, value): return "synth: \(what) must be \(requirement), got \(value)"
        }
    }
}
