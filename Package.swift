// swift-tools-version:6.0
import PackageDescription

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioConcurrencyHelpers: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

/// One executable (`samsa`) over library targets; each target's dependency list names every module
/// its files import (CI builds with `--explicit-target-dependency-import-check error`), and
/// ARCHITECTURE.md says what each target owns. The graph, DESIGN.md §2:
/// - KafkaProtocol ← LogStore, Replication, KafkaClient, Verification.
/// - FaultModel (fault commands, targets, conditions as values) ← Verification, Lab.
/// - Replication ← SamsaConfig (the broker property catalogue, its validators, "did you mean").
/// - KafkaProtocol, LogStore, Replication, SamsaConfig, Coordination, KafkaClient ← Broker.
/// - Coordination is the ZooKeeper client side only; Processes spawns children (ZooKeeper, brokers,
///   clients) that die with the lab.
/// - KafkaClient, Coordination, Processes, SamsaConfig, LogStore, Verification ← Lab ← Playbook,
///   Shell, Bench; Report ← Playbook, Shell. Playbook checks broker properties through SamsaConfig,
///   never through Broker. Everything ← samsa.
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
            dependencies: ["CZlib", "CSnappy", "CLZ4", "CZstd", "CCRC32C", nioCore]
        ),
        /// CRC-32C with the CPU's `crc32` instruction (SSE 4.2), chosen at run time by CRC32C.
        .target(name: "CCRC32C"),
        /// The four codecs Kafka batches use, from Debian's libraries (scripts/setup installs the
        /// -dev packages); KafkaProtocol's Compression wraps them.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy"),
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .target(name: "LogStore", dependencies: ["KafkaProtocol", nioCore, nioConcurrencyHelpers, logging]),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "KafkaProtocol", nioCore, logging]),
        .target(name: "Replication", dependencies: ["KafkaProtocol", nioCore]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "KafkaProtocol", nioCore]),
        /// What a broker property or topic override may be, apart from any running broker, so that
        /// playbooks check them without linking the broker.
        .target(name: "SamsaConfig", dependencies: ["Replication"]),
        .testTarget(name: "SamsaConfigTests", dependencies: ["SamsaConfig"]),
        .target(
            name: "Broker",
            dependencies: [
                "KafkaProtocol", "LogStore", "Replication", "SamsaConfig", "Coordination", "KafkaClient",
                nioCore, nioPosix, nioConcurrencyHelpers, logging,
            ]
        ),
        .target(name: "KafkaClient", dependencies: ["KafkaProtocol", nioCore, nioPosix, nioConcurrencyHelpers]),
        .testTarget(name: "KafkaClientTests", dependencies: ["KafkaClient", "KafkaProtocol", nioCore]),
        .target(
            name: "Lab",
            dependencies: [
                "KafkaClient", "KafkaProtocol", "Coordination", "Processes", "SamsaConfig", "LogStore", "Verification", "FaultModel",
                nioCore, nioPosix, nioConcurrencyHelpers, logging,
            ],
            resources: [.copy("Workload/kafka_workload.py")]
        ),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "Broker", "Coordination", "KafkaProtocol", "LogStore", "Replication", "SamsaConfig",
                nioCore, nioPosix, nioConcurrencyHelpers, logging,
            ]
        ),
        .testTarget(
            name: "LabTests",
            dependencies: ["Lab", "KafkaClient", "KafkaProtocol", "LogStore", "Processes", "Verification", nioCore, nioPosix, nioConcurrencyHelpers, logging]
        ),
        .target(
            name: "Playbook",
            dependencies: [
                "Lab", "SamsaConfig", "Verification", "Report", "KafkaClient", "KafkaProtocol", "Yams",
                nioConcurrencyHelpers, logging,
            ],
            resources: [.copy("Launchers")]
        ),
        .testTarget(name: "PlaybookTests", dependencies: ["Playbook", "Lab", "Verification"]),
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        .target(
            name: "Shell",
            dependencies: ["Lab", "Playbook", "Processes", "SamsaConfig", "Report", "Verification", "KafkaClient", "KafkaProtocol", "CReadline",
                           logging]
        ),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "Lab"]),
        .target(
            name: "Bench",
            dependencies: ["Lab", "Processes", "Verification", .product(name: "Histogram", package: "hdrhistogram-swift")],
            resources: [.copy("Resources/bench_client.py")]
        ),
        .executableTarget(
            name: "samsa",
            dependencies: [
                "Bench", "Broker", "Lab", "KafkaClient", "KafkaProtocol", "LogStore", "Playbook", "Report", "Shell", "Verification",
                nioCore, logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "Verification", dependencies: ["KafkaProtocol", "FaultModel", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .testTarget(name: "VerificationTests", dependencies: ["Verification", "FaultModel"]),
        /// Faults, targets and conditions as values, with their JSON form: what the lab applies and
        /// what the timeline and the report record, below both (no I/O).
        .target(name: "FaultModel"),
        .target(name: "Report", dependencies: ["Verification"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Verification"]),
        .systemLibrary(name: "CZooKeeper", path: "Sources/CZooKeeper"),
        .target(name: "SamsaDurability", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        /// The ZooKeeper client side: sessions, watches, recipes, and an in-memory stand-in for tests.
        .target(name: "Coordination", dependencies: ["CZooKeeper", logging]),
        .testTarget(name: "CoordinationTests", dependencies: ["Coordination", "Processes", logging]),
        /// Child processes that die with their parent, and the ZooKeeper server the lab starts that way.
        .target(name: "Processes"),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: [
                "KafkaProtocol", nioCore,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
    ]
)
