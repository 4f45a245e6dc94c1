import Testing
@testable import Lab

@Suite struct LinkPlanTests {
    static let brokers: [Int32] = [1, 2, 3]

    /// `slow 2 -> 1`: the bytes broker 2 sends broker 1 — its requests on link 2->1 (forward) and its
    /// answers to broker 1's requests on link 1->2 (backward) — and nothing else.
    @Test func directedSlowsOnlyTheTrafficFromOneSideToTheOther() {
        let plan = LinkPlan.directed(from: [.broker(2)], to: [.broker(1)], brokers: Self.brokers) { .delay(latency: .milliseconds(200), directions: $0) }
        #expect(plan.count == 2)
        #expect(plan[LinkID(from: .broker(2), to: .broker(1))] == .delay(latency: .milliseconds(200), directions: .forward))
        #expect(plan[LinkID(from: .broker(1), to: .broker(2))] == .delay(latency: .milliseconds(200), directions: .backward))
        #expect(plan[LinkID(from: .broker(2), to: .broker(3))] == nil && plan[LinkID(from: .client, to: .broker(2))] == nil)
    }

    /// `slow clients -> 3`: the requests clients send broker 3, not its answers, not its replication.
    @Test func clientsToOneBroker() {
        let plan = LinkPlan.directed(from: [.client], to: [.broker(3)], brokers: Self.brokers) { .bandwidth(bytesPerSecond: 1000, directions: $0) }
        #expect(plan == [LinkID(from: .client, to: .broker(3)): .bandwidth(bytesPerSecond: 1000, directions: .forward)])
    }
}
