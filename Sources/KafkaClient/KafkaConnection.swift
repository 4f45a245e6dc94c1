#if canImport(Glibc)
import Glibc
#endif
import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Why a request did not get an answer.
public enum KafkaClientError: Error, Equatable, CustomStringConvertible {
    case connectFailed(String, String)
    case timedOut(api: String, afterMs: Int64)
    case connectionClosed(String)
    case unsupportedApi(String)
    case protocolError(String)
    case broker(ErrorCode, String?)
    case noLeader(TopicPartition)
    case unknownTopic(String)
    case noBrokers

    public var description: String {
        switch self {
        case .connectFailed(let address, let why): return "cannot connect to \(address): \(why)"
        case .timedOut(let api, let ms): return "\(api) got no answer within \(ms) ms"
        case .connectionClosed(let address): return "connection to \(address) closed"
        case .unsupportedApi(let what): return "broker does not support \(what)"
        case .protocolError(let why): return "protocol error: \(why)"
        case .broker(let code, let message): return message.map { "\(code.name): \($0)" } ?? code.name
        case .noLeader(let tp): return "\(tp) has no leader"
        case .unknownTopic(let topic): return "unknown topic '\(topic)'"
        case .noBrokers: return "no broker reachable"
        }
    }

    /// Whether retrying (after a metadata refresh) may succeed.
    public var isRetriable: Bool {
        switch self {
        case .connectFailed, .timedOut, .connectionClosed, .noLeader, .noBrokers: return true
        case .broker(let code, _): return code.isRetriable
        default: return false
        }
    }

    /// A timeout or a lost connection: the request may or may not have taken effect.
    public var isIndeterminate: Bool {
        switch self {
        case .timedOut, .connectionClosed: return true
        case .broker(let code, _): return code == .requestTimedOut || code == .networkException
        default: return false
        }
    }
}

/// One TCP connection to one broker. Requests are pipelined and matched to responses by correlation
/// id; each has its own timeout. At connect it asks ApiVersions and then uses, per API, the highest
/// version both sides support.
///
/// Owner: `state` (lock-guarded) holds the in-flight promises; the channel's event loop completes them.
public final class KafkaConnection: Sendable {
    public let address: String
    private let channel: any Channel
    private let state: NIOLockedValueBox<State>
    private let clientId: String

    struct State {
        var nextCorrelationId: Int32 = 1
        var inFlight: [Int32: InFlight] = [:]
        var versions: [Int16: ClosedRange<Int16>] = [:]
        var closed = false
    }

    struct InFlight {
        var promise: EventLoopPromise<ByteBuffer>
        var headerVersion: Int16
        var timeout: Scheduled<Void>?
    }

    /// Our codecs' ranges: the client never sends a version it cannot encode.
    static let clientRanges: [ApiKey: ClosedRange<Int16>] = [
        .apiVersions: 0...2, .metadata: 1...8, .produce: 3...8, .fetch: 4...11, .listOffsets: 1...5,
        .createTopics: 0...4, .deleteTopics: 0...3, .describeConfigs: 0...3, .initProducerId: 0...1,
        .findCoordinator: 0...2, .joinGroup: 0...5, .syncGroup: 0...3, .heartbeat: 0...3, .leaveGroup: 0...3,
        .offsetCommit: 2...7, .offsetFetch: 1...5, .describeGroups: 0...4, .listGroups: 0...2, .deleteGroups: 0...1,
        .offsetForLeaderEpoch: 0...3,
        .createPartitions: 0...1, .describeCluster: 0...1, .alterConfigs: 0...1, .incrementalAlterConfigs: 0...0,
        .deleteRecords: 0...1, .electLeaders: 0...1, .describeLogDirs: 0...1,
        .describeTransactions: 0...0, .listTransactions: 0...1,
        .alterPartitionReassignments: 0...1, .listPartitionReassignments: 0...0,
    ]

    private init(address: String, channel: any Channel, clientId: String) {
        self.address = address
        self.channel = channel
        self.clientId = clientId
        self.state = NIOLockedValueBox(State())
    }

    /// Why a connect failed, in the operating system's words ("Connection refused"), not the
    /// networking library's types.
    static func reason(connecting error: Error, timeoutMs: Int64) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first { return reason(connecting: failure.error, timeoutMs: timeoutMs) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve host '\(error.host)'" }
            return "no address to connect to for \(error.host)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? ChannelError, case .connectTimeout = error { return "no answer within \(timeoutMs) ms" }
        return "\(error)"
    }

    public static func connect(host: String, port: Int, group: EventLoopGroup, clientId: String,
                               connectTimeoutMs: Int64 = 5000, requestTimeoutMs: Int64 = 10000) async throws -> KafkaConnection {
        let address = "\(host):\(port)"
        let handlerBox = NIOLockedValueBox<ResponseHandler?>(nil)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(connectTimeoutMs))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ResponseHandler()
                    handlerBox.withLockedValue { $0 = handler }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: 256 * 1024 * 1024)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(KafkaFrameEncoder()))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw KafkaClientError.connectFailed(address, Self.reason(connecting: error, timeoutMs: connectTimeoutMs))
        }
        let connection = KafkaConnection(address: address, channel: channel, clientId: clientId)
        let handler = handlerBox.withLockedValue { $0 }!
        try await channel.eventLoop.submit {
            handler.onFrame = { [weak connection] frame in connection?.received(frame) }
            handler.onClose = { [weak connection] in connection?.failAll(.connectionClosed(address)) }
        }.get()
        do {
            let response: ApiVersionsResponse = try await connection.send(ApiVersionsRequest(), version: 0, timeoutMs: requestTimeoutMs)
            guard response.errorCode == 0 else { throw KafkaClientError.broker(ErrorCode(rawValue: response.errorCode) ?? .unknownServerError, "ApiVersions") }
            connection.state.withLockedValue { state in
                for range in response.apiKeys { state.versions[range.apiKey] = range.minVersion...range.maxVersion }
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// The version to use for `key`: the highest both the broker and our codecs support.
    public func version(for key: ApiKey) throws -> Int16 {
        guard let ours = Self.clientRanges[key] else { throw KafkaClientError.unsupportedApi("\(key) in this client") }
        guard let theirs = state.withLockedValue({ $0.versions[key.rawValue] }) else {
            throw KafkaClientError.unsupportedApi("\(key) at \(address)")
        }
        let high = min(ours.upperBound, theirs.upperBound)
        guard high >= max(ours.lowerBound, theirs.lowerBound) else {
            throw KafkaClientError.unsupportedApi("\(key) versions \(ours) (broker has \(theirs))")
        }
        return high
    }

    public func send<Response: KafkaMessage>(_ request: some KafkaMessage, version: Int16? = nil, timeoutMs: Int64 = 10000,
                                              as responseType: Response.Type = Response.self) async throws -> Response {
        let key = type(of: request).apiKey
        let chosen = try version ?? self.version(for: key)
        var body = try await sendRaw(request, version: chosen, timeoutMs: timeoutMs)
        do {
            return try Response(from: &body, version: chosen)
        } catch {
            throw KafkaClientError.protocolError("cannot decode \(key) v\(chosen) response: \(error)")
        }
    }

    /// Sends a request that gets no response (Produce with acks=0).
    public func sendWithoutResponse(_ request: some KafkaMessage, version: Int16) async throws {
        let key = type(of: request).apiKey
        var frame = channel.allocator.buffer(capacity: 256)
        let correlationId = state.withLockedValue { state -> Int32 in
            defer { state.nextCorrelationId &+= 1 }
            return state.nextCorrelationId
        }
        RequestHeader(apiKey: key.rawValue, apiVersion: version, correlationId: correlationId, clientId: clientId)
            .encode(into: &frame, headerVersion: key.requestHeaderVersion(version))
        request.encode(into: &frame, version: version)
        try await channel.writeAndFlush(frame).get()
    }

    private func sendRaw(_ request: some KafkaMessage, version: Int16, timeoutMs: Int64) async throws -> ByteBuffer {
        let key = type(of: request).apiKey
        let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
        let registered: Int32? = state.withLockedValue { state in
            guard !state.closed else { return nil }
            let id = state.nextCorrelationId
            state.nextCorrelationId &+= 1
            state.inFlight[id] = InFlight(promise: promise, headerVersion: key.responseHeaderVersion(version), timeout: nil)
            return id
        }
        guard let correlationId = registered else {
            promise.fail(KafkaClientError.connectionClosed(address))
            throw KafkaClientError.connectionClosed(address)
        }
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(timeoutMs)) { [weak self] in
            guard let self else { return }
            self.fail(correlationId, .timedOut(api: "\(key)", afterMs: timeoutMs))
        }
        state.withLockedValue { $0.inFlight[correlationId]?.timeout = timeout }
        var frame = channel.allocator.buffer(capacity: 256)
        RequestHeader(apiKey: key.rawValue, apiVersion: version, correlationId: correlationId, clientId: clientId)
            .encode(into: &frame, headerVersion: key.requestHeaderVersion(version))
        request.encode(into: &frame, version: version)
        channel.writeAndFlush(frame).whenFailure { [weak self] error in
            self?.fail(correlationId, .connectionClosed("\(self?.address ?? ""): \(error)"))
        }
        return try await promise.futureResult.get()
    }

    private func received(_ frame: ByteBuffer) {
        var frame = frame
        guard let correlationId = frame.getInteger(at: frame.readerIndex, endianness: .big, as: Int32.self) else { return }
        guard let entry = state.withLockedValue({ $0.inFlight.removeValue(forKey: correlationId) }) else { return }
        entry.timeout?.cancel()
        do {
            _ = try ResponseHeader(from: &frame, headerVersion: entry.headerVersion)
            entry.promise.succeed(frame)
        } catch {
            entry.promise.fail(KafkaClientError.protocolError("bad response header: \(error)"))
        }
    }

    private func fail(_ correlationId: Int32, _ error: KafkaClientError) {
        guard let entry = state.withLockedValue({ $0.inFlight.removeValue(forKey: correlationId) }) else { return }
        entry.timeout?.cancel()
        // A late response to a timed-out request is matched to nothing and dropped.
        entry.promise.fail(error)
    }

    private func failAll(_ error: KafkaClientError) {
        let entries = state.withLockedValue { state -> [InFlight] in
            state.closed = true
            defer { state.inFlight = [:] }
            return Array(state.inFlight.values)
        }
        for entry in entries {
            entry.timeout?.cancel()
            entry.promise.fail(error)
        }
    }

    public var isClosed: Bool { state.withLockedValue { $0.closed } || !channel.isActive }

    public func close() {
        failAll(.connectionClosed(address))
        channel.close(promise: nil)
    }
}

/// Forwards each response frame to the connection; reports close.
final class ResponseHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // Set once on the event loop right after the channel is created, then only read there.
    var onFrame: ((ByteBuffer) -> Void)?
    var onClose: (() -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onFrame?(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose?()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
