/// Path rules shared by both implementations, as ZooKeeper's `PathUtils.validatePath` states them,
/// so that the in-memory store rejects exactly what the server rejects.
public enum ZNodePath {
    /// Whether ZooKeeper accepts `path`. For sequential creates the server validates the path with
    /// the suffix appended, so a trailing slash is allowed there.
    public static func isValid(_ path: String, sequential: Bool = false) -> Bool {
        let checked = sequential ? path + "1" : path
        guard checked.hasPrefix("/") else { return false }
        if checked == "/" { return true }
        guard !checked.hasSuffix("/") else { return false }
        for segment in checked.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." { return false }
        }
        for scalar in checked.unicodeScalars where isForbidden(scalar) {
            return false
        }
        return true
    }

    /// The parent path; the parent of a top-level node and of the root is "/".
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// The last segment of the path.
    public static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public static func join(_ parent: String, _ name: String) -> String {
        parent == "/" ? "/" + name : parent + "/" + name
    }

    /// "/a", "/a/b", "/a/b/c" for "/a/b/c".
    public static func ancestorsAndSelf(of path: String) -> [String] {
        var result: [String] = []
        var current = ""
        for segment in path.split(separator: "/") {
            current += "/" + segment
            result.append(current)
        }
        return result
    }

    /// The ten-digit, zero-padded suffix ZooKeeper appends to sequential nodes.
    static func sequenceSuffix(_ counter: Int32) -> String {
        let digits = String(counter.magnitude)
        let width = counter < 0 ? 9 : 10
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return counter < 0 ? "-" + padded : padded
    }

    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0000...0x001F, 0x007F...0x009F, 0xD800...0xF8FF, 0xFFF0...0xFFFF: return true
        default: return false
        }
    }
}
