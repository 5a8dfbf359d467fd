import Foundation
import Testing
@testable import VFCData
import VFCTestSupport

/// `vfc data synth`'s colour, backgrounds and presets (SynthStyle.swift).
@Suite struct SynthStyleTests {
    static let preset = SynthDataset.Preset.oneShape
    static let fixture = repositoryRoot() + "/Tests/fixtures/synth_default"

    /// The one-shape preset: the grey background (R = G = B, in one_shape.py's range
    /// 90 - 8 ... 150 + 8) everywhere the object does not touch, the fixed colour at the
    /// object's centre, and every pixel the object touches inside its labelled box.
    @Test func oneShapeImagesAreGreyOffTheObjectAndColouredOnIt() throws {
        let size = 64
        var sawClasses = Set<Int>()
        for i in 0..<40 {
            let s = SynthDataset.sample(index: i, seed: 11, size: size, layout: Self.preset.layout, style: Self.preset.style)
            #expect(s.background == "grey-noise")
            try #require(s.objects.count == 1)
            let o = s.objects[0]
            sawClasses.insert(o.classId)
            #expect(o.color == [230, 60, 40])
            #expect(o.radius >= 0.2 * Double(size) && o.radius <= 0.4 * Double(size))
            #expect(o.center[0] >= 0.6 * o.radius && o.center[0] <= Double(size) - 0.6 * o.radius)
            let (x0, y0, w, h) = (o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3])
            var grey = 0
            for y in 0..<size {
                for x in 0..<size {
                    let p = (y * size + x) * 3
                    let (r, g, b) = (Int(s.rgb8[p]), Int(s.rgb8[p + 1]), Int(s.rgb8[p + 2]))
                    let inBox = x >= x0 && x < x0 + w && y >= y0 && y < y0 + h
                    if r == g && g == b {
                        grey += 1
                        #expect((82...158).contains(r), "image \(i) pixel (\(x), \(y)) = \(r)")
                    } else {
                        // Only the object (230, 60, 40 blended over grey) makes R != G.
                        #expect(inBox, "image \(i) pixel (\(x), \(y)) is coloured outside the box \(o.bbox)")
                    }
                }
            }
            #expect(grey > 0 && grey < size * size)
            let (cx, cy) = (Int(o.center[0]), Int(o.center[1]))
            let p = (cy * size + cx) * 3
            let centre: [Int] = [Int(s.rgb8[p]), Int(s.rgb8[p + 1]), Int(s.rgb8[p + 2])]
            #expect(centre == [230, 60, 40], "image \(i) \(o.className)")
        }
        #expect(sawClasses.count == SynthDataset.classes.count)
    }

    /// The grey noise spans most of its range over many images and is smooth: neighbouring
    /// pixels differ by the grain and a small step of the 7 x 7 grid, not by the range.
    @Test func greyNoiseStaysInRangeAndIsSmooth() {
        var lo = 255.0, hi = 0.0, maxStep = 0.0
        for i in 0..<20 {
            var rng = RandomStreams.rng(seed: 5, .synthImage, i)
            let img = SynthDataset.greyNoise(size: 64, rng: &rng)
            for y in 0..<64 {
                for x in 0..<64 {
                    let v = img[(y * 64 + x) * 3]
                    #expect(img[(y * 64 + x) * 3 + 1] == v && img[(y * 64 + x) * 3 + 2] == v)
                    (lo, hi) = (min(lo, v), max(hi, v))
                    if x > 0 { maxStep = max(maxStep, abs(v - img[(y * 64 + x - 1) * 3])) }
                }
            }
        }
        #expect(lo >= 82 && hi <= 158)
        #expect(lo < 95 && hi > 145)
        // Grain (16) plus one pixel's share of a grid step (60 * 7 / 64 < 6.6).
        #expect(maxStep <= 16 + 6.6)
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let dirs = (0..<3).map { _ in makeTempDirectory("vfcdata-synthstyle") }
        defer { dirs.forEach(removeTree) }
        for (dir, seed) in zip(dirs, [UInt64(2), 2, 3]) {
            try SynthDataset.write(to: dir, count: 6, seed: seed, size: 48, layout: Self.preset.layout, style: Self.preset.style)
        }
        for f in ["labels.json", "images/00000.png", "images/00005.png"] {
            let (a, b, c) = (FileManager.default.contents(atPath: "\(dirs[0])/\(f)"),
                             FileManager.default.contents(atPath: "\(dirs[1])/\(f)"),
                             FileManager.default.contents(atPath: "\(dirs[2])/\(f)"))
            #expect(a != nil && a == b, "\(f)")
            #expect(a != c, "\(f)")
        }
    }

    /// The defaults write the files `vfc data synth --n 4 --seed 7 --size 32` wrote before
    /// colours, backgrounds and presets existed (Tests/fixtures/synth_default).
    @Test func defaultsWriteTheSameFilesAsBefore() throws {
        let dir = makeTempDirectory("vfcdata-synthstyle")
        defer { removeTree(dir) }
        try SynthDataset.write(to: dir, count: 4, seed: 7, size: 32)
        for f in ["labels.json"] + (0..<4).map({ "images/0000\($0).png" }) {
            let old = try #require(FileManager.default.contents(atPath: "\(Self.fixture)/\(f)"))
            #expect(FileManager.default.contents(atPath: "\(dir)/\(f)") == old, "\(f)")
        }
    }

    /// Old labels.json files (no layout, colour or backgrounds) load; the new fields are
    /// written only when set and read back.
    @Test func oldLabelsLoadAndNewFieldsRoundTrip() throws {
        let old = try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixture)/labels.json"))
        let labels = try JSONDecoder().decode(SynthDataset.Labels.self, from: old)
        #expect(labels.images.count == 4 && labels.layout == nil && labels.color == nil && labels.backgrounds == nil)
        let dir = makeTempDirectory("vfcdata-synthstyle")
        defer { removeTree(dir) }
        let style = SynthDataset.Style(color: [1, 2, 3], backgrounds: [.checker, .greyNoise])
        try SynthDataset.write(to: dir, count: 3, seed: 1, size: 16, style: style)
        let back = try JSONDecoder().decode(SynthDataset.Labels.self,
                                            from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/labels.json")))
        #expect(back.color == [1, 2, 3] && back.backgrounds == ["checker", "grey-noise"] && back.layout == nil)
        #expect(back.images.allSatisfy { ["checker", "grey-noise"].contains($0.background) })
        #expect(back.images.allSatisfy { $0.objects.allSatisfy { $0.color == [1, 2, 3] } })
    }

    @Test func parsingRefusesBadColoursAndBackgrounds() throws {
        #expect(try SynthDataset.Style.parseColor("230,60,40") == [230, 60, 40])
        #expect(try SynthDataset.Background.parseList("noise,grey-noise") == [.noise, .greyNoise])
        for bad in ["300,0,0", "1,2", "1,2,3,4", "-1,0,0", "a,b,c", ""] {
            #expect(throws: DatasetError.self, "\(bad)") { try SynthDataset.Style.parseColor(bad) }
        }
        for bad in ["nope", "noise,", "", "Noise"] {
            #expect(throws: DatasetError.self, "\(bad)") { try SynthDataset.Background.parseList(bad) }
        }
        #expect(throws: DatasetError.self) { try SynthDataset.Style(color: [0, 0, 256]).validate() }
        #expect(throws: DatasetError.self) { try SynthDataset.Style(backgrounds: []).validate() }
    }
}
