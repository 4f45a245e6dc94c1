import Coordination
import Processes
import Foundation
import Logging
import Testing

/// The two implementations the behaviour tests run against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inMemory
    case zooKeeper

    var testDescription: String { rawValue }
}

/// One test's view of a backend: it opens clients (each with its own event recorder), expires
/// them, and gives the test a fresh root znode so tests sharing one ZooKeeper never see each other.
final class Harness: @unchecked Sendable {
    /// Long enough that a loaded machine does not expire a session by accident, short enough that a
    /// forced expiry is noticed well within `EventRecorder.waitLimitMs`.
    static let sessionTimeoutMs = 4_000

    let backend: Backend
    let root: String
    private let ensemble = InMemoryCoordination()
    private let server: ZooKeeperServer?
    // Touched only from the test's own thread.
    private var clients: [any CoordinationClient] = []

    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .inMemory:
            server = nil
        case .zooKeeper:
            guard let shared = SharedZooKeeper.current else {
                throw HarnessError(description: "the suite must run with the .sharedZooKeeper trait")
            }
            server = shared
        }
        root = "/test-\(UUID().uuidString.prefix(8).lowercased())"
        try connect().client.create(root, data: [])
    }

    /// Opens a session; the returned recorder has already seen `connected`.
    func connect() throws -> (client: any CoordinationClient, events: EventRecorder) {
        let events = EventRecorder()
        let client: any CoordinationClient
        switch backend {
        case .inMemory:
            client = ensemble.client(sessionTimeoutMs: Self.sessionTimeoutMs, onEvent: events.handler)
        case .zooKeeper:
            client = try ZooKeeperClient.connect(
                connectString: server!.connectString, sessionTimeoutMs: Self.sessionTimeoutMs,
                connectTimeoutMs: EventRecorder.waitLimitMs, logger: testLogger, onEvent: events.handler)
        }
        clients.append(client)
        return (client, events)
    }

    /// Makes the store end `client`'s session, as a server does when it stops hearing from it.
    func expire(_ client: any CoordinationClient) throws {
        switch client {
        case let memory as InMemoryCoordinationClient: memory.expire()
        case let zooKeeper as ZooKeeperClient: try zooKeeper.forceSessionExpiry(timeoutMs: EventRecorder.waitLimitMs)
        default: Issue.record("unknown client type \(type(of: client))")
        }
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    deinit {
        if let cleaner = try? connect().client { try? cleaner.deleteRecursive(root) }
        for client in clients { client.close() }
    }
}

/// Test logs stay in memory-less silence unless a test asks: the C library's warnings about
/// deliberately broken connections are expected here.
let testLogger = Logger(label: "samsa.coordination.tests") { _ in SwiftLogNoOpLogHandler() }

/// One ZooKeeper for the whole behaviour suite, started in a temporary directory before its first
/// test and stopped after its last. If it cannot start, the suite fails with the server's log.
struct SharedZooKeeper: SuiteTrait, TestScoping {
    @TaskLocal static var current: ZooKeeperServer?

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("samsa-zookeeper-\(UUID().uuidString.prefix(8))").path
        let server = try ZooKeeperServer.start(ZooKeeperServerConfiguration(directory: directory))
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await Self.$current.withValue(server) { try await function() }
    }
}

extension Trait where Self == SharedZooKeeper {
    static var sharedZooKeeper: Self { Self() }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
