import Foundation

/// The DINO k-NN classifier on frozen features: L2-normalised features, cosine similarity,
/// the k most similar training rows vote for their class with weight exp(similarity / T).
public enum KNNClassifier {
    /// The predicted class of every row of `query`. Ties (equal vote) go to the lower class.
    public static func predict(train: FeatureMatrix, labels: [Int], classes: Int, query: FeatureMatrix,
                               k: Int = 20, temperature: Double = 0.07) -> [Int] {
        precondition(train.dim == query.dim && labels.count == train.rows)
        let a = normalized(train), q = normalized(query)
        let kk = min(k, a.rows)
        var out: [Int] = []
        out.reserveCapacity(q.rows)
        var sims = [Float](repeating: 0, count: a.rows)
        a.values.withUnsafeBufferPointer { av in
            q.values.withUnsafeBufferPointer { qv in
                let d = a.dim
                for i in 0..<q.rows {
                    for j in 0..<a.rows {
                        var s: Float = 0
                        for c in 0..<d { s += qv[i * d + c] * av[j * d + c] }
                        sims[j] = s
                    }
                    // The k largest, ties by the lower training index (stable).
                    let top = sims.indices.sorted { sims[$0] != sims[$1] ? sims[$0] > sims[$1] : $0 < $1 }.prefix(kk)
                    var votes = [Double](repeating: 0, count: classes)
                    for j in top { votes[labels[j]] += exp(Double(sims[j]) / temperature) }
                    var best = 0
                    for c in 1..<max(classes, 1) where votes[c] > votes[best] { best = c }
                    out.append(best)
                }
            }
        }
        return out
    }

    /// Rows scaled to unit L2 norm (a zero row stays zero).
    public static func normalized(_ m: FeatureMatrix) -> FeatureMatrix {
        var out = m
        for i in 0..<m.rows {
            var s: Float = 0
            for k in 0..<m.dim { s += m.values[i * m.dim + k] * m.values[i * m.dim + k] }
            let inv = s > 0 ? 1 / s.squareRoot() : 0
            for k in 0..<m.dim { out.values[i * m.dim + k] *= inv }
        }
        return out
    }
}
