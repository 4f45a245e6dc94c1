import Foundation

/// A value that many threads share, readable and writable only through `withLock`.
///
/// `@unchecked Sendable` because the compiler cannot see the invariant that makes it safe: `value`
/// is touched only inside `withLock`, while `lock` is held.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
