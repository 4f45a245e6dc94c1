import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// A request after its header was read: what the handlers receive.
public struct RequestContext: Sendable {
    public var header: RequestHeader
    public var apiKey: ApiKey
    public var connection: ConnectionInfo
    public var eventLoop: any EventLoop
    public var version: Int16 { header.apiVersion }
}

/// Decodes request headers, enforces the advertised API ranges, dispatches to the API handlers and
/// encodes their responses. Handlers are pure with respect to the connection: they return a message
/// (possibly later, for acks=all and long-poll fetches) and the router frames it.
///
/// Unknown API keys and unsupported versions close the connection, as Kafka does, except ApiVersions:
/// an unsupported ApiVersions version is answered with a v0 body carrying UNSUPPORTED_VERSION and the
/// supported ranges, so the client can retry with a version it shares with the broker.
public final class RequestRouter: Sendable {
    let broker: BrokerServices
    let logger: Logger
    /// One warning per refused produce batch, at most 10 a minute (see `LogBudget`).
    let produceRejectionLog = NIOLockedValueBox(LogBudget(linesPerWindow: 10, windowMs: 60_000))

    /// Fetch sessions (KIP-227), bounded by `max.incremental.fetch.session.cache.slots`.
    let fetchSessions: FetchSessions

    init(broker: BrokerServices, logger: Logger) {
        self.broker = broker
        self.logger = logger
        fetchSessions = FetchSessions(maxSlots: broker.config.maxIncrementalFetchSessionCacheSlots,
                                      keepsWaiters: broker.config.fetchSessionKeepsWaiters)
    }

    func handle(frame: ByteBuffer, connection: ConnectionInfo, eventLoop: any EventLoop) -> EventLoopFuture<RequestOutcome> {
        let started = NIODeadline.now()
        broker.metrics.requests.add(1)
        broker.metrics.bytesIn.add(Int64(frame.readableBytes + 4))
        guard let (rawKey, version, correlationId) = RequestHeader.peek(frame) else {
            return eventLoop.makeSucceededFuture(.close("frame of \(frame.readableBytes) bytes is shorter than a request header"))
        }
        let supported = broker.supportedApis
        guard let apiKey = ApiKey(rawValue: rawKey), supported[apiKey] != nil else {
            return eventLoop.makeSucceededFuture(.close("unknown API key \(rawKey)"))
        }
        if apiKey == .apiVersions && !(supported[.apiVersions]!.contains(version)) {
            let body = ApiVersionsResponse(errorCode: ErrorCode.unsupportedVersion.rawValue, apiKeys: SupportedApis.advertised(supported))
            return eventLoop.makeSucceededFuture(.respond(Self.frame(body, version: 0, correlationId: correlationId, headerVersion: 0)))
        }
        guard supported[apiKey]!.contains(version) else {
            return eventLoop.makeSucceededFuture(.close("unsupported version \(version) of \(apiKey)"))
        }
        var body = frame
        let header: RequestHeader
        do {
            header = try RequestHeader(from: &body, headerVersion: apiKey.requestHeaderVersion(version))
        } catch {
            return eventLoop.makeSucceededFuture(.close("malformed request header: \(error)"))
        }
        let context = RequestContext(header: header, apiKey: apiKey, connection: connection, eventLoop: eventLoop)
        let name = Self.metricName(apiKey, version: version, body: body)
        let answered: EventLoopFuture<RequestOutcome>
        if let cluster = broker.cluster, !apiKey.isServedBeforeMetadata {
            let request = body
            answered = cluster.whenServing(on: eventLoop).flatMap { [self] in
                var body = request
                return respond(context, body: &body, correlationId: correlationId)
            }
        } else {
            answered = respond(context, body: &body, correlationId: correlationId)
        }
        let histograms = broker.metrics.requestTotalTime
        answered.whenSuccess { _ in
            histograms.observe(name, milliseconds: Double((NIODeadline.now() - started).nanoseconds) / 1_000_000)
        }
        return answered
    }

    /// Kafka's `request` label: the API's name, with Fetch split into FetchFollower (a replica's,
    /// replica_id >= 0 before v15, replica state from v15) and FetchConsumer.
    static func metricName(_ apiKey: ApiKey, version: Int16, body: ByteBuffer) -> String {
        guard apiKey == .fetch else { return apiKey.name }
        if version >= 15 { return "FetchConsumer" }
        let replicaId = body.getInteger(at: body.readerIndex, endianness: .big, as: Int32.self) ?? -1
        return replicaId >= 0 ? "FetchFollower" : "FetchConsumer"
    }

    private func respond(_ context: RequestContext, body: inout ByteBuffer, correlationId: Int32) -> EventLoopFuture<RequestOutcome> {
        let apiKey = context.apiKey
        let version = context.version
        let eventLoop = context.eventLoop
        let response: EventLoopFuture<(any KafkaMessage)?>
        do {
            response = try dispatch(context, body: &body)
        } catch {
            return eventLoop.makeSucceededFuture(.close("malformed \(apiKey) v\(version) request: \(error)"))
        }
        let metrics = broker.metrics
        return response.map { message in
            guard let message else { return .noResponse }
            let headerVersion = apiKey.responseHeaderVersion(version)
            if let fetch = message as? FetchResponse {
                // The records read from the logs go out as they are, not copied into one buffer.
                let parts = Self.frameParts(fetch, version: version, correlationId: correlationId, headerVersion: headerVersion)
                metrics.bytesOut.add(Int64(parts.reduce(4) { $0 + $1.readableBytes }))
                return .respondParts(parts)
            }
            let framed = Self.frame(message, version: version, correlationId: correlationId, headerVersion: headerVersion)
            metrics.bytesOut.add(Int64(framed.readableBytes + 4))
            return .respond(framed)
        }
    }

    /// A Fetch response as consecutive buffers (header and body, without the size prefix), each
    /// partition's larger records a buffer of their own.
    static func frameParts(_ response: FetchResponse, version: Int16, correlationId: Int32, headerVersion: Int16) -> [ByteBuffer] {
        var head = ByteBufferAllocator().buffer(capacity: 256)
        ResponseHeader(correlationId: correlationId).encode(into: &head, headerVersion: headerVersion)
        return response.encodedParts(after: head, version: version)
    }

    static func frame(_ message: any KafkaMessage, version: Int16, correlationId: Int32, headerVersion: Int16) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        ResponseHeader(correlationId: correlationId).encode(into: &buffer, headerVersion: headerVersion)
        message.encode(into: &buffer, version: version)
        return buffer
    }

    /// Decodes the body and runs the handler. Throws only for a malformed body.
    private func dispatch(_ context: RequestContext, body: inout ByteBuffer) throws -> EventLoopFuture<(any KafkaMessage)?> {
        let loop = context.eventLoop
        let version = context.version
        func now(_ message: any KafkaMessage) -> EventLoopFuture<(any KafkaMessage)?> { loop.makeSucceededFuture(message) }
        /// For handlers that read a partition's files or take its lock, which an append holds while it writes.
        func onStorage(_ body: @escaping @Sendable () -> any KafkaMessage) -> EventLoopFuture<(any KafkaMessage)?> {
            broker.replicaManager.storage.run(on: loop, body).map { $0 as (any KafkaMessage)? }
        }
        switch context.apiKey {
        case .apiVersions:
            _ = try ApiVersionsRequest(from: &body, version: version)
            return now(ApiVersionsResponse(errorCode: 0, apiKeys: SupportedApis.advertised(broker.supportedApis)))
        case .metadata:
            return handleMetadata(try MetadataRequest(from: &body, version: version), context)
        case .produce:
            return handleProduce(try ProduceRequest(from: &body, version: version), context)
        case .fetch:
            return handleFetch(try FetchRequest(from: &body, version: version), context).map { $0 }
        case .listOffsets:
            let request = try ListOffsetsRequest(from: &body, version: version)
            return onStorage { [self] in handleListOffsets(request, context) }
        case .createTopics:
            return handleCreateTopics(try CreateTopicsRequest(from: &body, version: version), context)
        case .deleteTopics:
            return handleDeleteTopics(try DeleteTopicsRequest(from: &body, version: version), context)
        case .describeConfigs:
            return now(handleDescribeConfigs(try DescribeConfigsRequest(from: &body, version: version), context))
        case .describeCluster:
            return now(handleDescribeCluster(try DescribeClusterRequest(from: &body, version: version), context))
        case .createPartitions:
            return handleCreatePartitions(try CreatePartitionsRequest(from: &body, version: version), context)
        case .describeLogDirs:
            let request = try DescribeLogDirsRequest(from: &body, version: version)
            return onStorage { [self] in handleDescribeLogDirs(request, context) }
        case .electLeaders:
            return handleElectLeaders(try ElectLeadersRequest(from: &body, version: version), context)
        case .alterPartitionReassignments:
            return handleAlterPartitionReassignments(try AlterPartitionReassignmentsRequest(from: &body, version: version), context)
        case .listPartitionReassignments:
            return handleListPartitionReassignments(try ListPartitionReassignmentsRequest(from: &body, version: version), context)
        case .deleteRecords:
            let request = try DeleteRecordsRequest(from: &body, version: version)
            return onStorage { [self] in handleDeleteRecords(request, context) }
        case .alterConfigs:
            return handleAlterConfigs(try AlterConfigsRequest(from: &body, version: version), context)
        case .incrementalAlterConfigs:
            return handleIncrementalAlterConfigs(try IncrementalAlterConfigsRequest(from: &body, version: version), context)
        case .initProducerId:
            return handleInitProducerId(try InitProducerIdRequest(from: &body, version: version), context)
        case .findCoordinator, .joinGroup, .syncGroup, .heartbeat, .leaveGroup, .offsetCommit, .offsetFetch,
             .describeGroups, .listGroups, .deleteGroups:
            return try handleGroupRequest(context, body: &body)
        case .offsetForLeaderEpoch:
            let request = try OffsetForLeaderEpochRequest(from: &body, version: version)
            return onStorage { [self] in handleOffsetForLeaderEpoch(request) }
        case .leaderAndIsr, .updateMetadata, .stopReplica, .controlledShutdown:
            return try handleControllerRequest(context, body: &body)
        case .addPartitionsToTxn, .addOffsetsToTxn, .endTxn, .writeTxnMarkers, .txnOffsetCommit, .describeTransactions, .listTransactions:
            return try handleTransactionRequest(context, body: &body)
        }
    }
}

private extension ApiKey {
    /// ApiVersions (the connection handshake) and the controller's own requests are served at once;
    /// every other request waits until the broker holds the cluster's metadata.
    var isServedBeforeMetadata: Bool {
        switch self {
        case .apiVersions, .leaderAndIsr, .updateMetadata, .stopReplica, .controlledShutdown: return true
        default: return false
        }
    }
}
