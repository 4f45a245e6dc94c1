// swift-tools-version:6.0
import PackageDescription

/// One executable (`samsa`) over library targets whose imports follow DESIGN.md §2:
/// KafkaProtocol ← LogStore, Replication ← Broker; KafkaClient, Coordination, Verification ← Lab ←
/// Playbook ← Shell; Lab also reads brokers' data directories through LogStore (the replica digest).
/// Swift packages come from the local mirror by their GitHub URL.
let package = Package(
    name: "samsa",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "samsa", targets: ["samsa"]),
        /// The lab's durability tracker, injected with LD_PRELOAD into brokers of a cluster that
        /// can suffer `power-loss` (see Sources/SamsaDurability/shim.c); found next to `samsa`.
        .library(name: "SamsaDurability", type: .dynamic, targets: ["SamsaDurability"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .target(
            name: "KafkaProtocol",
            dependencies: ["CZlib", "CSnappy", "CLZ4", "CZstd", .product(name: "NIOCore", package: "swift-nio")]
        ),
        /// The four codecs Kafka batches use, from Debian's libraries (scripts/setup installs the
        /// -dev packages); KafkaProtocol's Compression wraps them.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy"),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .target(
            name: "LogStore",
            dependencies: ["KafkaProtocol", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore"]),
        .target(name: "Replication", dependencies: ["KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication"]),
        .target(
            name: "Broker",
            dependencies: [
                "KafkaProtocol", "LogStore", "Replication", "Coordination", "KafkaClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "KafkaClient",
            dependencies: [
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "KafkaClientTests", dependencies: ["KafkaClient", "KafkaProtocol", .product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "Lab",
            dependencies: [
                "KafkaClient", "Coordination", "LogStore", "Verification",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Workload/kafka_workload.py")]
        ),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "Coordination"]),
        .testTarget(name: "LabTests", dependencies: ["Lab", "LogStore", "Verification", .product(name: "NIOPosix", package: "swift-nio")]),
        .target(
            name: "Playbook",
            dependencies: ["Lab", "Broker", "Verification", "Report", "KafkaClient", "Yams", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "PlaybookTests", dependencies: ["Playbook", "Lab", "Verification"]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        .target(
            name: "Shell",
            dependencies: ["Lab", "Report", "Verification", "KafkaClient", "KafkaProtocol", "Coordination", "CReadline",
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "Lab"]),
        .target(
            name: "Bench",
            dependencies: ["Lab", "Coordination", "Verification", .product(name: "Histogram", package: "hdrhistogram-swift")],
            resources: [.copy("Resources/bench_client.py")]
        ),
        .executableTarget(
            name: "samsa",
            dependencies: [
                "Bench", "Broker", "Lab", "KafkaClient", "KafkaProtocol", "LogStore", "Playbook", "Report", "Shell", "Verification",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Verification", dependencies: ["KafkaProtocol", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(name: "VerificationTests", dependencies: ["Verification"]),
        .target(name: "Report", dependencies: ["Verification"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Verification"]),
        .systemLibrary(name: "CZooKeeper", path: "Sources/CZooKeeper"),
        .target(name: "SamsaDurability", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(name: "Coordination", dependencies: ["CZooKeeper", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination"]),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: ["KafkaProtocol", .product(name: "NIOTestUtils", package: "swift-nio")]
        ),
    ]
)
