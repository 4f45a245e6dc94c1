/// Work produced under a lock, handed out after the lock is released in the order it was produced,
/// by one thread at a time.
///
/// A producer adds elements while it holds the owner's lock, releases the lock, then `claim`s: it
/// either becomes the deliverer (it gets everything pending and keeps calling `next` until nothing
/// is left) or finds another thread delivering, which will hand out its elements too, after the
/// ones before them. So two threads that changed the same state one after the other can never
/// report the changes the other way round, and a handler that produces more work on the same
/// thread (re-entry) is not blocked: its work waits for the loop it is already inside.
///
/// Owner: not thread-safe itself; every call is made under the owner's lock.
struct HandoffQueue<Element> {
    private var pending: [Element] = []
    private var delivering = false

    var isEmpty: Bool { pending.isEmpty }

    /// Adds work in the order it was produced.
    mutating func add<S: Sequence>(_ elements: S) where S.Element == Element {
        pending.append(contentsOf: elements)
    }

    /// For a thread that is not delivering: everything pending when no other thread is delivering
    /// (the caller becomes the deliverer and must call `next` after handling it), else nil.
    mutating func claim() -> [Element]? {
        guard !delivering, !pending.isEmpty else { return nil }
        delivering = true
        defer { pending = [] }
        return pending
    }

    /// For the deliverer, after it handled a batch: the work added meanwhile, or nil when there is
    /// none (the caller stops being the deliverer).
    mutating func next() -> [Element]? {
        precondition(delivering, "next() without a claim")
        guard !pending.isEmpty else {
            delivering = false
            return nil
        }
        defer { pending = [] }
        return pending
    }
}
