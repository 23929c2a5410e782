// swift-tools-version:6.0
// WiringLab: measure why differentiable NAS picks the wiring it picks.
// Dependencies point down: CLI -> Experiment (Cluster -> Report -> Run -> Spec) -> Model/Search/Data/Results -> Engine.
import PackageDescription

let package = Package(
    name: "WiringLab",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wiringlab", targets: ["wiringlab"]),
        .library(name: "WiringEngine", targets: ["WiringEngine"]),
        .library(name: "WiringModel", targets: ["WiringModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: - C system libraries (only WiringResults / WiringData import these)
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        // MARK: - Modules, lowest first
        .target(
            name: "WiringEngine",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            exclude: ["README.md"]),
        .target(name: "WiringModel", dependencies: ["WiringEngine"], exclude: ["README.md"]),
        .target(name: "WiringSearch", dependencies: ["WiringModel", "WiringEngine"], exclude: ["README.md"]),
        .target(name: "WiringData", dependencies: ["WiringEngine", "CZlib"], exclude: ["README.md"]),
        .target(
            name: "WiringResults",
            dependencies: ["CHDF5", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"]),
        // The experiment layer, one target per layer so that an upward import does not build:
        // spec (manifest, schema, planner) -> run (executor, phases, records) -> report (writer, views) -> cluster.
        .target(
            name: "WiringSpec",
            dependencies: [
                "WiringModel", "WiringSearch", "WiringData", "WiringResults", "WiringEngine",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            exclude: ["README.md"]),
        .target(
            name: "WiringRun",
            dependencies: ["WiringSpec", "WiringModel", "WiringSearch", "WiringData", "WiringResults", "WiringEngine"],
            exclude: ["README.md"]),
        .target(
            name: "WiringReport",
            dependencies: ["WiringRun", "WiringSpec", "WiringModel", "WiringSearch", "WiringData", "WiringResults", "WiringEngine"],
            exclude: ["README.md"]),
        .target(name: "WiringCluster", dependencies: ["WiringReport", "WiringRun", "WiringSpec"], exclude: ["README.md"]),
        // The umbrella the CLI, the bench and the tests import: re-exports the four layers and wires the
        // report's result writer into the run's entry points.
        .target(
            name: "WiringExperiment",
            dependencies: ["WiringCluster", "WiringReport", "WiringRun", "WiringSpec"],
            exclude: ["README.md"]),

        // MARK: - Executables
        .executableTarget(
            name: "wiringlab",
            dependencies: [
                "WiringEngine", "WiringExperiment",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "wiringbench", dependencies: ["WiringExperiment", "WiringSearch", "WiringModel", "WiringEngine"]),

        // MARK: - Test support and tests
        .target(name: "WiringTestSupport", dependencies: ["WiringEngine"]),
        .testTarget(name: "WiringEngineTests", dependencies: ["WiringEngine", "WiringTestSupport"]),
        .testTarget(name: "WiringModelTests", dependencies: ["WiringModel", "WiringEngine", "WiringTestSupport", "WiringResults"]),
        .testTarget(name: "WiringSearchTests", dependencies: ["WiringSearch", "WiringModel", "WiringEngine", "WiringTestSupport", "WiringResults"]),
        .testTarget(name: "WiringDataTests", dependencies: ["WiringData"]),
        .testTarget(name: "WiringResultsTests", dependencies: ["WiringResults"]),
        .testTarget(
            name: "WiringExperimentTests",
            dependencies: ["WiringExperiment", "WiringSpec", "WiringRun", "WiringReport", "WiringCluster", "WiringResults"]),
    ],
    // Swift 5 mode: kernels share raw buffers across concurrentPerform workers by design.
    swiftLanguageModes: [.v5]
)
