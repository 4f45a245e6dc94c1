import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One direction of a proxied connection: forward carries the connecting side's bytes to the target,
/// backward the target's bytes back.
enum StreamDirection: Int, CaseIterable {
    case forward = 0
    case backward = 1
}

/// One TCP connection carried by a link's proxy: the channel the proxy accepted (downstream, the side
/// that connected) and the channel it opened to the target (upstream), with a `DirectionQueue` per
/// direction. Both channels read only on demand (autoRead off): the proxy reads a sender only while
/// the direction is open and holds less than its limit, so a cut or slow direction pushes back on
/// the sender through TCP flow control instead of dropping or buffering without bound.
///
/// Owner: the proxy's event loop. Both channels live on it and every method runs on it.
final class ProxyConnection {
    enum Side {
        case downstream, upstream
    }

    enum Phase {
        /// Accepted, waiting for the proxy to admit it.
        case accepted
        /// Admitted while the link was cut: not opened upstream until the cut heals.
        case held
        case connecting
        case connected
        case closed
    }

    private struct DirectionIO {
        var queue: DirectionQueue
        var readRequested = false
        var writesInFlight = 0
        var wake: Scheduled<Void>?
        var wakeAt: NIODeadline?
        /// Guards against re-entry: writes, flushes and closes fire channel events synchronously.
        var pumping = false
        var pumpAgain = false
    }

    let core: LinkProxyCore
    let downstream: Channel
    private(set) var upstream: Channel?
    private(set) var phase = Phase.accepted
    private var downstreamOpen = true
    private var upstreamOpen = false
    private var downstreamFailed = false
    private var upstreamFailed = false
    /// Indexed by `StreamDirection.rawValue`; an array so elements are mutated in place.
    private var io: [DirectionIO]
    private var random = SystemRandomNumberGenerator()
    /// A timeout's close of this connection, and the delay it was scheduled with.
    private var timeoutClose: (after: Duration, task: Scheduled<Void>)?

    init(core: LinkProxyCore, downstream: Channel) {
        self.core = core
        self.downstream = downstream
        let now = NIODeadline.now()
        self.io = [
            DirectionIO(queue: DirectionQueue(condition: core.condition.forward, now: now)),
            DirectionIO(queue: DirectionQueue(condition: core.condition.backward, now: now)),
        ]
    }

    func queuedBytes(_ direction: StreamDirection) -> Int { io[direction.rawValue].queue.queuedBytes }

    // MARK: Lifecycle

    /// Starts an admitted connection under the link's current condition.
    func start(_ condition: LinkCondition) {
        apply(condition)
        if condition.holdsNewConnections {
            phase = .held
            core.logger.debug("link \(core.id): holding a new connection until the link heals")
        } else {
            connectUpstream()
        }
    }

    /// Applies a new link condition to this connection's queued and future bytes.
    func apply(_ condition: LinkCondition) {
        let now = NIODeadline.now()
        io[StreamDirection.forward.rawValue].queue.apply(condition.forward, now: now, using: &random)
        io[StreamDirection.backward.rawValue].queue.apply(condition.backward, now: now, using: &random)
        scheduleTimeoutClose(condition)
        switch phase {
        case .held where !condition.holdsNewConnections:
            connectUpstream()
        case .connected:
            for direction in StreamDirection.allCases { pump(direction) }
        default:
            break
        }
    }

    /// Under a timeout with a delay, closes the connection that long after the timeout reached it;
    /// a healed or changed timeout cancels the pending close (a changed one starts anew).
    private func scheduleTimeoutClose(_ condition: LinkCondition) {
        let after = [condition.forward, condition.backward].filter(\.stalled).compactMap(\.closeAfter).min()
        guard after != timeoutClose?.after else { return }
        timeoutClose?.task.cancel()
        timeoutClose = nil
        guard let after, phase != .closed else { return }
        let task = core.loop.assumeIsolated().scheduleTask(in: .nanoseconds(DirectionCondition.nanoseconds(after))) {
            self.timeoutClose = nil
            guard self.phase != .closed else { return }
            self.core.statistics.connectionsTimedOut += 1
            self.core.logger.debug("link \(self.core.id): closing a connection (timeout)")
            self.close()
        }
        timeoutClose = (after, task)
    }

    /// Closes both sides; used when the proxy closes.
    func close() {
        downstream.close(promise: nil)
        upstream?.close(promise: nil)
    }

    /// Resets both sides (RST), as a lossy link does. The connection is torn down first, so that
    /// closing one side is not passed on to the other as an orderly close.
    func reset() {
        core.statistics.connectionsReset += 1
        teardown()
        Self.reset(downstream)
        if let upstream { Self.reset(upstream) }
    }

    /// Closes a channel abruptly: SO_LINGER 0 makes the kernel send RST and drop unsent bytes.
    static func reset(_ channel: Channel) {
        guard let provider = channel as? SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func connectUpstream() {
        phase = .connecting
        let bound = NIOLoopBound(self, eventLoop: core.loop)
        ClientBootstrap(group: core.loop)
            .connectTimeout(LinkProxyCore.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.autoRead, value: false)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProxySideHandler(connection: bound.value, side: .upstream))
                }
            }
            .connect(to: core.target)
            .assumeIsolated()
            .whenComplete { result in self.upstreamConnected(result) }
    }

    private func upstreamConnected(_ result: Result<Channel, Error>) {
        switch result {
        case .success(let channel):
            guard phase == .connecting else {
                channel.close(promise: nil)
                return
            }
            upstream = channel
            upstreamOpen = true
            phase = .connected
            core.statistics.connectionsEstablished += 1
            for direction in StreamDirection.allCases { pump(direction) }
        case .failure(let error):
            guard phase == .connecting else { return }
            core.statistics.connectionsRefused += 1
            core.logger.debug("link \(core.id): connecting to \(core.target) failed: \(error)")
            Self.reset(downstream)
        }
    }

    private func teardown() {
        phase = .closed
        timeoutClose?.task.cancel()
        timeoutClose = nil
        for index in io.indices {
            io[index].wake?.cancel()
            io[index].wake = nil
        }
        core.remove(self)
    }

    // MARK: Channel events, forwarded by ProxySideHandler

    func downstreamActive() {
        core.admit(self)
    }

    /// Bytes usually arrive because the proxy asked for them, but NIO also drains a socket whose
    /// peer shut down its output, whatever the read state: so bytes can arrive while the
    /// connection is held or connecting, or its direction cut. They are queued like any others.
    func received(_ bytes: ByteBuffer, from side: Side) {
        guard phase != .closed else { return }
        let direction = Self.direction(readingFrom: side)
        core.statistics[direction].bytesReceived += bytes.readableBytes
        let probability = core.condition.resetProbability
        if probability > 0, Double.random(in: 0..<1, using: &random) < probability {
            core.logger.debug("link \(core.id): resetting a connection (lossy)")
            reset()
            return
        }
        io[direction.rawValue].queue.enqueue(bytes, now: .now(), using: &random)
        pump(direction)
    }

    func readComplete(_ side: Side) {
        let direction = Self.direction(readingFrom: side)
        io[direction.rawValue].readRequested = false
        requestRead(direction)
    }

    func inputClosed(_ side: Side) {
        guard isOpen(side) else { return }
        let direction = Self.direction(readingFrom: side)
        io[direction.rawValue].readRequested = false
        io[direction.rawValue].queue.recordEnd(.eof, now: .now(), using: &random)
        pump(direction)
    }

    func writabilityChanged(_ side: Side) {
        pump(Self.direction(writingTo: side))
    }

    func failed(_ side: Side, _ error: Error) {
        guard isOpen(side) else { return }
        switch side {
        case .downstream: downstreamFailed = true
        case .upstream: upstreamFailed = true
        }
        core.logger.debug("link \(core.id): \(side) channel failed: \(error)")
    }

    func inactive(_ side: Side) {
        guard isOpen(side) else { return }
        let failed: Bool
        switch side {
        case .downstream: (downstreamOpen, failed) = (false, downstreamFailed)
        case .upstream: (upstreamOpen, failed) = (false, upstreamFailed)
        }
        let towards = Self.direction(writingTo: side)
        io[towards.rawValue].queue.closeReceiver()
        io[towards.rawValue].wake?.cancel()
        io[towards.rawValue].wake = nil
        io[towards.rawValue].wakeAt = nil
        if !downstreamOpen && !upstreamOpen {
            teardown()
            return
        }
        let from = Self.direction(readingFrom: side)
        io[from.rawValue].queue.recordEnd(failed ? .reset : .close, now: .now(), using: &random)
        pump(from)
    }
}

// MARK: Moving bytes

extension ProxyConnection {
    private static func direction(readingFrom side: Side) -> StreamDirection {
        side == .downstream ? .forward : .backward
    }

    private static func direction(writingTo side: Side) -> StreamDirection {
        side == .downstream ? .backward : .forward
    }

    private func isOpen(_ side: Side) -> Bool {
        side == .downstream ? downstreamOpen : upstreamOpen
    }

    private func channel(_ side: Side) -> Channel? {
        side == .downstream ? downstream : upstream
    }

    private static func sender(_ direction: StreamDirection) -> Side {
        direction == .forward ? .downstream : .upstream
    }

    private static func receiver(_ direction: StreamDirection) -> Side {
        direction == .forward ? .upstream : .downstream
    }

    /// Moves whatever the direction's queue allows now to the receiver, then reads more if the
    /// queue wants it.
    private func pump(_ direction: StreamDirection) {
        guard phase == .connected else { return }
        let index = direction.rawValue
        if io[index].pumping {
            io[index].pumpAgain = true
            return
        }
        io[index].pumping = true
        repeat {
            io[index].pumpAgain = false
            drain(direction)
        } while io[index].pumpAgain && phase == .connected
        io[index].pumping = false
        requestRead(direction)
    }

    private func drain(_ direction: StreamDirection) {
        let side = Self.receiver(direction)
        guard isOpen(side), let receiver = channel(side) else { return }
        let index = direction.rawValue
        var wrote = false
        actions: while true {
            let action = io[index].queue.nextAction(
                now: .now(), receiverWritable: receiver.isWritable, writesInFlight: io[index].writesInFlight)
            switch action {
            case .write(let bytes):
                write(bytes, to: receiver, direction)
                wrote = true
            case .wake(let deadline):
                scheduleWake(direction, at: deadline)
                break actions
            case .end(let end):
                deliver(end, to: receiver)
                break actions
            case .idle:
                break actions
            }
        }
        if wrote { receiver.flush() }
    }

    private func write(_ bytes: ByteBuffer, to receiver: Channel, _ direction: StreamDirection) {
        let index = direction.rawValue
        let count = bytes.readableBytes
        io[index].writesInFlight += 1
        let promise = receiver.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.io[index].writesInFlight -= 1
            if case .success = result { self.core.statistics[direction].bytesDelivered += count }
            if self.io[index].writesInFlight == 0 { self.pump(direction) }
        }
        receiver.write(bytes, promise: promise)
    }

    private func deliver(_ end: DirectionQueue.End, to receiver: Channel) {
        switch end {
        case .eof: receiver.close(mode: .output, promise: nil)
        case .close: receiver.close(promise: nil)
        case .reset: Self.reset(receiver)
        }
    }

    private func scheduleWake(_ direction: StreamDirection, at deadline: NIODeadline) {
        let index = direction.rawValue
        if let current = io[index].wakeAt, current <= deadline { return }
        io[index].wake?.cancel()
        io[index].wakeAt = deadline
        io[index].wake = core.loop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.io[index].wake = nil
            self.io[index].wakeAt = nil
            self.pump(direction)
        }
    }

    private func requestRead(_ direction: StreamDirection) {
        let index = direction.rawValue
        let side = Self.sender(direction)
        guard phase == .connected, isOpen(side), isOpen(Self.receiver(direction)),
            !io[index].readRequested, io[index].queue.wantsRead, let sender = channel(side)
        else { return }
        io[index].readRequested = true
        sender.read()
    }
}
