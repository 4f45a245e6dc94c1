import NIOCore

/// DescribeTransactions (key 65), v0, flexible (KIP-664): the coordinator's view of each
/// transactional id it owns. An empty id list asks for nothing.
public struct DescribeTransactionsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeTransactions

    public var transactionalIds: [String]

    public init(transactionalIds: [String]) { self.transactionalIds = transactionalIds }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let count = try buffer.readCompactArrayCount("transactional_ids") ?? 0
        var ids: [String] = []
        for _ in 0..<count { ids.append(try buffer.readCompactString("transactional_id")) }
        transactionalIds = ids
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeCompactArray(transactionalIds) { $0.writeCompactString($1) }
        buffer.writeEmptyTaggedFields()
    }
}

public struct DescribeTransactionsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeTransactions

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    /// One id's state. When `errorCode` is not 0 the other fields hold Kafka's defaults (empty
    /// state, zeros, no topics).
    public struct State: Sendable, Equatable {
        public var errorCode: Int16
        public var transactionalId: String
        /// Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, Dead, PrepareEpochFence.
        public var transactionState: String
        public var transactionTimeoutMs: Int32
        /// When the open transaction began; -1 when none is open.
        public var transactionStartTimeMs: Int64
        public var producerId: Int64
        public var producerEpoch: Int16
        public var topics: [Topic]

        public init(errorCode: Int16, transactionalId: String, transactionState: String = "", transactionTimeoutMs: Int32 = 0,
                    transactionStartTimeMs: Int64 = 0, producerId: Int64 = 0, producerEpoch: Int16 = 0, topics: [Topic] = []) {
            self.errorCode = errorCode
            self.transactionalId = transactionalId
            self.transactionState = transactionState
            self.transactionTimeoutMs = transactionTimeoutMs
            self.transactionStartTimeMs = transactionStartTimeMs
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.topics = topics
        }
    }

    public var throttleTimeMs: Int32
    public var transactionStates: [State]

    public init(throttleTimeMs: Int32 = 0, transactionStates: [State]) {
        self.throttleTimeMs = throttleTimeMs
        self.transactionStates = transactionStates
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        let count = try buffer.readCompactArrayCount("transaction_states") ?? 0
        var states: [State] = []
        for _ in 0..<count {
            var state = State(errorCode: try buffer.readInt16("error_code"), transactionalId: try buffer.readCompactString("transactional_id"))
            state.transactionState = try buffer.readCompactString("transaction_state")
            state.transactionTimeoutMs = try buffer.readInt32("transaction_timeout_ms")
            state.transactionStartTimeMs = try buffer.readInt64("transaction_start_time_ms")
            state.producerId = try buffer.readInt64("producer_id")
            state.producerEpoch = try buffer.readInt16("producer_epoch")
            let topicCount = try buffer.readCompactArrayCount("topics") ?? 0
            for _ in 0..<topicCount {
                let name = try buffer.readCompactString("name")
                let indexCount = try buffer.readCompactArrayCount("partition_indexes") ?? 0
                var indexes: [Int32] = []
                for _ in 0..<indexCount { indexes.append(try buffer.readInt32("partition_index")) }
                try buffer.skipTaggedFields()
                state.topics.append(Topic(name: name, partitionIndexes: indexes))
            }
            try buffer.skipTaggedFields()
            states.append(state)
        }
        transactionStates = states
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeCompactArray(transactionStates) { buffer, state in
            buffer.writeInt16(state.errorCode)
            buffer.writeCompactString(state.transactionalId)
            buffer.writeCompactString(state.transactionState)
            buffer.writeInt32(state.transactionTimeoutMs)
            buffer.writeInt64(state.transactionStartTimeMs)
            buffer.writeInt64(state.producerId)
            buffer.writeInt16(state.producerEpoch)
            buffer.writeCompactArray(state.topics) { buffer, topic in
                buffer.writeCompactString(topic.name)
                buffer.writeCompactArray(topic.partitionIndexes) { $0.writeInt32($1) }
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

/// ListTransactions (key 66), v0–1, flexible (KIP-664; v1 adds the duration filter, KIP-994): the
/// transactional ids of the partitions one coordinator owns, filtered by state, producer id and age.
public struct ListTransactionsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listTransactions

    /// State names; empty means every state.
    public var stateFilters: [String]
    /// Producer ids; empty means every producer.
    public var producerIdFilters: [Int64]
    /// v1+: only transactions open for longer than this many milliseconds; -1 (and v0) means all.
    public var durationFilterMs: Int64

    public init(stateFilters: [String] = [], producerIdFilters: [Int64] = [], durationFilterMs: Int64 = -1) {
        self.stateFilters = stateFilters
        self.producerIdFilters = producerIdFilters
        self.durationFilterMs = durationFilterMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let stateCount = try buffer.readCompactArrayCount("state_filters") ?? 0
        var states: [String] = []
        for _ in 0..<stateCount { states.append(try buffer.readCompactString("state_filter")) }
        stateFilters = states
        let producerCount = try buffer.readCompactArrayCount("producer_id_filters") ?? 0
        var producers: [Int64] = []
        for _ in 0..<producerCount { producers.append(try buffer.readInt64("producer_id_filter")) }
        producerIdFilters = producers
        durationFilterMs = version >= 1 ? try buffer.readInt64("duration_filter") : -1
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeCompactArray(stateFilters) { $0.writeCompactString($1) }
        buffer.writeCompactArray(producerIdFilters) { $0.writeInt64($1) }
        if version >= 1 { buffer.writeInt64(durationFilterMs) }
        buffer.writeEmptyTaggedFields()
    }
}

/// The same at v0 and v1.
public struct ListTransactionsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listTransactions

    public struct State: Sendable, Equatable {
        public var transactionalId: String
        public var producerId: Int64
        public var transactionState: String
        public init(transactionalId: String, producerId: Int64, transactionState: String) {
            self.transactionalId = transactionalId
            self.producerId = producerId
            self.transactionState = transactionState
        }
    }

    public var throttleTimeMs: Int32
    /// COORDINATOR_LOAD_IN_PROGRESS while a state partition of this coordinator is loading.
    public var errorCode: Int16
    /// The request's state filters that name no state.
    public var unknownStateFilters: [String]
    public var transactionStates: [State]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, unknownStateFilters: [String] = [], transactionStates: [State]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.unknownStateFilters = unknownStateFilters
        self.transactionStates = transactionStates
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = try buffer.readInt16("error_code")
        let unknownCount = try buffer.readCompactArrayCount("unknown_state_filters") ?? 0
        var unknown: [String] = []
        for _ in 0..<unknownCount { unknown.append(try buffer.readCompactString("unknown_state_filter")) }
        unknownStateFilters = unknown
        let count = try buffer.readCompactArrayCount("transaction_states") ?? 0
        var states: [State] = []
        for _ in 0..<count {
            let state = State(transactionalId: try buffer.readCompactString("transactional_id"), producerId: try buffer.readInt64("producer_id"),
                              transactionState: try buffer.readCompactString("transaction_state"))
            try buffer.skipTaggedFields()
            states.append(state)
        }
        transactionStates = states
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeInt16(errorCode)
        buffer.writeCompactArray(unknownStateFilters) { $0.writeCompactString($1) }
        buffer.writeCompactArray(transactionStates) { buffer, state in
            buffer.writeCompactString(state.transactionalId)
            buffer.writeInt64(state.producerId)
            buffer.writeCompactString(state.transactionState)
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}
