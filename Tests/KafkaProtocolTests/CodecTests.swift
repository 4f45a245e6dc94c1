import Foundation
import NIOCore
import Testing
@testable import KafkaProtocol

/// SplitMix64: a seeded generator, so that a failing fuzz input can be reproduced from the seed in
/// the failure message.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct CodecTests {
    func codec(_ name: String) -> CodecCase { codecCases.first { $0.name == name }! }

    @Test(arguments: codecCases.map(\.name))
    func everyVersionRoundTrips(_ name: String) throws {
        let codec = codec(name)
        for version in codec.versions {
            #expect(try codec.roundTrip(version), "\(name) v\(version)")
        }
    }

    /// Each API Samsa knows has a request and a response codec under test at every version up to its
    /// last non-flexible one (DescribeCluster and ListTransactions, flexible throughout, at v0–1; DescribeTransactions at v0;
    /// InitProducerId through its flexible v4, TxnOffsetCommit through its flexible v3, the admin APIs through their
    /// newest versions): a version added to `ApiKey` without a sample fails here.
    @Test func everyApiIsCoveredAtEveryNonFlexibleVersion() {
        for key in ApiKey.allCases {
            let expected: ClosedRange<Int16> = switch key {
            case .apiVersions: 0...3
            case .describeCluster: 0...1
            case .describeTransactions: 0...0
            case .listTransactions: 0...1
            case .alterPartitionReassignments: 0...1
            case .listPartitionReassignments: 0...0
            case .initProducerId: 0...4
            case .txnOffsetCommit: 0...3
            case .createTopics: 0...7
            case .deleteTopics: 0...6
            case .describeConfigs: 0...4
            case .createPartitions: 0...3
            case .alterConfigs: 0...2
            case .incrementalAlterConfigs: 0...1
            case .deleteRecords: 0...2
            case .electLeaders: 0...2
            case .describeLogDirs: 0...4
            case .controlledShutdown: 1...(key.firstFlexibleVersion - 1)
            default: 0...(key.firstFlexibleVersion - 1)
            }
            for isRequest in [true, false] {
                let cases = codecCases.filter { $0.apiKey == key && $0.isRequest == isRequest }
                #expect(cases.count == 1 && cases.first?.versions == expected, "\(key) \(isRequest ? "request" : "response"): \(cases.map(\.versions))")
            }
        }
    }

    /// The inter-broker codecs refuse versions whose layout they do not describe.
    @Test func interBrokerCodecsRejectVersionsOutsideTheirRange() {
        func rejects<M: KafkaMessage>(_ type: M.Type, _ version: Int16) {
            var buffer = ByteBuffer(bytes: [UInt8](repeating: 0, count: 64))
            #expect(throws: ProtocolError.unsupportedVersion(apiKey: M.apiKey.rawValue, version: version)) { try M(from: &buffer, version: version) }
        }
        for version: Int16 in [-1, 4, 7] {
            rejects(LeaderAndIsrRequest.self, version)
            rejects(LeaderAndIsrResponse.self, version)
        }
        for version: Int16 in [-1, 6] {
            rejects(UpdateMetadataRequest.self, version)
            rejects(UpdateMetadataResponse.self, version)
        }
        for version: Int16 in [-1, 2] {
            rejects(StopReplicaRequest.self, version)
            rejects(StopReplicaResponse.self, version)
        }
        for version: Int16 in [0, 3] {
            rejects(ControlledShutdownRequest.self, version)
            rejects(ControlledShutdownResponse.self, version)
        }
        #expect(LeaderAndIsrRequest.versions.contains(LeaderAndIsrRequest.version))
        #expect(UpdateMetadataRequest.versions.contains(UpdateMetadataRequest.version))
        #expect(StopReplicaRequest.versions.contains(StopReplicaRequest.version))
        #expect(ControlledShutdownRequest.versions.contains(ControlledShutdownRequest.version))
    }

    /// Every strict prefix of a valid encoding is rejected with a ProtocolError, never a trap.
    @Test(arguments: codecCases.map(\.name))
    func truncatedInputAlwaysThrows(_ name: String) {
        let codec = codec(name)
        for version in codec.versions {
            let full = codec.encode(version)
            for length in 0..<full.readableBytes {
                var prefix = full.getSlice(at: full.readerIndex, length: length)!
                #expect(throws: ProtocolError.self, "\(name) v\(version) prefix \(length)") { try codec.decode(&prefix, version) }
            }
        }
    }

    /// Decoding must end in a value or a ProtocolError; a trap would end the test process. Returns
    /// what went wrong, if anything.
    static func decodeOrProtocolError(_ codec: CodecCase, _ bytes: [UInt8], _ version: Int16, _ context: @autoclosure () -> String) -> String? {
        var buffer = ByteBuffer(bytes: bytes)
        do { try codec.decode(&buffer, version) } catch {
            if !(error is ProtocolError) { return "\(codec.name) v\(version) \(context()): \(error)" }
        }
        return nil
    }

    /// Runs a fuzz loop (seconds of CPU in a debug build, per message type) on a thread of its own:
    /// on the cooperative pool, a few of them would hold every thread the other tests' async work
    /// needs, and tests with bounded waits would time out behind them.
    static func onOwnThread(_ body: @escaping @Sendable () -> [String]) async -> [String] {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }

    /// Every byte of a valid encoding replaced by boundary values, and every 2- and 4-byte window
    /// replaced by the largest and most negative lengths and counts: wherever a length or an array
    /// count sits, a hostile value reaches it. Array counts are checked against the bytes left, so
    /// none of these makes a decoder reserve more than the input holds.
    @Test(arguments: codecCases.map(\.name))
    func everySingleByteMutationAndHostileLengthIsHandled(_ name: String) async {
        let codec = codec(name)
        let problems = await Self.onOwnThread {
            var problems: [String] = []
            for version in codec.versions {
                let full = Array(codec.encode(version).readableBytesView)
                for index in full.indices {
                    for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF] where value != full[index] {
                        var bytes = full
                        bytes[index] = value
                        if let problem = Self.decodeOrProtocolError(codec, bytes, version, "byte \(index) = \(value)") { problems.append(problem) }
                    }
                    for window: [UInt8] in [[0x7F, 0xFF], [0x80, 0x00], [0x7F, 0xFF, 0xFF, 0xFF], [0x80, 0x00, 0x00, 0x00], [0xFF, 0xFF, 0xFF, 0xFE]]
                    where index + window.count <= full.count {
                        var bytes = full
                        bytes.replaceSubrange(index..<(index + window.count), with: window)
                        if let problem = Self.decodeOrProtocolError(codec, bytes, version, "\(window) at \(index)") { problems.append(problem) }
                    }
                }
            }
            return problems
        }
        #expect(problems.isEmpty, "\(problems.count) inputs did not end in a value or a ProtocolError: \(problems.prefix(5))")
    }

    /// Thousands of random mutations and random byte strings per message type, from a fixed seed.
    @Test(arguments: codecCases.map(\.name))
    func randomInputNeverTraps(_ name: String) async {
        let codec = codec(name)
        let seed = UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) })
        let problems = await Self.onOwnThread {
            var problems: [String] = []
            var generator = SeededGenerator(seed: seed)
            let perVersion = 3000 / codec.versions.count
            for version in codec.versions {
                let full = Array(codec.encode(version).readableBytesView)
                for round in 0..<perVersion {
                    var bytes = full
                    if !bytes.isEmpty {
                        for _ in 0..<Int.random(in: 1...4, using: &generator) {
                            bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                        }
                    }
                    if let problem = Self.decodeOrProtocolError(codec, bytes, version, "seed \(seed) mutation round \(round)") { problems.append(problem) }
                    let random = (0..<Int.random(in: 0...256, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    if let problem = Self.decodeOrProtocolError(codec, random, version, "seed \(seed) random round \(round)") { problems.append(problem) }
                }
            }
            return problems
        }
        #expect(problems.isEmpty, "\(problems.count) inputs did not end in a value or a ProtocolError: \(problems.prefix(5))")
    }
}
