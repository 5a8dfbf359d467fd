import Foundation
import Testing
@testable import VFCData
import VFCTestSupport

@Suite struct SynthTests {
    @Test func labelsAreConsistentWithTheImages() throws {
        let dir = makeTempDirectory("vfcdata-synth")
        defer { removeTree(dir) }
        let labels = try SynthDataset.write(to: dir, count: 24, seed: 3, size: 64)
        #expect(labels.images.count == 24)
        // labels.json parses back to the same content.
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/labels.json"))
        let back = try JSONDecoder().decode(SynthDataset.Labels.self, from: data)
        #expect(back.images.map(\.file) == labels.images.map(\.file))
        var classesSeen = Set<Int>()
        for entry in back.images {
            let img = try ImageDecoding.read(path: "\(dir)/\(entry.file)")
            #expect(img.width == 64 && img.height == 64)
            #expect((1...3).contains(entry.objects.count))
            for o in entry.objects {
                classesSeen.insert(o.classId)
                #expect(SynthDataset.classes[o.classId] == o.className)
                let (x0, y0, w, h) = (o.bbox[0], o.bbox[1], o.bbox[2], o.bbox[3])
                #expect(x0 >= 0 && y0 >= 0 && w > 0 && h > 0 && x0 + w <= 64 && y0 + h <= 64)
                #expect(o.center[0] >= Double(x0) && o.center[0] <= Double(x0 + w))
                #expect(o.center[1] >= Double(y0) && o.center[1] <= Double(y0 + h))
            }
            // The topmost object is fully visible at its centre pixel: exactly its colour.
            let top = entry.objects.last!
            let px = img.rgb8, cx = Int(top.center[0]), cy = Int(top.center[1])
            #expect((0..<3).map { Int(px[(cy * 64 + cx) * 3 + $0]) } == top.color, "\(entry.file) \(top.className)")
        }
        #expect(classesSeen.count >= 4)
        // Deterministic: the same seed writes the same bytes.
        let dir2 = makeTempDirectory("vfcdata-synth")
        defer { removeTree(dir2) }
        try SynthDataset.write(to: dir2, count: 24, seed: 3, size: 64)
        for f in ["labels.json", "images/00000.png", "images/00023.png"] {
            #expect(FileManager.default.contents(atPath: "\(dir)/\(f)") == FileManager.default.contents(atPath: "\(dir2)/\(f)"))
        }
    }
}
