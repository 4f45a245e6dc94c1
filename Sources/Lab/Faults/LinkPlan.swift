/// Which links a network fault changes, and how: pure functions from resolved endpoints to link
/// conditions, so that what `partition 1 | 2 3` cuts can be tested without sockets.
///
/// Links exist from clients to each broker, between every ordered pair of brokers, and from each
/// broker to ZooKeeper. Traffic from A to B travels on link A->B in its forward direction, and on
/// link B->A in its backward direction (the replies).
public enum LinkPlan {
    public static func allLinks(brokers: [Int32]) -> [LinkID] {
        var links: [LinkID] = []
        for id in brokers {
            links.append(LinkID(from: .client, to: .broker(Int(id))))
            for peer in brokers where peer != id { links.append(LinkID(from: .broker(Int(id)), to: .broker(Int(peer)))) }
            links.append(LinkID(from: .broker(Int(id)), to: .zookeeper))
        }
        return links
    }

    /// Cut both ways between every pair of endpoints in different groups.
    public static func partition(_ groups: [Set<LinkEndpoint>], brokers: [Int32]) -> [LinkID: LinkCondition] {
        var plan: [LinkID: LinkCondition] = [:]
        for link in allLinks(brokers: brokers) {
            guard let from = groups.firstIndex(where: { $0.contains(link.from) }),
                  let to = groups.firstIndex(where: { $0.contains(link.to) }), from != to else { continue }
            plan[link] = .blackhole(.both)
        }
        return plan
    }

    /// Drop traffic from `from` to `to` only.
    public static func oneWay(from: Set<LinkEndpoint>, to: Set<LinkEndpoint>, brokers: [Int32]) -> [LinkID: LinkCondition] {
        var plan: [LinkID: LinkCondition] = [:]
        for link in allLinks(brokers: brokers) {
            if from.contains(link.from) && to.contains(link.to) { plan[link, default: .connected] = plan[link, default: .connected].combined(with: .blackhole(.forward)) }
            if to.contains(link.from) && from.contains(link.to) { plan[link, default: .connected] = plan[link, default: .connected].combined(with: .blackhole(.backward)) }
        }
        return plan
    }

    /// The traffic from `from` to `to` only: `condition(.forward)` on links opened from `from` to `to`
    /// (their requests) and `condition(.backward)` on links opened from `to` to `from` (their replies).
    public static func directed(from: Set<LinkEndpoint>, to: Set<LinkEndpoint>, brokers: [Int32],
                                condition: (LinkDirections) -> LinkCondition) -> [LinkID: LinkCondition] {
        var plan: [LinkID: LinkCondition] = [:]
        for link in allLinks(brokers: brokers) {
            if from.contains(link.from) && to.contains(link.to) { plan[link, default: .connected] = plan[link, default: .connected].combined(with: condition(.forward)) }
            if to.contains(link.from) && from.contains(link.to) { plan[link, default: .connected] = plan[link, default: .connected].combined(with: condition(.backward)) }
        }
        return plan
    }

    /// Every link that touches one of `endpoints`, with `condition`.
    public static func touching(_ endpoints: Set<LinkEndpoint>, brokers: [Int32], condition: LinkCondition) -> [LinkID: LinkCondition] {
        var plan: [LinkID: LinkCondition] = [:]
        for link in allLinks(brokers: brokers) where endpoints.contains(link.from) || endpoints.contains(link.to) {
            plan[link] = condition
        }
        return plan
    }

    /// Brokers cut from ZooKeeper only.
    public static func fromZookeeper(_ brokers: Set<Int32>) -> [LinkID: LinkCondition] {
        Dictionary(uniqueKeysWithValues: brokers.sorted().map { (LinkID(from: .broker(Int($0)), to: .zookeeper), LinkCondition.blackhole(.both)) })
    }

    /// The condition of each link given every active fault's contribution.
    public static func effective(_ contributions: [[LinkID: LinkCondition]], links: [LinkID]) -> [LinkID: LinkCondition] {
        var result: [LinkID: LinkCondition] = [:]
        for link in links {
            result[link] = contributions.reduce(LinkCondition.connected) { combined, plan in plan[link].map { combined.combined(with: $0) } ?? combined }
        }
        return result
    }
}
