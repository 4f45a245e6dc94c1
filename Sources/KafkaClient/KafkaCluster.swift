import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A client's view of a cluster: bootstrap addresses, the latest metadata, and one connection per
/// broker, opened on demand and replaced when it breaks. Every call is bounded by its timeout.
///
/// Owner: `state` (lock-guarded) holds the metadata and the connection table; connections are
/// opened outside the lock and the first one stored wins.
public final class KafkaCluster: Sendable {
    public struct Options: Sendable {
        public var clientId: String = "samsa"
        public var connectTimeoutMs: Int64 = 3000
        public var requestTimeoutMs: Int64 = 10000
        /// Where to reach a broker instead of the address it advertises (the lab reaches brokers on
        /// their own listeners, behind the proxies its faults act on).
        public var addressOverrides: [Int32: (host: String, port: Int)] = [:]
        public init() {}
    }

    public struct BrokerInfo: Sendable, Equatable, Hashable {
        public var id: Int32
        public var host: String
        public var port: Int
    }

    public struct PartitionInfo: Sendable, Equatable {
        public var topicPartition: TopicPartition
        public var errorCode: ErrorCode
        public var leader: Int32
        public var leaderEpoch: Int32
        public var replicas: [Int32]
        public var isr: [Int32]
        public var offlineReplicas: [Int32]
    }

    public struct TopicInfo: Sendable, Equatable {
        public var name: String
        public var errorCode: ErrorCode
        public var isInternal: Bool
        public var partitions: [PartitionInfo]
    }

    public struct Metadata: Sendable, Equatable {
        public var clusterId: String?
        public var controllerId: Int32
        public var brokers: [Int32: BrokerInfo]
        public var topics: [String: TopicInfo]
        /// Which broker answered.
        public var source: String

        public func partition(_ tp: TopicPartition) -> PartitionInfo? {
            topics[tp.topic]?.partitions.first { $0.topicPartition.partition == tp.partition }
        }
    }

    struct State {
        var metadata: Metadata?
        var connections: [String: KafkaConnection] = [:]
        var closed = false
        /// The address that last answered a metadata request, asked first next time.
        var lastAnswered: String?
        /// Addresses whose metadata request failed, and when: asked last for a while.
        var failedAt: [String: ContinuousClock.Instant] = [:]
    }

    public let bootstrap: [(host: String, port: Int)]
    public let options: Options
    let group: EventLoopGroup
    private let ownsGroup: Bool
    private let state = NIOLockedValueBox(State())

    /// `bootstrap` is `host:port[,host:port...]`.
    public init(bootstrap: String, options: Options = Options(), group: EventLoopGroup? = nil) throws {
        let parsed = bootstrap.split(separator: ",").compactMap { item -> (String, Int)? in
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
            return (String(text[..<colon]), port)
        }
        guard !parsed.isEmpty, parsed.count == bootstrap.split(separator: ",").count else {
            throw KafkaClientError.protocolError("bootstrap '\(bootstrap)' is not host:port[,host:port...]")
        }
        self.bootstrap = parsed.map { (host: $0.0, port: $0.1) }
        self.options = options
        if let group {
            self.group = group
            ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            ownsGroup = true
        }
    }

    public var cachedMetadata: Metadata? { state.withLockedValue { $0.metadata } }

    /// A connection to `host:port`, reusing a live one.
    public func connection(host: String, port: Int) async throws -> KafkaConnection {
        let key = "\(host):\(port)"
        if let existing = state.withLockedValue({ $0.connections[key] }), !existing.isClosed { return existing }
        let fresh = try await KafkaConnection.connect(host: host, port: port, group: group, clientId: options.clientId,
                                                      connectTimeoutMs: options.connectTimeoutMs,
                                                      requestTimeoutMs: options.requestTimeoutMs)
        let (winner, closeFresh) = state.withLockedValue { state -> (KafkaConnection, Bool) in
            if let existing = state.connections[key], !existing.isClosed { return (existing, true) }
            state.connections[key] = fresh
            return (fresh, false)
        }
        if closeFresh { fresh.close() }
        return winner
    }

    public func connection(broker id: Int32) async throws -> KafkaConnection {
        guard let broker = state.withLockedValue({ $0.metadata?.brokers[id] }) else {
            _ = try await refreshMetadata(topics: nil)
            guard let broker = state.withLockedValue({ $0.metadata?.brokers[id] }) else {
                throw KafkaClientError.protocolError("broker \(id) is not in the cluster metadata")
            }
            return try await connection(host: broker.host, port: broker.port)
        }
        return try await connection(host: broker.host, port: broker.port)
    }

    /// Any reachable broker: known brokers first, then the bootstrap list.
    public func anyConnection() async throws -> KafkaConnection {
        var lastError: Error = KafkaClientError.noBrokers
        for (host, port) in candidates() {
            do { return try await connection(host: host, port: port) } catch { lastError = error }
        }
        throw lastError
    }

    /// The addresses to try, best first: the one that last answered a metadata request, then the
    /// known brokers and the bootstrap list, with those that failed in the last few seconds at the end.
    func candidates() -> [(host: String, port: Int)] {
        let (known, preferred, failed) = state.withLockedValue { state in
            (state.metadata.map { $0.brokers.values.sorted { $0.id < $1.id }.map { (host: $0.host, port: $0.port) } } ?? [],
             state.lastAnswered, state.failedAt)
        }
        var seen: Set<String> = []
        let all = (known + bootstrap).filter { seen.insert("\($0.host):\($0.port)").inserted }
        let recent = ContinuousClock.now - .seconds(5)
        func rank(_ address: (host: String, port: Int)) -> Int {
            let key = "\(address.host):\(address.port)"
            if let failed = failed[key], failed > recent { return 2 }
            return key == preferred ? 0 : 1
        }
        return all.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    /// Fetches metadata for `topics` (nil = all) and caches it. Each known broker is asked in turn
    /// (each bounded by the request timeout) until one answers: a paused broker still accepts
    /// connections, so one that does not answer must not hide the others.
    @discardableResult
    public func refreshMetadata(topics: [String]?, allowAutoCreate: Bool = false) async throws -> Metadata {
        let request = MetadataRequest(topics: topics.map { $0.map { MetadataRequest.Topic(name: $0) } },
                                      allowAutoTopicCreation: allowAutoCreate)
        var lastError: Error = KafkaClientError.noBrokers
        var answer: (MetadataResponse, KafkaConnection)?
        for address in candidates() {
            let key = "\(address.host):\(address.port)"
            var connection: KafkaConnection?
            do {
                connection = try await self.connection(host: address.host, port: address.port)
                let response: MetadataResponse = try await connection!.send(request, timeoutMs: options.requestTimeoutMs)
                state.withLockedValue { $0.lastAnswered = key; $0.failedAt[key] = nil }
                answer = (response, connection!)
                break
            } catch {
                lastError = error
                if let connection { invalidate(connection) }
                state.withLockedValue { $0.failedAt[key] = .now }
            }
        }
        guard let (response, connection) = answer else { throw lastError }
        var brokers: [Int32: BrokerInfo] = [:]
        for broker in response.brokers {
            let address = options.addressOverrides[broker.nodeId] ?? (host: broker.host, port: Int(broker.port))
            brokers[broker.nodeId] = BrokerInfo(id: broker.nodeId, host: address.host, port: address.port)
        }
        var topicInfos: [String: TopicInfo] = [:]
        for topic in response.topics {
            guard let name = topic.name else { continue }
            topicInfos[name] = TopicInfo(
                name: name, errorCode: ErrorCode(rawValue: topic.errorCode) ?? .unknownServerError, isInternal: topic.isInternal,
                partitions: topic.partitions.map { partition in
                    PartitionInfo(topicPartition: TopicPartition(name, partition.partitionIndex),
                                  errorCode: ErrorCode(rawValue: partition.errorCode) ?? .unknownServerError,
                                  leader: partition.leaderId, leaderEpoch: partition.leaderEpoch,
                                  replicas: partition.replicaNodes, isr: partition.isrNodes,
                                  offlineReplicas: partition.offlineReplicas)
                }.sorted { $0.topicPartition.partition < $1.topicPartition.partition })
        }
        let metadata = Metadata(clusterId: response.clusterId, controllerId: response.controllerId, brokers: brokers,
                                topics: topicInfos, source: connection.address)
        state.withLockedValue { state in
            if var merged = state.metadata, topics != nil {
                merged.brokers = brokers
                merged.controllerId = metadata.controllerId
                merged.clusterId = metadata.clusterId
                for (name, info) in topicInfos { merged.topics[name] = info }
                merged.source = metadata.source
                state.metadata = merged
            } else {
                state.metadata = metadata
            }
        }
        return metadata
    }

    /// The leader of a partition, refreshing metadata when unknown.
    public func leader(of tp: TopicPartition, refresh: Bool = false) async throws -> (broker: Int32, epoch: Int32) {
        if !refresh, let info = cachedMetadata?.partition(tp), info.leader >= 0 { return (info.leader, info.leaderEpoch) }
        let metadata = try await refreshMetadata(topics: [tp.topic])
        guard let topic = metadata.topics[tp.topic], topic.errorCode != .unknownTopicOrPartition else {
            throw KafkaClientError.unknownTopic(tp.topic)
        }
        guard let info = topic.partitions.first(where: { $0.topicPartition.partition == tp.partition }) else {
            throw KafkaClientError.broker(.unknownTopicOrPartition, "\(tp)")
        }
        guard info.leader >= 0 else { throw KafkaClientError.noLeader(tp) }
        return (info.leader, info.leaderEpoch)
    }

    /// Drops a broker's connection after an error so the next call reconnects.
    public func invalidate(_ connection: KafkaConnection) {
        state.withLockedValue { state in
            if state.connections[connection.address] === connection { state.connections[connection.address] = nil }
        }
        connection.close()
    }

    public func close() async {
        let connections = state.withLockedValue { state -> [KafkaConnection] in
            state.closed = true
            defer { state.connections = [:] }
            return Array(state.connections.values)
        }
        for connection in connections { connection.close() }
        if ownsGroup { try? await group.shutdownGracefully() }
    }
}
