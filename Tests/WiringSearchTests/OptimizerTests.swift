// SGD, Adam, gradient clipping and the cosine schedule against PyTorch's update rules, computed by
// hand (reference-spec 5.4): torch.optim.SGD(momentum, weight_decay), torch.optim.Adam(weight_decay),
// torch.nn.utils.clip_grad_norm_, CosineAnnealingLR stepped at the start of each epoch.
import Foundation
import Testing
import WiringEngine
import WiringModel
@testable import WiringSearch

@Suite struct OptimizerTests {
    func store(_ entries: [(String, [Double])]) -> ParameterStore<Double> {
        var s = ParameterStore<Double>()
        for (name, values) in entries { s.add(name, Tensor(shape: [values.count], scalars: values)) }
        return s
    }

    @Test func sgdTwoStepsMatchTorch() {
        var params = store([("w", [1.0, -2.0]), ("unused", [2.0])])
        var sgd = SGD<Double>(config: SGDConfig(lr: 0.1, momentum: 0.9, weightDecay: 0.01))
        // Step 1: d = g + wd w = [0.51, 0.23]; buf = d; w = w - 0.1 d = [0.949, -2.023].
        //         unused: d = 0.02, w = 2 - 0.002 = 1.998 (PyTorch 0.4's zero gradient still decays it).
        sgd.step(&params, gradients: ["w": Tensor(shape: [2], scalars: [0.5, 0.25])], lr: 0.1)
        #expect(approx(params["w"]!.scalars, [0.949, -2.023]) && approx(params["unused"]!.scalars, [1.998]))
        // Step 2: d = [-1 + 0.00949, -0.02023]; buf = 0.9 [0.51, 0.23] + d = [-0.53151, 0.18677];
        //         w = [0.949 + 0.053151, -2.023 - 0.018677].
        sgd.step(&params, gradients: ["w": Tensor(shape: [2], scalars: [-1, 0])], lr: 0.1)
        #expect(approx(params["w"]!.scalars, [1.002151, -2.041677]))
        // unused: d = 0.01998, buf = 0.018 + 0.01998 = 0.03798, w = 1.998 - 0.003798.
        #expect(approx(params["unused"]!.scalars, [1.994202]))
    }

    @Test func sgdSkipMissingLeavesUnusedParametersAlone() {
        var params = store([("w", [1.0]), ("unused", [2.0])])
        var sgd = SGD<Double>(config: SGDConfig(lr: 0.1, momentum: 0.9, weightDecay: 0.01))
        sgd.step(&params, gradients: ["w": Tensor(shape: [1], scalars: [0.5])], lr: 0.1, skipMissing: true)
        #expect(params["unused"]!.scalars == [2.0] && approx(params["w"]!.scalars, [0.949]))
    }

    @Test func adamTwoStepsMatchTorch() {
        var adam = Adam(config: AdamConfig(lr: 0.01, beta1: 0.5, beta2: 0.999, eps: 1e-8, weightDecay: 0.1))
        var x = [1.0, -0.5]
        // Step 1: g' = g + 0.1 x = [0.3, -0.15]; m_hat = g', v_hat = g'^2, so x -= 0.01 g' / (|g'| + 1e-8).
        adam.step(&x, gradient: [0.2, -0.1])
        let x1 = [1 - 0.01 * 0.3 / (0.3 + 1e-8), -0.5 + 0.01 * 0.15 / (0.15 + 1e-8)]
        #expect(approx(x, x1, 1e-15))
        #expect(approx(x, [0.990000000333, -0.490000000667], 1e-12))
        // Step 2 with g = 0: only the decay term g' = 0.1 x1 remains.
        adam.step(&x, gradient: [0, 0])
        let expected = (0..<2).map { i -> Double in
            let g1 = [0.3, -0.15][i], g2 = 0.1 * x1[i]
            let m = 0.5 * (0.5 * g1) + 0.5 * g2
            let v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2
            return x1[i] - 0.01 * (m / (1 - 0.25)) / ((v / (1 - 0.999 * 0.999)).squareRoot() + 1e-8)
        }
        #expect(approx(x, expected, 1e-15))
    }

    @Test func clipGlobalNormScalesLikeTorch() {
        var g: [String: Tensor<Double>] = ["a": Tensor(shape: [1], scalars: [3]), "b": Tensor(shape: [1], scalars: [4])]
        #expect(clipGlobalNorm(&g, maxNorm: 10) == 5)
        #expect(g["a"]!.scalars == [3], "below the limit: untouched")
        #expect(clipGlobalNorm(&g, maxNorm: 1) == 5)
        #expect(approx(g["a"]!.scalars + g["b"]!.scalars, [3 / (5 + 1e-6), 4 / (5 + 1e-6)], 1e-15))
    }

    @Test func newConfigFieldsAreWrittenOnlyWhenNotTheDefault() throws {
        // Run ids hash the configs' JSON: the fields the trajectory replay added must not change it at
        // their defaults, and JSON written before them must still read (taking the defaults).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let old = #"{"lr":0.025,"lrMin":0.001,"momentum":0.9,"gradClip":5,"schedule":"cosine","weightDecay":0.0003}"#
        let decoded = try JSONDecoder().decode(SGDConfig.self, from: Data(old.utf8))
        #expect(decoded == SGDConfig() && !decoded.skipMissingGradients)
        #expect(String(decoding: try encoder.encode(SGDConfig()), as: UTF8.self)
                == #"{"gradClip":5,"lr":0.025,"lrMin":0.001,"momentum":0.9,"schedule":"cosine","weightDecay":0.0003}"#)
        let skipping = SGDConfig(gradClip: nil, skipMissingGradients: true)
        #expect(try JSONDecoder().decode(SGDConfig.self, from: encoder.encode(skipping)) == skipping)

        for algorithm in SearchAlgorithm.allCases {
            let reference = SearchConfig(algorithm: algorithm)
            let json = String(decoding: try encoder.encode(reference), as: UTF8.self)
            #expect(!json.contains("rewardWeighting") && !json.contains("refreshRunningStatistics"), "\(json)")
            #expect(try JSONDecoder().decode(SearchConfig.self, from: Data(json.utf8)) == reference)
            var other = reference
            other.rewardWeighting = .none
            other.refreshRunningStatistics = false
            #expect(try JSONDecoder().decode(SearchConfig.self, from: encoder.encode(other)) == other)
        }
        #expect(SearchConfig(algorithm: .dsnas).rewardWeighting == .sampleProbability)
        #expect(SearchConfig(algorithm: .dsnas).refreshRunningStatistics)
    }

    @Test func cosineScheduleIsSteppedAtEpochStart() {
        let config = SGDConfig()  // 0.025 -> 0.001 over T epochs
        #expect(abs(config.learningRate(epoch: 0, of: 150) - (0.001 + 0.012 * (1 + cos(Double.pi / 150)))) < 1e-16)
        #expect(abs(config.learningRate(epoch: 74, of: 150) - 0.013) < 1e-15)
        #expect(abs(config.learningRate(epoch: 149, of: 150) - 0.001) < 1e-16)
        var constant = config
        constant.schedule = .constant
        #expect(constant.learningRate(epoch: 10, of: 150) == 0.025)
    }
}

/// Elementwise |a - b| <= tolerance * max(1, |b|).
func approx(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}
