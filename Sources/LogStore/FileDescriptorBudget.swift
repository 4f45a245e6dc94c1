import Foundation

/// How many segment files the log store keeps open at once, shared by every log of a process.
///
/// Each segment needs two descriptors (`.log` and `.index`). A broker hosting thousands of
/// partitions would otherwise hold two per partition and run into the process's `RLIMIT_NOFILE`,
/// after which neither logs nor sockets can be opened. Segments therefore open their files on
/// demand and register here; when more than `maxOpenFiles` are open, the least recently used
/// segments that are not in use are closed (fsynced first when they hold unsynced writes) and
/// reopen on their next use.
///
/// Owner: `lock` guards the LRU list (`SegmentFiles.lruPrevious/lruNext/inLru`) and `openHandles`.
/// It is never held while a `SegmentFiles` lock is taken, and evictions only `try` a handle's lock,
/// so two threads evicting each other's segments cannot deadlock.
public final class FileDescriptorBudget: @unchecked Sendable {
    /// Most descriptors the log store may hold (two per open segment).
    public let maxOpenFiles: Int
    private let lock = NSLock()
    private var openHandles = 0
    /// Most recently used first.
    private var head: SegmentFiles?
    private weak var tail: SegmentFiles?

    /// The smallest budget that still works: the segment being used plus one more.
    public static let minimumOpenFiles = 4

    public init(maxOpenFiles: Int) {
        self.maxOpenFiles = max(Self.minimumOpenFiles, maxOpenFiles)
    }

    /// The process-wide budget: half of the soft `RLIMIT_NOFILE`, leaving the other half for client
    /// and replica sockets, checkpoints and the metadata store.
    public static let shared = FileDescriptorBudget(maxOpenFiles: defaultMaxOpenFiles(softLimit: currentSoftLimit()))

    /// Half of `softLimit`, at most 1,048,576 (an unlimited soft limit must not become a huge number).
    public static func defaultMaxOpenFiles(softLimit: Int) -> Int {
        min(softLimit, 1 << 21) / 2
    }

    /// The process's soft limit on open descriptors (1024 when it cannot be read).
    public static func currentSoftLimit() -> Int {
        var limit = rlimit()
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Descriptors currently counted as open by segments of this budget.
    public var openFiles: Int { lock.withLock { openHandles * SegmentFiles.descriptorsPerSegment } }

    // MARK: LRU, called by SegmentFiles

    /// `files` was just used (and is open): it becomes the most recently used. Returns the segments
    /// to close to get back under the budget; the caller evicts them outside this lock.
    func used(_ files: SegmentFiles) -> [SegmentFiles] {
        lock.withLock {
            unlink(files)
            pushFront(files)
            var victims: [SegmentFiles] = []
            while openHandles * SegmentFiles.descriptorsPerSegment > maxOpenFiles, let last = tail, last !== files {
                unlink(last)
                victims.append(last)
            }
            return victims
        }
    }

    /// `files` closed its descriptors (or is going away): it no longer counts.
    func closed(_ files: SegmentFiles) {
        lock.withLock { unlink(files) }
    }

    /// Up to `count` least recently used segments other than `keeping`, taken off the list for
    /// eviction (after `open` failed with EMFILE or ENFILE).
    func leastRecentlyUsed(_ count: Int, keeping: SegmentFiles) -> [SegmentFiles] {
        lock.withLock {
            var victims: [SegmentFiles] = []
            var candidate = tail
            while victims.count < count, let current = candidate {
                candidate = current.lruPrevious
                if current === keeping { continue }
                unlink(current)
                victims.append(current)
            }
            return victims
        }
    }

    /// Closes the victims that are idle; those in use go back on the list.
    func evict(_ victims: [SegmentFiles]) {
        for victim in victims where !victim.closeIfIdle() {
            lock.withLock {
                if !victim.inLru { pushFront(victim) }
            }
        }
    }

    private func pushFront(_ files: SegmentFiles) {
        files.lruNext = head
        files.lruPrevious = nil
        head?.lruPrevious = files
        head = files
        if tail == nil { tail = files }
        files.inLru = true
        openHandles += 1
    }

    private func unlink(_ files: SegmentFiles) {
        guard files.inLru else { return }
        if let previous = files.lruPrevious { previous.lruNext = files.lruNext } else { head = files.lruNext }
        if let next = files.lruNext { next.lruPrevious = files.lruPrevious } else { tail = files.lruPrevious }
        files.lruNext = nil
        files.lruPrevious = nil
        files.inLru = false
        openHandles -= 1
    }
}
