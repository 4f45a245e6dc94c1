import NIOCore

/// The bytes of one direction of one proxied connection, between the moment the proxy reads them
/// from the sender and the moment it writes them to the receiver, with the decisions of the
/// direction's condition: hold while blackholed, release each chunk at its delivery time, pace to
/// the bandwidth cap, then pass on the sender's end of stream behind the last byte.
///
/// A value with no I/O: time and randomness are passed in, the connection carries out the actions.
struct DirectionQueue {
    /// How the sender's side of the stream ended, weakest first: a later, stronger end (a reset
    /// after an EOF) is passed on too.
    enum End: Int, Comparable {
        /// The sender shut down its output (FIN): the receiver's input is shut down in turn.
        case eof = 1
        /// The sender's socket closed: the receiver's socket is closed.
        case close
        /// The sender's socket failed (RST): the receiver's socket is reset.
        case reset

        static func < (lhs: End, rhs: End) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    enum Action: Equatable {
        case write(ByteBuffer)
        /// Nothing can go out before this time; ask again then.
        case wake(at: NIODeadline)
        case end(End)
        /// Nothing to do until something changes: bytes arrive, the condition changes, the
        /// receiver drains or a write completes.
        case idle
    }

    /// Most bytes held per direction (so 4 MiB per connection). Past it the proxy stops reading the
    /// sender, whose bytes then wait in the kernel's buffers and finally in the sender itself, as
    /// with a slow or cut network. Delayed links can carry at most this much per latency.
    static let holdLimitBytes = 2 * 1024 * 1024

    private struct Chunk {
        var bytes: ByteBuffer
        let arrival: NIODeadline
        var due: NIODeadline
    }

    private struct PendingEnd {
        var end: End
        let arrival: NIODeadline
        var due: NIODeadline
    }

    private(set) var condition: DirectionCondition
    private var chunks = CircularBuffer<Chunk>()
    private(set) var queuedBytes = 0
    private var pendingEnd: PendingEnd?
    private(set) var deliveredEnd: End?
    /// Due time of the last chunk released, so later chunks never overtake it.
    private var lastReleasedDue = NIODeadline.uptimeNanoseconds(0)
    private var bucket: TokenBucket?
    /// The receiver is gone: nothing more can be delivered.
    private(set) var receiverClosed = false
    /// Bytes released since the condition's byte limit was set.
    private(set) var bytesPassedUnderLimit = 0
    /// Under slicing: when the next piece may go out.
    private var nextSliceAt: NIODeadline?

    init(condition: DirectionCondition, now: NIODeadline) {
        self.condition = condition
        self.bucket = condition.bandwidthBytesPerSecond.map { TokenBucket(rateBytesPerSecond: $0, now: now) }
    }

    /// Whether the proxy should read more from the sender: not while the direction is cut (the
    /// sender sees a hang), not past the hold limit, not after the end of the stream.
    var wantsRead: Bool {
        !receiverClosed && !condition.blackholed && !condition.stalled && pendingEnd == nil && deliveredEnd == nil
            && queuedBytes < Self.holdLimitBytes
    }

    var isEmpty: Bool { chunks.isEmpty && pendingEnd == nil }

    /// Takes bytes read from the sender at `now`. Its delivery time is the later of the previous
    /// chunk's and `now` plus a delay drawn from the condition.
    mutating func enqueue(_ bytes: ByteBuffer, now: NIODeadline, using random: inout some RandomNumberGenerator) {
        guard !receiverClosed, bytes.readableBytes > 0 else { return }
        let due = max(lastDue, now + Self.sampleDelay(condition, using: &random))
        chunks.append(Chunk(bytes: bytes, arrival: now, due: due))
        queuedBytes += bytes.readableBytes
    }

    /// Records the sender's end of stream, delivered after every byte before it.
    mutating func recordEnd(_ end: End, now: NIODeadline, using random: inout some RandomNumberGenerator) {
        guard !receiverClosed else { return }
        let strongest = [pendingEnd?.end, deliveredEnd].compactMap { $0 }.max()
        if let strongest, end <= strongest { return }
        let due = max(lastDue, now + Self.sampleDelay(condition, using: &random))
        pendingEnd = PendingEnd(end: end, arrival: now, due: due)
    }

    /// The receiver closed: drop what it can no longer receive.
    mutating func closeReceiver() {
        receiverClosed = true
        chunks.removeAll()
        queuedBytes = 0
        pendingEnd = nil
    }

    /// Applies a new condition to the bytes already queued as well as to later ones: delivery times
    /// are drawn again from each chunk's arrival (so a healed delay releases its backlog at once),
    /// and a changed bandwidth starts a fresh bucket.
    mutating func apply(_ newCondition: DirectionCondition, now: NIODeadline, using random: inout some RandomNumberGenerator) {
        if newCondition.bandwidthBytesPerSecond != condition.bandwidthBytesPerSecond {
            bucket = newCondition.bandwidthBytesPerSecond.map { TokenBucket(rateBytesPerSecond: $0, now: now) }
        }
        if newCondition.limitBytes != condition.limitBytes { bytesPassedUnderLimit = 0 }
        if newCondition.slicing == nil { nextSliceAt = nil }
        condition = newCondition
        var previous = lastReleasedDue
        for index in chunks.indices {
            let due = max(previous, chunks[index].arrival + Self.sampleDelay(condition, using: &random))
            chunks[index].due = due
            previous = due
        }
        if var end = pendingEnd {
            end.due = max(previous, end.arrival + Self.sampleDelay(condition, using: &random))
            pendingEnd = end
        }
    }

    /// The next thing to do for this direction at `now`. Bytes go out only while the receiver's
    /// channel is writable; the end goes out only once every write was completed, because shutting
    /// a socket down discards what is still pending in it.
    mutating func nextAction(now: NIODeadline, receiverWritable: Bool, writesInFlight: Int) -> Action {
        var random = SystemRandomNumberGenerator()
        return nextAction(now: now, receiverWritable: receiverWritable, writesInFlight: writesInFlight, using: &random)
    }

    /// As above, drawing slice sizes from `random`. A byte limit that has been reached closes the
    /// stream (once every write completed) and drops what is left; a stalled direction does
    /// nothing; under slicing each write is one piece and the next waits for the slice delay.
    mutating func nextAction(now: NIODeadline, receiverWritable: Bool, writesInFlight: Int,
                             using random: inout some RandomNumberGenerator) -> Action {
        guard !receiverClosed, !condition.blackholed, !condition.stalled else { return .idle }
        if let limit = condition.limitBytes, bytesPassedUnderLimit >= limit {
            guard deliveredEnd.map({ $0 < .close }) ?? true else { return .idle }
            guard writesInFlight == 0 else { return .idle }
            chunks.removeAll()
            queuedBytes = 0
            pendingEnd = nil
            deliveredEnd = .close
            return .end(.close)
        }
        if var head = chunks.first {
            if head.due > now { return .wake(at: head.due) }
            if let at = nextSliceAt, at > now { return .wake(at: at) }
            guard receiverWritable else { return .idle }
            var allowed = head.bytes.readableBytes
            if let limit = condition.limitBytes { allowed = min(allowed, limit - bytesPassedUnderLimit) }
            if let slicing = condition.slicing { allowed = min(allowed, slicing.sampleSize(using: &random)) }
            if var bucket {
                let granted = bucket.take(upTo: allowed, now: now)
                self.bucket = bucket
                if granted == 0 { return .wake(at: bucket.availableAt(bytes: allowed, now: now)) }
                allowed = granted
            }
            let slice = head.bytes.readSlice(length: allowed)!
            if head.bytes.readableBytes == 0 {
                chunks.removeFirst()
            } else {
                chunks[chunks.startIndex] = head
            }
            queuedBytes -= allowed
            if condition.limitBytes != nil { bytesPassedUnderLimit += allowed }
            if let slicing = condition.slicing { nextSliceAt = now + .nanoseconds(DirectionCondition.nanoseconds(slicing.delay)) }
            lastReleasedDue = head.due
            return .write(slice)
        }
        if let end = pendingEnd {
            if end.due > now { return .wake(at: end.due) }
            guard writesInFlight == 0 else { return .idle }
            pendingEnd = nil
            lastReleasedDue = end.due
            deliveredEnd = end.end
            return .end(end.end)
        }
        return .idle
    }

    private var lastDue: NIODeadline {
        pendingEnd?.due ?? chunks.last?.due ?? lastReleasedDue
    }

    /// A delay drawn uniformly from [max(0, latency - jitter), latency + jitter].
    static func sampleDelay(_ condition: DirectionCondition, using random: inout some RandomNumberGenerator) -> TimeAmount {
        guard condition.isDelayed else { return .zero }
        let latency = DirectionCondition.nanoseconds(condition.latency)
        let jitter = DirectionCondition.nanoseconds(condition.jitter)
        let low = max(0, latency - jitter)
        let high = max(low, latency.addingReportingOverflow(jitter).partialValue)
        return .nanoseconds(low == high ? low : Int64.random(in: low...high, using: &random))
    }
}
