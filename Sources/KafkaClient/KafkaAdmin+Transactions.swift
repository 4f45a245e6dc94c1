import KafkaProtocol

extension KafkaAdmin {
    /// One transactional id as ListTransactions names it, with the broker that coordinates it.
    public struct TransactionListing: Sendable, Equatable, Codable {
        public var transactionalId: String
        public var coordinator: Int32
        public var producerId: Int64
        public var state: String
    }

    /// What `listTransactions` gathered: the ids of every broker that answered, and why the others
    /// did not (the listing misses their ids).
    public struct TransactionList: Sendable, Equatable, Codable {
        public var transactions: [TransactionListing]
        public var failedBrokers: [BrokerFailure]
        /// State filters the coordinators named no state with (they match nothing).
        public var unknownStateFilters: [String]
    }

    public struct BrokerFailure: Sendable, Equatable, Codable {
        public var broker: Int32
        public var error: String
    }

    /// One transactional id as its coordinator describes it (DescribeTransactions).
    public struct TransactionDescription: Sendable, Equatable, Codable {
        public var coordinatorId: Int32
        public var transactionalId: String
        public var producerId: Int64
        public var producerEpoch: Int16
        public var state: String
        public var transactionTimeoutMs: Int32
        /// When the open transaction began; nil when none is open.
        public var transactionStartTimeMs: Int64?
        public var topicPartitions: [TopicPartition]
    }

    /// Coordinator errors an admin client waits out: the coordinator moved or is loading its partition.
    static let retriableCoordinatorErrors: Set<ErrorCode> = [.notCoordinator, .coordinatorLoadInProgress, .coordinatorNotAvailable]
    /// How often a coordinator error is retried, 200 ms apart: about 4 s, the bound of `coordinator(of:)`.
    static let coordinatorAttempts = 20

    /// kafka-transactions list: ListTransactions at every broker of the metadata (each answers for
    /// the `__transaction_state` partitions it coordinates), sorted by id. `stateFilters` are Kafka's
    /// state names; `durationFilterMs` (>= 0) keeps transactions open longer than that (ListTransactions v1).
    public func listTransactions(stateFilters: [String] = [], producerIds: [Int64] = [], durationFilterMs: Int64 = -1) async throws -> TransactionList {
        let metadata = try await cluster.refreshMetadata(topics: [])
        let request = ListTransactionsRequest(stateFilters: stateFilters, producerIdFilters: producerIds, durationFilterMs: durationFilterMs)
        var listings: [TransactionListing] = []
        var failed: [BrokerFailure] = []
        var unknown: Set<String> = []
        for broker in metadata.brokers.keys.sorted() {
            do {
                let response = try await listTransactions(at: broker, request)
                unknown.formUnion(response.unknownStateFilters)
                listings += response.transactionStates.map {
                    TransactionListing(transactionalId: $0.transactionalId, coordinator: broker, producerId: $0.producerId, state: $0.transactionState)
                }
            } catch {
                failed.append(BrokerFailure(broker: broker, error: "\(error)"))
            }
        }
        return TransactionList(transactions: listings.sorted { ($0.transactionalId, $0.coordinator) < ($1.transactionalId, $1.coordinator) },
                               failedBrokers: failed, unknownStateFilters: unknown.sorted())
    }

    private func listTransactions(at broker: Int32, _ request: ListTransactionsRequest) async throws -> ListTransactionsResponse {
        let connection = try await cluster.connection(broker: broker)
        if request.durationFilterMs >= 0, try connection.version(for: .listTransactions) < 1 {
            throw KafkaClientError.unsupportedApi("ListTransactions v1 (the duration filter)")
        }
        var lastError = ErrorCode.none
        for attempt in 0..<Self.coordinatorAttempts {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(200)) }
            let response: ListTransactionsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs)
            let error = ErrorCode(rawValue: response.errorCode) ?? .unknownServerError
            if error == .none { return response }
            lastError = error
            guard Self.retriableCoordinatorErrors.contains(error) else { break }
        }
        throw KafkaClientError.broker(lastError, "listing transactions at broker \(broker)")
    }

    /// kafka-transactions describe: the id's coordinator from FindCoordinator (key type 1), then
    /// DescribeTransactions there, retried while the coordinator moves or loads. An unknown id is
    /// TRANSACTIONAL_ID_NOT_FOUND.
    public func describeTransaction(_ transactionalId: String) async throws -> TransactionDescription {
        var lastError = ErrorCode.none
        for attempt in 0..<Self.coordinatorAttempts {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(200)) }
            let (coordinatorId, connection) = try await coordinator(of: transactionalId, keyType: 1)
            let response: DescribeTransactionsResponse = try await connection.send(DescribeTransactionsRequest(transactionalIds: [transactionalId]),
                                                                                   timeoutMs: cluster.options.requestTimeoutMs)
            guard let state = response.transactionStates.first(where: { $0.transactionalId == transactionalId }) else {
                throw KafkaClientError.protocolError("DescribeTransactions answered without '\(transactionalId)'")
            }
            let error = ErrorCode(rawValue: state.errorCode) ?? .unknownServerError
            if error == .none {
                return TransactionDescription(
                    coordinatorId: coordinatorId, transactionalId: transactionalId, producerId: state.producerId, producerEpoch: state.producerEpoch,
                    state: state.transactionState, transactionTimeoutMs: state.transactionTimeoutMs,
                    transactionStartTimeMs: state.transactionStartTimeMs >= 0 ? state.transactionStartTimeMs : nil,
                    topicPartitions: state.topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic.name, $0) } }.sorted())
            }
            if error == .transactionalIdNotFound {
                throw KafkaClientError.broker(error, "transactional id '\(transactionalId)' is not known to its coordinator (broker \(coordinatorId))")
            }
            lastError = error
            guard Self.retriableCoordinatorErrors.contains(error) else { break }
        }
        throw KafkaClientError.broker(lastError, "describing transactional id '\(transactionalId)'")
    }
}
