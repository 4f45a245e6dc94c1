/// Compositions of the primitive calls that every user of the store needs. They tolerate the races
/// other sessions can cause (a node appearing or vanishing between two calls) by retrying a bounded
/// number of times, then throwing the last error.
extension CoordinationClient {
    /// How many times a recipe re-reads after losing a race before giving up. Races need a writer
    /// changing the same node between two of our round trips; more than a few in a row means a
    /// livelock worth reporting, not retrying forever.
    public static var recipeRetryLimit: Int { 8 }

    /// Creates `path` and any missing ancestors as empty persistent nodes; existing ones are kept.
    public func ensurePath(_ path: String) throws {
        guard path != "/" else { return }
        for prefix in ZNodePath.ancestorsAndSelf(of: path) {
            do {
                try create(prefix, data: [], mode: .persistent)
            } catch CoordinationError.nodeExists {
                continue
            }
        }
    }

    /// Creates the missing ancestors of `path` (not `path` itself) as empty persistent nodes.
    public func createParents(of path: String) throws {
        let parent = ZNodePath.parent(of: path)
        if parent != "/" { try ensurePath(parent) }
    }

    /// Creates `path` after creating its missing ancestors.
    @discardableResult
    public func createWithParents(_ path: String, data: [UInt8], mode: CreateMode) throws -> String {
        do {
            return try create(path, data: data, mode: mode)
        } catch CoordinationError.noNode {
            try createParents(of: path)
            return try create(path, data: data, mode: mode)
        }
    }

    /// Creates `path` with `data`, or reads it if it already exists. `created` tells which happened;
    /// the returned data is what the node holds (ours if we created it).
    public func createOrGet(
        _ path: String, data: [UInt8], mode: CreateMode = .persistent
    ) throws -> (created: Bool, data: [UInt8], stat: NodeStat) {
        var lastError: CoordinationError = .noNode(path: path)
        for _ in 0..<Self.recipeRetryLimit {
            do {
                try create(path, data: data, mode: mode)
                let read = try get(path)
                return (true, read.data, read.stat)
            } catch CoordinationError.nodeExists {
                do {
                    let read = try get(path)
                    return (false, read.data, read.stat)
                } catch let error as CoordinationError {
                    guard case .noNode = error else { throw error }
                    lastError = error
                }
            }
        }
        throw lastError
    }

    /// Deletes `path` and everything below it, children first. A missing node counts as deleted.
    public func deleteRecursive(_ path: String) throws {
        var lastError: CoordinationError = .notEmpty(path: path)
        for _ in 0..<Self.recipeRetryLimit {
            let names: [String]
            do {
                names = try children(path)
            } catch CoordinationError.noNode {
                return
            }
            for name in names {
                try deleteRecursive(ZNodePath.join(path, name))
            }
            do {
                try delete(path)
                return
            } catch CoordinationError.noNode {
                return
            } catch let error as CoordinationError {
                guard case .notEmpty = error else { throw error }
                lastError = error
            }
        }
        throw lastError
    }
}
