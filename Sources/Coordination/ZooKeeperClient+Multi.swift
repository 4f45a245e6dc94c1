import CZooKeeper
import Foundation

extension ZooKeeperClient {
    /// `zoo_multi`: one transaction on the server. On failure the server reports, per step, OK for
    /// those before the failing one, the failing step's code, and "runtime inconsistency" for those
    /// after; the first code that is neither names the failing step.
    public func multi(_ operations: [CoordinationOp]) throws -> [CoordinationOpResult] {
        guard !operations.isEmpty else { return [] }
        return try call(operations[0].path) { handle in
            let request = MultiRequest(operations)
            defer { request.free() }
            var results = [zoo_op_result_t](repeating: zoo_op_result_t(), count: operations.count)
            let rc = zoo_multi(handle, Int32(operations.count), request.ops, &results)
            if rc == ZOK.rawValue { return request.results() }
            let expired = session.isExpired
            let isStepFailure = { (code: Int32) in code != ZOK.rawValue && code != ZRUNTIMEINCONSISTENCY.rawValue }
            if let index = results.firstIndex(where: { isStepFailure($0.err) }) {
                let error = ZooKeeperLibrary.error(code: results[index].err, path: operations[index].path, sessionExpired: expired)
                throw CoordinationError.multiFailed(index: index, error: error)
            }
            throw ZooKeeperLibrary.error(code: rc, path: operations[0].path, sessionExpired: expired)
        }
    }
}

/// The C side of a multi: `zoo_op_t` entries and the memory they point into (paths, data, output
/// buffers for created paths and set stats), all owned here and released by `free`.
private final class MultiRequest {
    let operations: [CoordinationOp]
    let ops: UnsafeMutablePointer<zoo_op_t>
    private var allocations: [UnsafeMutableRawPointer] = []
    private var createdPaths: [Int: UnsafeMutablePointer<CChar>] = [:]
    private var setStats: [Int: UnsafeMutablePointer<Stat>] = [:]

    init(_ operations: [CoordinationOp]) {
        self.operations = operations
        ops = .allocate(capacity: operations.count)
        ops.initialize(repeating: zoo_op_t(), count: operations.count)
        for (index, operation) in operations.enumerated() {
            let op = ops + index
            switch operation {
            case .create(let path, let data, let mode):
                let buffer = allocate(CChar.self, count: ZooKeeperLibrary.pathBufferBytes)
                createdPaths[index] = buffer
                zoo_create_op_init(
                    op, cString(path), bytes(data), Int32(data.count), ZooKeeperLibrary.openACL.vector,
                    ZooKeeperLibrary.flags(mode), buffer, Int32(ZooKeeperLibrary.pathBufferBytes))
            case .set(let path, let data, let expectedVersion):
                let stat = allocate(Stat.self, count: 1)
                stat.initialize(to: Stat())
                setStats[index] = stat
                zoo_set_op_init(op, cString(path), bytes(data), Int32(data.count), expectedVersion, stat)
            case .delete(let path, let expectedVersion):
                zoo_delete_op_init(op, cString(path), expectedVersion)
            case .check(let path, let expectedVersion):
                zoo_check_op_init(op, cString(path), expectedVersion)
            }
        }
    }

    func results() -> [CoordinationOpResult] {
        operations.indices.map { index in
            switch operations[index] {
            case .create: return .created(path: String(cString: createdPaths[index]!))
            case .set: return .set(ZooKeeperLibrary.nodeStat(setStats[index]!.pointee))
            case .delete: return .deleted
            case .check: return .checked
            }
        }
    }

    func free() {
        ops.deinitialize(count: operations.count)
        ops.deallocate()
        for allocation in allocations { allocation.deallocate() }
        allocations.removeAll()
    }

    private func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let pointer = UnsafeMutablePointer<T>.allocate(capacity: count)
        allocations.append(UnsafeMutableRawPointer(pointer))
        return pointer
    }

    private func cString(_ string: String) -> UnsafePointer<CChar> {
        let utf8 = Array(string.utf8CString)
        let pointer = allocate(CChar.self, count: utf8.count)
        pointer.initialize(from: utf8, count: utf8.count)
        return UnsafePointer(pointer)
    }

    /// A copy of `data`, never a null pointer (see `withCData`).
    private func bytes(_ data: [UInt8]) -> UnsafePointer<CChar> {
        let pointer = allocate(CChar.self, count: max(1, data.count))
        pointer.initialize(to: 0)
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: raw.count) }
        }
        return UnsafePointer(pointer)
    }
}
