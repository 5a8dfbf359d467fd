import ArgumentParser
import Foundation
import VFCData

/// `vfc data bench`: throughput of the whole input pipeline.
struct DataBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the input pipeline: images per second of read + decode + resize + views + augmentation + masks.",
        discussion: """
            Runs the prefetcher (--workers threads) over --batches batches after one warm-up \
            batch, taking each batch as soon as it is ready (no training step), and prints \
            images/s in all and per worker thread. Wall-clock figures: on a shared machine, \
            compare runs made back to back.
            """)

    @Option(help: ArgumentHelp("Image folder, list file or tar shards.", valueName: "DIR|LIST|SHARDS"))
    var data: String
    @OptionGroup var source: DataSourceOptions
    @OptionGroup var shape: BatchShapeOptions
    @Option(help: "Batches to time (after one warm-up batch).")
    var batches: Int = 10

    func validate() throws {
        if batches < 1 { throw ValidationError("--batches must be >= 1") }
    }

    func run() throws {
        try reportingErrors {
            let dataset = try source.index(data)
            let sampler = try BatchSampler(dataset: dataset, config: shape.config(dctScaling: source.dctScaling))
            let prefetcher = Prefetcher(sampler: sampler, depth: 2, workers: source.workers)
            defer { prefetcher.stop() }
            _ = try prefetcher.next()
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<batches { _ = try prefetcher.next() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let images = Double(batches * shape.batch)
            let rate = images / seconds
            let cores = Swift.min(prefetcher.workers, ProcessInfo.processInfo.activeProcessorCount)
            print(String(format: "%d images (%d skipped), %d batches of %d in %.3f s: %.1f images/s, %.1f images/s per core (%d worker(s), %d core(s) used)",
                         dataset.count, dataset.skipped.count, batches, shape.batch, seconds, rate, rate / Double(cores),
                         prefetcher.workers, cores))
        }
    }
}
