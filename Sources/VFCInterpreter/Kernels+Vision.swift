import VFCIR
import VFCTensor

/// The vision kernels of method.md section 2: patchify, crop_sample, crop_sample_add, and
/// crop_sample_grad (the transpose of crop_sample with respect to the field).
extension Kernels {
    /// [N, C, H, W] to [N, (H/P)(W/P), C P P]: row i * (W/P) + j is patch (i, j), its
    /// columns in (channel, py, px) order, matching W_e [D, C, P, P] used as [D, C P^2].
    static func patchify(_ p: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0)
        let (nImg, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let nh = h / p, nw = w / p
        var out = try alloc(spec)
        x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { o in
                var k = 0
                for n in 0..<nImg {
                    for i in 0..<nh {
                        for j in 0..<nw {
                            for ch in 0..<c {
                                for py in 0..<p {
                                    let row = ((n * c + ch) * h + i * p + py) * w + j * p
                                    for px in 0..<p { o[k + px] = xb[row + px] }
                                    k += p
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// One bilinear sample of the field: the element offsets (row-major over [Fs, Fs],
    /// times D) of its four cells and their weights.
    struct FieldSample {
        var cells: (Int, Int, Int, Int)
        var weights: (Double, Double, Double, Double)
    }

    /// The grid x grid sample points of every box, in token order (box, i * grid + j),
    /// exactly as method.md section 2: j' = grid-1-j when flipped; u = x0 + (j'+0.5) w / grid,
    /// v = y0 + (i+0.5) h / grid; fx = u Fs / S - 0.5, fy likewise, clamped to [0, Fs-1];
    /// c0 = floor(c), c1 = min(c0+1, Fs-1). Weights are (1-ay)(1-ax), (1-ay)ax, ay(1-ax),
    /// ay ax for cells (y0,x0), (y0,x1), (y1,x0), (y1,x1).
    static func samplePoints(boxes: Tensor, flips: Tensor, grid: Int, source: Int, fieldSide fs: Int, depth d: Int) throws -> [FieldSample] {
        let nBoxes = boxes.shape[0]
        var out: [FieldSample] = []
        out.reserveCapacity(nBoxes * grid * grid)
        guard nBoxes > 0 else { return out }
        guard fs > 0 else { throw KernelError.emptyField }
        let g = Double(grid), scale = Double(fs), src = Double(source), hi = Double(fs - 1)
        let bx = boxes.scalars, fl = flips.scalars
        for n in 0..<nBoxes {
            let (x0, y0, w, h) = (bx[4 * n], bx[4 * n + 1], bx[4 * n + 2], bx[4 * n + 3])
            let flipped = fl[n] != 0
            for i in 0..<grid {
                for j in 0..<grid {
                    let jj = flipped ? grid - 1 - j : j
                    let u = x0 + (Double(jj) + 0.5) * w / g
                    let v = y0 + (Double(i) + 0.5) * h / g
                    let fx = u * scale / src - 0.5, fy = v * scale / src - 0.5
                    guard !fx.isNaN, !fy.isNaN else {
                        throw KernelError.nanSamplePoint(box: n, coordinates: Array(bx[(4 * n)..<(4 * n + 4)]))
                    }
                    let cx = Swift.min(Swift.max(fx, 0), hi), cy = Swift.min(Swift.max(fy, 0), hi)
                    let xa = Int(cx.rounded(.down)), ya = Int(cy.rounded(.down))
                    let xb = Swift.min(xa + 1, fs - 1), yb = Swift.min(ya + 1, fs - 1)
                    let ax = cx - Double(xa), ay = cy - Double(ya)
                    out.append(FieldSample(
                        cells: ((ya * fs + xa) * d, (ya * fs + xb) * d, (yb * fs + xa) * d, (yb * fs + xb) * d),
                        weights: ((1 - ay) * (1 - ax), (1 - ay) * ax, ay * (1 - ax), ay * ax)))
                }
            }
        }
        return out
    }

    /// pe[token, :] for every sample, written to `o` at token * d (the four weighted
    /// cells summed in cell order).
    private static func sampleField(_ field: Tensor, _ samples: [FieldSample], _ d: Int, into out: inout Tensor) {
        field.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in
                for (t, s) in samples.enumerated() {
                    let (c0, c1, c2, c3) = s.cells, (w0, w1, w2, w3) = s.weights
                    for e in 0..<d {
                        o[t * d + e] = w0 * f[c0 + e] + w1 * f[c1 + e] + w2 * f[c2 + e] + w3 * f[c3 + e]
                    }
                }
            }
        }
    }

    /// crop_sample %field, %boxes, %flips: [N, grid^2, D] field samples.
    static func cropSample(_ grid: Int, _ source: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let field = try tensor(args, 0), boxes = try tensor(args, 1), flips = try tensor(args, 2)
        let d = field.shape[2]
        let samples = try samplePoints(boxes: boxes, flips: flips, grid: grid, source: source, fieldSide: field.shape[0], depth: d)
        var out = try alloc(spec)
        sampleField(field, samples, d, into: &out)
        return out
    }

    /// crop_sample_grad %d, %boxes, %flips: the transpose of crop_sample with respect to
    /// the field. The sample points and weights come from `samplePoints`, the very
    /// computation crop_sample uses, so the two can never disagree. Each sample's row
    /// d[n, t, :] is added, times its weight, into its four cells in cell order, samples in
    /// row-major (n, t) order (a fixed summation order); clamped samples whose x1 == x0 (or
    /// y1 == y0) add both contributions to the same cell, as the transpose must.
    static func cropSampleGrad(_ grid: Int, _ source: Int, _ field: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let dt = try tensor(args, 0), boxes = try tensor(args, 1), flips = try tensor(args, 2)
        let d = spec.shape[2]
        let samples = try samplePoints(boxes: boxes, flips: flips, grid: grid, source: source, fieldSide: field, depth: d)
        var out = try alloc(spec)
        dt.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { o in
                for (t, s) in samples.enumerated() {
                    let (c0, c1, c2, c3) = s.cells, (w0, w1, w2, w3) = s.weights
                    for e in 0..<d {
                        let v = g[t * d + e]
                        o[c0 + e] += w0 * v
                        o[c1 + e] += w1 * v
                        o[c2 + e] += w2 * v
                        o[c3 + e] += w3 * v
                    }
                }
            }
        }
        return out
    }

    /// crop_sample_add: (mc ? mask_token : x) + (mp ? pos_mask_token : crop_sample).
    static func cropSampleAdd(_ grid: Int, _ source: Int, _ args: [Arg], _ spec: ResultSpec) throws -> Tensor {
        let x = try tensor(args, 0), field = try tensor(args, 1)
        let mc = try tensor(args, 4), maskToken = try tensor(args, 5)
        let mp = try tensor(args, 6), posMaskToken = try tensor(args, 7)
        let d = field.shape[2]
        let samples = try samplePoints(boxes: try tensor(args, 2), flips: try tensor(args, 3), grid: grid,
                                       source: source, fieldSide: field.shape[0], depth: d)
        var out = try alloc(spec)
        sampleField(field, samples, d, into: &out)
        x.withUnsafeBufferPointer { xb in
            mc.withUnsafeBufferPointer { cm in
                mp.withUnsafeBufferPointer { pm in
                    maskToken.withUnsafeBufferPointer { mt in
                        posMaskToken.withUnsafeBufferPointer { pt in
                            out.withUnsafeMutableBufferPointer { o in
                                for t in 0..<samples.count {
                                    let content = cm[t] != 0, position = pm[t] != 0
                                    for e in 0..<d {
                                        let c = content ? mt[e] : xb[t * d + e]
                                        o[t * d + e] = c + (position ? pt[e] : o[t * d + e])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
