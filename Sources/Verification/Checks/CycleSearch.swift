/// Cycles of a directed graph given as adjacency lists (`graph[node]` lists `(to, edge)` pairs), in
/// time linear in nodes plus edges: Tarjan's strongly connected components, then one breadth-first
/// search inside a component for a shortest cycle through a chosen edge.
///
/// Iterative throughout: a history of 100k operations can chain thousands of transactions, deeper
/// than a thread's stack would allow a recursive search.
enum CycleSearch {
    /// The strongly connected components with more than one node (the graphs here have no
    /// self-edges, so only those hold cycles), each sorted, in order of their smallest node.
    static func components(_ graph: [[(to: Int, edge: Int)]]) -> [[Int]] {
        let count = graph.count
        var index = [Int](repeating: -1, count: count)
        var lowLink = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var next = 0
        var found: [[Int]] = []
        // The search's own stack: a node and how many of its edges were followed.
        var frames: [(node: Int, edge: Int)] = []
        for root in 0..<count where index[root] < 0 {
            frames.append((root, 0))
            index[root] = next
            lowLink[root] = next
            next += 1
            stack.append(root)
            onStack[root] = true
            while let frame = frames.last {
                let node = frame.node
                if frame.edge < graph[node].count {
                    frames[frames.count - 1].edge += 1
                    let target = graph[node][frame.edge].to
                    if index[target] < 0 {
                        index[target] = next
                        lowLink[target] = next
                        next += 1
                        stack.append(target)
                        onStack[target] = true
                        frames.append((target, 0))
                    } else if onStack[target] {
                        lowLink[node] = min(lowLink[node], index[target])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last?.node { lowLink[parent] = min(lowLink[parent], lowLink[node]) }
                guard lowLink[node] == index[node] else { continue }
                var component: [Int] = []
                while let member = stack.popLast() {
                    onStack[member] = false
                    component.append(member)
                    if member == node { break }
                }
                if component.count > 1 { found.append(component.sorted()) }
            }
        }
        return found.sorted { $0[0] < $1[0] }
    }

    /// A shortest path from `start` to `goal` using only nodes of `members`, as edge positions; nil
    /// when there is none.
    static func shortestPath(_ graph: [[(to: Int, edge: Int)]], from start: Int, to goal: Int, within members: Set<Int>) -> [Int]? {
        if start == goal { return [] }
        var reachedBy: [Int: (from: Int, edge: Int)] = [start: (start, -1)]
        var frontier = [start]
        var head = 0
        while head < frontier.count {
            let node = frontier[head]
            head += 1
            for (target, edge) in graph[node] where members.contains(target) && reachedBy[target] == nil {
                reachedBy[target] = (node, edge)
                if target == goal {
                    var path: [Int] = []
                    var current = goal
                    while current != start, let step = reachedBy[current] {
                        path.append(step.edge)
                        current = step.from
                    }
                    return path.reversed()
                }
                frontier.append(target)
            }
        }
        return nil
    }

    /// A shortest cycle through the edge `edge` (from `from` to `to`) inside a component, as edge
    /// positions starting with `edge`; nil when the edge lies on no cycle there.
    static func cycle(_ graph: [[(to: Int, edge: Int)]], through edge: Int, from: Int, to: Int, within members: Set<Int>) -> [Int]? {
        shortestPath(graph, from: to, to: from, within: members).map { [edge] + $0 }
    }

    /// A shortest cycle through `node` inside a component, as edge positions: a breadth-first search
    /// from it, closed by the first node reached that has an edge back to it; nil when none does.
    static func shortestCycle(_ graph: [[(to: Int, edge: Int)]], through node: Int, within members: Set<Int>) -> [Int]? {
        var reachedBy: [Int: (from: Int, edge: Int)] = [node: (node, -1)]
        var frontier = [node]
        var head = 0
        while head < frontier.count {
            let current = frontier[head]
            head += 1
            if let back = graph[current].first(where: { $0.to == node }) {
                var path = [back.edge]
                var step = current
                while step != node, let previous = reachedBy[step] {
                    path.append(previous.edge)
                    step = previous.from
                }
                return path.reversed()
            }
            for (target, edge) in graph[current] where members.contains(target) && reachedBy[target] == nil {
                reachedBy[target] = (current, edge)
                frontier.append(target)
            }
        }
        return nil
    }
}
