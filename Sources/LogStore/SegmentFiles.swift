import Foundation

/// The `.log` and `.index` descriptors of one segment, opened on demand and closed by the
/// `FileDescriptorBudget` when idle. Every use goes through `withDescriptors`, which pins the
/// descriptors for the duration of the call so an eviction on another thread never closes a
/// descriptor in use (or lets its number be reused under a pending pread).
///
/// Owner: `lock` guards `logFd`, `indexFd`, `pins`, `dirty` and `deferredSyncError`; the budget's
/// lock guards the LRU links. Eviction only `try`s `lock` (see `closeIfIdle`).
final class SegmentFiles: @unchecked Sendable {
    static let descriptorsPerSegment = 2

    let logPath: String
    let indexPath: String
    let budget: FileDescriptorBudget
    private let lock = NSLock()
    private var logFd: Int32 = -1
    private var indexFd: Int32 = -1
    private var pins = 0
    /// Written or truncated since the last fsync.
    private var dirty = false
    /// An fsync that failed while the budget closed these files; reported by the next `sync`.
    private var deferredSyncError: LogError?

    // LRU links, guarded by the budget's lock.
    weak var lruPrevious: SegmentFiles?
    var lruNext: SegmentFiles?
    var inLru = false

    /// How many LRU segments to close when `open` fails for lack of descriptors, before retrying.
    static let shedOnExhaustion = 16

    init(logPath: String, indexPath: String, budget: FileDescriptorBudget) {
        self.logPath = logPath
        self.indexPath = indexPath
        self.budget = budget
    }

    deinit {
        if logFd >= 0 { FileIO.close(logFd) }
        if indexFd >= 0 { FileIO.close(indexFd) }
    }

    var isOpen: Bool { lock.withLock { logFd >= 0 } }

    /// Runs `body` with both descriptors open (opening, and creating, the files if needed). With
    /// `writes`, the files are marked as holding unsynced changes.
    func withDescriptors<T>(writes: Bool = false, _ body: (_ log: Int32, _ index: Int32) throws -> T) throws -> T {
        let (log, index) = try pin()
        defer { unpin(writes: writes) }
        return try body(log, index)
    }

    /// fsyncs unsynced changes. Files closed by the budget were fsynced before they were closed.
    func sync() throws {
        try lock.withLock {
            if let error = deferredSyncError {
                deferredSyncError = nil
                throw error
            }
            guard dirty, logFd >= 0 else { return }
            try FileIO.sync(logFd)
            try FileIO.sync(indexFd)
            dirty = false
        }
    }

    /// Closes the descriptors without syncing (the owner synced first, or is deleting the files).
    func close() {
        lock.withLock {
            closeDescriptors()
            dirty = false
        }
        budget.closed(self)
    }

    /// Called by the budget: closes the files unless in use, fsyncing unsynced changes first.
    /// Returns false when the files are in use (pinned, or their lock is held right now).
    func closeIfIdle() -> Bool {
        guard lock.try() else { return false }
        defer { lock.unlock() }
        guard pins == 0 else { return false }
        guard logFd >= 0 else { return true }
        if dirty {
            do {
                try FileIO.sync(logFd)
                try FileIO.sync(indexFd)
            } catch let error as LogError {
                deferredSyncError = error
            } catch {
                deferredSyncError = .io("fsync \(logPath): \(error)")
            }
            dirty = false
        }
        closeDescriptors()
        return true
    }

    private func pin() throws -> (Int32, Int32) {
        let descriptors: (Int32, Int32) = try lock.withLock {
            if logFd < 0 { try openDescriptors() }
            pins += 1
            return (logFd, indexFd)
        }
        budget.evict(budget.used(self))
        return descriptors
    }

    private func unpin(writes: Bool) {
        lock.withLock {
            pins -= 1
            if writes { dirty = true }
        }
    }

    /// Caller holds `lock`. On EMFILE/ENFILE, closes some idle segments of the budget and retries once.
    private func openDescriptors() throws {
        var failure = openBoth()
        if let failed = failure, Self.isExhaustion(failed.errno) {
            budget.evict(budget.leastRecentlyUsed(Self.shedOnExhaustion, keeping: self))
            failure = openBoth()
        }
        if let failed = failure { throw LogError.io("open \(failed.path): \(String(cString: strerror(failed.errno)))") }
    }

    /// Opens (creating) both files; on failure returns errno and the path, with neither left open.
    private func openBoth() -> (errno: Int32, path: String)? {
        let flags = O_RDWR | O_CLOEXEC | O_CREAT
        let log = Foundation.open(logPath, flags, 0o644)
        guard log >= 0 else { return (errno, logPath) }
        let index = Foundation.open(indexPath, flags, 0o644)
        guard index >= 0 else {
            let code = errno
            FileIO.close(log)
            return (code, indexPath)
        }
        logFd = log
        indexFd = index
        return nil
    }

    private func closeDescriptors() {
        if logFd >= 0 { FileIO.close(logFd) }
        if indexFd >= 0 { FileIO.close(indexFd) }
        logFd = -1
        indexFd = -1
    }

    static func isExhaustion(_ code: Int32) -> Bool { code == EMFILE || code == ENFILE }
}
