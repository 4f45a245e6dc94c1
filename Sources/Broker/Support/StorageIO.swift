import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The threads that do the broker's file I/O: log appends and the reads of fetches, ListOffsets and
/// OffsetForLeaderEpoch, StopReplica, flushes and fsyncs, checkpoints, retention, replica fetchers'
/// appends and truncations, the group coordinator's `__consumer_offsets`, and `/metrics` (which takes
/// every partition's lock).
///
/// swift-nio's first rule is never to block an event loop: a `pwrite` or an `fsync` takes
/// milliseconds on a busy disk and seconds on a sick one, and every connection served by that loop
/// would wait for it. Request handlers hand their storage work here and get a future back on their
/// own loop; asynchronous callers (replica fetchers, the group coordinator) await it.
///
/// Ordering: each partition's lock still serialises its log, and a connection's requests are handled
/// one at a time (`ConnectionHandler`), so appends keep the order in which a connection sent them. The
/// pool only decides which thread waits for the disk.
///
/// Owner: the process. One pool serves every broker in it, as `FileDescriptorBudget.shared` does; it
/// is started once and never stopped, so late work during a shutdown still runs instead of failing.
public final class StorageIO: Sendable {
    /// Threads that may block in the kernel at once. Appends to different partitions and fsyncs of
    /// different files overlap well; beyond a few threads a disk does not go faster, and each thread
    /// costs a stack. Work beyond this waits in the pool's queue.
    public static let defaultThreadCount = 4

    /// The process's pool, started with `defaultThreadCount` threads unless a broker started it first.
    public static var shared: StorageIO { forProcess(threadCount: defaultThreadCount) }

    private static let process = NIOLockedValueBox<StorageIO?>(nil)

    /// The process's pool, started with `threadCount` threads by the first caller (a broker passes
    /// its `num.io.threads`); later callers share it as it is.
    public static func forProcess(threadCount: Int) -> StorageIO {
        process.withLockedValue { pool in
            if let pool { return pool }
            let started = StorageIO(threadCount: threadCount)
            pool = started
            return started
        }
    }

    private let pool: NIOThreadPool
    public let threadCount: Int

    /// Starts `threadCount` threads. The pool is never shut down, and NIO's pool must not be released
    /// while it runs: make one per process (`forProcess`).
    init(threadCount: Int) {
        self.threadCount = threadCount
        pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
    }

    /// Runs `body` on a storage thread; the future completes on `eventLoop`.
    public func run<T: Sendable>(on eventLoop: any EventLoop, _ body: @escaping @Sendable () throws -> T) -> EventLoopFuture<T> {
        pool.runIfActive(eventLoop: eventLoop, body)
    }

    /// Runs `body` on a storage thread and returns its result to the awaiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Runs `body` on a storage thread, nobody waiting for it.
    public func execute(_ body: @escaping @Sendable () -> Void) {
        pool.submit { state in
            if case .active = state { body() }
        }
    }

    /// Stops a debug build when storage work runs on one of NIO's event loops (`what` names it).
    static func assertOffEventLoop(_ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
        assert(MultiThreadedEventLoopGroup.currentEventLoop == nil, "\(what()) ran on an event loop", file: file, line: line)
    }
}
