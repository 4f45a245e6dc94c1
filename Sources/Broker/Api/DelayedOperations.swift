import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

/// An acks=all produce waiting for the HW of each partition it wrote to pass its last offset.
/// Completes when every partition is done (success, NOT_ENOUGH_REPLICAS_AFTER_APPEND, or
/// NOT_LEADER_OR_FOLLOWER after losing leadership) or when the request timeout fires
/// (REQUEST_TIMED_OUT for the partitions still waiting). Woken by the partitions' waiter callbacks,
/// never by polling.
///
/// Checks take the partitions' locks, which an append holds while it writes: they run where the
/// wake-up came from (a storage thread, an ISR write's task); the first check where `wait` is called
/// (a storage thread or a task, never an event loop), the timeout's on a storage thread.
///
/// Owner: `state` (lock-guarded) holds the per-partition results and whether the promise completed.
final class DelayedProduce: Sendable {
    private struct State {
        var errors: [TopicPartition: ErrorCode] = [:]
        var completed = false
        var waiterIds: [(Partition, Int)] = []
        var timeout: Scheduled<Void>?
    }

    private let targets: [(partition: Partition, requiredOffset: Int64)]
    private let promise: EventLoopPromise<[TopicPartition: ErrorCode]>
    private let state = NIOLockedValueBox(State())

    private init(targets: [(Partition, Int64)], promise: EventLoopPromise<[TopicPartition: ErrorCode]>) {
        self.targets = targets.map { (partition: $0.0, requiredOffset: $0.1) }
        self.promise = promise
    }

    static func wait(for targets: [(Partition, Int64)], timeoutMs: Int64, eventLoop: any EventLoop,
                     storage: StorageIO) -> EventLoopFuture<[TopicPartition: ErrorCode]> {
        let promise = eventLoop.makePromise(of: [TopicPartition: ErrorCode].self)
        let operation = DelayedProduce(targets: targets, promise: promise)
        var ids: [(Partition, Int)] = []
        for (partition, _) in targets {
            ids.append((partition, partition.addWaiter { [weak operation] in operation?.check(timedOut: false) }))
        }
        let timeout = eventLoop.scheduleTask(in: .milliseconds(timeoutMs)) {
            storage.execute { operation.check(timedOut: true) }
        }
        operation.state.withLockedValue {
            $0.waiterIds = ids
            $0.timeout = timeout
        }
        operation.check(timedOut: false)
        return promise.futureResult
    }

    private func check(timedOut: Bool) {
        var outcome: [TopicPartition: ErrorCode]?
        var cleanup: [(Partition, Int)] = []
        var timeout: Scheduled<Void>?
        state.withLockedValue { state in
            guard !state.completed else { return }
            for target in targets where state.errors[target.partition.topicPartition] == nil {
                if let code = target.partition.produceCompletion(requiredOffset: target.requiredOffset) {
                    state.errors[target.partition.topicPartition] = code
                }
            }
            if timedOut {
                for target in targets where state.errors[target.partition.topicPartition] == nil {
                    state.errors[target.partition.topicPartition] = .requestTimedOut
                }
            }
            guard state.errors.count == targets.count else { return }
            state.completed = true
            outcome = state.errors
            cleanup = state.waiterIds
            timeout = state.timeout
        }
        guard let outcome else { return }
        timeout?.cancel()
        for (partition, id) in cleanup { partition.removeWaiter(id) }
        promise.succeed(outcome)
    }
}
