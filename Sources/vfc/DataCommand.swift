import ArgumentParser
import Foundation
import VFCData
import VFCRun
import VFCTensor

/// `vfc data`: the data pipeline from the command line (synthetic datasets, batch dumps).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Make datasets and inspect the training batches of the data pipeline.",
        subcommands: [Synth.self, BatchDump.self, DataBench.self])

    /// `vfc data synth --out DIR --n N --seed S [--size S]`.
    struct Synth: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "synth",
            abstract: "Write a procedural dataset of shapes on textured backgrounds.",
            discussion: """
                Writes DIR/images/NNNNN.png (RGB, SIZE x SIZE) and DIR/labels.json, which lists \
                every image's objects: class name and id (\(SynthDataset.classes.joined(separator: ", "))), \
                bounding box [x0, y0, w, h] in pixels, centre [cx, cy], radius, rotation and colour. \
                The same seed gives the same files.

                --preset one-shape is --objects 1 --scale 0.2-0.4 --color 230,60,40 --background \
                grey-noise: one shape per image in one colour over grey low-contrast noise, the data on \
                which pretraining shows in the probes (docs/data.md). An option given with a preset \
                replaces the preset's value for that option.
                """)

        @Option(help: ArgumentHelp("Output directory (created if needed).", valueName: "DIR"))
        var out: String

        @Option(help: "Number of images.")
        var n: Int

        @Option(help: "Seed.")
        var seed: UInt64 = 0

        @Option(help: "Image side in pixels.")
        var size: Int = 64

        @Option(help: ArgumentHelp("Image file format: png (lossless) or jpg (quality 95).", valueName: "png|jpg"))
        var format: String = "png"

        @Option(help: ArgumentHelp("Objects per image, drawn uniformly (e.g. 1 for one object, whose class is the image's). Default 1-3.", valueName: "MIN-MAX"))
        var objects: String?

        @Option(help: ArgumentHelp("Object circumradius as a fraction of the side, drawn uniformly. Default 0.08-0.22.", valueName: "MIN-MAX"))
        var scale: String?

        @Option(help: ArgumentHelp("Fill every object with this colour (each 0-255). Default: a random colour per object.", valueName: "R,G,B"))
        var color: String?

        @Option(help: ArgumentHelp("The kinds each image's background is drawn from: \(SynthDataset.Background.allCases.map(\.rawValue).joined(separator: ", ")). Default noise,stripes,gradient,checker.", valueName: "KIND[,KIND...]"))
        var background: String?

        @Option(help: ArgumentHelp("Named settings: \(SynthDataset.Preset.allCases.map(\.rawValue).joined(separator: ", ")) (see above).", valueName: "NAME"))
        var preset: String?

        func run() throws {
            try reportingErrors {
                guard format == "png" || format == "jpg" else { throw DriverError.optionChoice("--format", choices: "png or jpg", got: format) }
                try StandardOutput.refuse(out, option: "--out", what: "a directory (images/ and labels.json)")
                // Made here first so that a bad path is reported with the system's reason.
                try RunFiles.createDirectory(out)
                let (layout, style) = try settings()
                let labels = try SynthDataset.write(to: out, count: n, seed: seed, size: size, jpeg: format == "jpg",
                                                    layout: layout, style: style)
                let objects = labels.images.reduce(0) { $0 + $1.objects.count }
                print("wrote \(labels.images.count) images (\(size)x\(size), \(objects) objects) to \(out)/images and \(out)/labels.json")
            }
        }

        /// The preset's layout and style (or the standard ones), each option given replacing
        /// the preset's value for it.
        func settings() throws -> (SynthDataset.Layout, SynthDataset.Style) {
            var layout = SynthDataset.Layout.standard, style = SynthDataset.Style.standard
            if let preset {
                guard let p = SynthDataset.Preset(rawValue: preset) else {
                    throw DriverError.optionChoice("--preset", choices: SynthDataset.Preset.allCases.map(\.rawValue).joined(separator: ", "), got: preset)
                }
                (layout, style) = (p.layout, p.style)
            }
            if let objects {
                (layout.minObjects, layout.maxObjects) = try DataCommand.range(objects, "--objects", Int.init)
            }
            if let scale {
                (layout.minScale, layout.maxScale) = try DataCommand.range(scale, "--scale", Double.init)
            }
            if let color { style.color = try SynthDataset.Style.parseColor(color) }
            if let background { style.backgrounds = try SynthDataset.Background.parseList(background) }
            try layout.validate()
            try style.validate()
            return (layout, style)
        }
    }

    /// `MIN-MAX` or a single value `V` (= `V-V`).
    static func range<T>(_ text: String, _ option: String, _ parse: (String) -> T?) throws -> (T, T) {
        let parts = text.split(separator: "-", maxSplits: 1).map(String.init)
        guard (1...2).contains(parts.count), let lo = parse(parts[0]), let hi = parse(parts.last!) else {
            throw DriverError.rangeSyntax(option: option, text: text)
        }
        return (lo, hi)
    }

    /// `vfc data batch --data DIR ... -o batch.safetensors`.
    struct BatchDump: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "batch",
            abstract: "Write one training batch (method.md section 7 layout) to a safetensors file.",
            discussion: """
                Indexes --data (an image folder, searched recursively for .jpg/.jpeg/.png; a text \
                file listing image paths; or tar shards such as 'dir/train-{000000..000009}.tar'), \
                decodes the images of the batch (resized to SIZE x SIZE), builds the batch the sampler yields at --index for --seed and writes global_views, \
                local_views, boxes, flips, content_masks and position_masks. The metadata holds \
                the sampler state after the batch and the dataset size. Unreadable images are \
                skipped with a warning on stderr.
                """)

        @Option(help: ArgumentHelp("Image folder, list file or tar shards.", valueName: "DIR|LIST|SHARDS"))
        var data: String
        @OptionGroup var source: DataSourceOptions
        @OptionGroup var shape: BatchShapeOptions
        @Option(help: "Which batch of the run to write (0 = the first).")
        var index: Int = 0
        @Flag(name: .customLong("with-sources"), help: "Also write source_images [B,S,S,3] F32 in [0,1] and image_indices [B] I64.")
        var withSources = false
        @Option(name: .shortAndLong, help: ArgumentHelp("Output file ('-' for standard output; the summary line then goes to standard error).", valueName: "OUT.safetensors"))
        var output: String

        func run() throws {
            try reportingErrors {
                guard index >= 0 else { throw DriverError.optionRange("--index", requirement: ">= 0", got: "\(index)") }
                let folder = try source.index(data)
                let config = shape.config(dctScaling: source.dctScaling)
                let (batch, size) = (shape.batch, shape.size)
                let sampler = try BatchSampler(dataset: folder, config: config)
                let b = try sampler.batch(at: index, threads: source.workers)
                var tensors = b.tensors
                if withSources {
                    var src = Tensor(dtype: .f32, shape: [batch, size, size, 3])
                    src.withUnsafeMutableBufferPointer { buf in
                        for (slot, i) in b.imageIndices.enumerated() {
                            let px = (try? folder.sourceImage(i, size: size, dctScaling: source.dctScaling))?.pixels ?? []
                            for j in px.indices { buf[slot * px.count + j] = Double(px[j]) }
                        }
                    }
                    tensors["source_images"] = src
                    tensors["image_indices"] = Tensor(dtype: .i64, shape: [batch], scalars: b.imageIndices.map(Double.init))
                }
                let file = SafetensorsFile(tensors: tensors, metadata: [
                    "sampler_state_after": b.stateAfter,
                    "images": "\(folder.count)",
                    "skipped": "\(folder.skipped.count)",
                ])
                try StandardOutput.write(file, to: output, option: "-o")
                StandardOutput.lines(outputs: [output])("\(folder.count) images (\(folder.skipped.count) skipped so far); wrote batch \(index) (B=\(batch), Vg=\(shape.globalViews), Vl=\(shape.localViews), n=\(config.patchesPerSide)) to \(StandardOutput.named(output) ? "standard output" : output)")
            }
        }
    }
}
