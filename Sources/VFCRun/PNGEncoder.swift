/// A dependency-free PNG encoder for 8-bit RGB images.
///
/// Rows use PNG filter 2 (Up: the difference to the row above), which turns the flat
/// backgrounds of a plot into long runs of zeros; the zlib stream is DEFLATE with the
/// fixed Huffman code and run-length matches (distance 1, or one pixel back), checked by
/// Adler-32; each chunk carries its CRC-32.
public enum PNGEncoder {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func encode(_ image: RasterImage) -> [UInt8] {
        var out = signature
        var ihdr: [UInt8] = []
        ihdr += bigEndian(UInt32(image.width))
        ihdr += bigEndian(UInt32(image.height))
        ihdr += [8, 2, 0, 0, 0]  // bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace
        appendChunk("IHDR", ihdr, to: &out)
        appendChunk("IDAT", zlib(filteredScanlines(image)), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Filter byte 2 then the Up differences, per row.
    static func filteredScanlines(_ image: RasterImage) -> [UInt8] {
        let stride = image.width * 3
        var out: [UInt8] = []
        out.reserveCapacity((stride + 1) * image.height)
        for y in 0..<image.height {
            out.append(2)
            let row = y * stride
            for i in 0..<stride {
                let above = y > 0 ? image.pixels[row - stride + i] : 0
                out.append(image.pixels[row + i] &- above)
            }
        }
        return out
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        out += bigEndian(UInt32(data.count))
        out += typeBytes
        out += data
        out += bigEndian(CRC32.update(CRC32.checksum(typeBytes), data))
    }

    /// A zlib stream (RFC 1950) around `deflate(data)`.
    public static func zlib(_ data: [UInt8]) -> [UInt8] {
        // CMF 0x78: deflate, 32K window; FLG 0x01 makes CMF*256+FLG a multiple of 31.
        [0x78, 0x01] + deflate(data) + bigEndian(Adler32.checksum(data))
    }

    /// DEFLATE (RFC 1951) as one fixed-Huffman block: literals, and matches at distance 1
    /// or 3 (the previous byte or the previous RGB pixel) of 3 to 258 bytes.
    public static func deflate(_ data: [UInt8]) -> [UInt8] {
        var w = BitWriter()
        w.write(1, bits: 1)  // BFINAL
        w.write(1, bits: 2)  // BTYPE 01: fixed Huffman
        var i = 0
        while i < data.count {
            var bestLength = 0, bestDistance = 0
            for distance in [1, 3] where i >= distance {
                var n = 0
                while n < 258, i + n < data.count, data[i + n] == data[i + n - distance] { n += 1 }
                if n > bestLength { bestLength = n; bestDistance = distance }
            }
            if bestLength >= 3 {
                w.writeLength(bestLength)
                w.writeDistance(bestDistance)
                i += bestLength
            } else {
                w.writeLiteral(Int(data[i]))
                i += 1
            }
        }
        w.writeLiteral(256)  // end of block
        return w.finish()
    }
}

/// DEFLATE's bit order: values least significant bit first, Huffman codes most
/// significant bit first.
struct BitWriter {
    var bytes: [UInt8] = []
    var accumulator: UInt64 = 0
    var count = 0

    mutating func write(_ value: Int, bits n: Int) {
        accumulator |= UInt64(value) << UInt64(count)
        count += n
        while count >= 8 {
            bytes.append(UInt8(accumulator & 0xFF))
            accumulator >>= 8
            count -= 8
        }
    }

    /// A Huffman code of `n` bits, first bit the most significant.
    mutating func writeCode(_ code: Int, bits n: Int) {
        var reversed = 0
        for k in 0..<n where code >> k & 1 == 1 { reversed |= 1 << (n - 1 - k) }
        write(reversed, bits: n)
    }

    /// A literal/length symbol in the fixed code.
    mutating func writeLiteral(_ symbol: Int) {
        switch symbol {
        case 0...143: writeCode(0x30 + symbol, bits: 8)
        case 144...255: writeCode(0x190 + symbol - 144, bits: 9)
        case 256...279: writeCode(symbol - 256, bits: 7)
        default: writeCode(0xC0 + symbol - 280, bits: 8)
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
                             35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
                              3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]

    mutating func writeLength(_ length: Int) {
        var k = BitWriter.lengthBase.count - 1
        while BitWriter.lengthBase[k] > length { k -= 1 }
        writeLiteral(257 + k)
        let extra = BitWriter.lengthExtra[k]
        if extra > 0 { write(length - BitWriter.lengthBase[k], bits: extra) }
    }

    /// Distances 1-4 are codes 0-3 with no extra bits (5-bit fixed codes).
    mutating func writeDistance(_ distance: Int) {
        precondition(distance >= 1 && distance <= 4)
        writeCode(distance - 1, bits: 5)
    }

    mutating func finish() -> [UInt8] {
        if count > 0 { bytes.append(UInt8(accumulator & 0xFF)) }
        accumulator = 0
        count = 0
        return bytes
    }
}
