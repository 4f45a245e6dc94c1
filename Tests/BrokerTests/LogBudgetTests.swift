import Testing
@testable import Broker

@Suite struct LogBudgetTests {
    @Test func allowsTheBudgetPerWindowThenCountsWhatItDrops() {
        var budget = LogBudget(linesPerWindow: 3, windowMs: 1000)
        #expect((0..<3).map { budget.admit(nowMs: 100 + Int64($0)) } == Array(repeating: .log(suppressedBefore: 0), count: 3))
        #expect((0..<500).allSatisfy { budget.admit(nowMs: 200 + Int64($0)) == .suppress })
        // The first line of the next window reports how many lines were dropped.
        #expect(budget.admit(nowMs: 1100) == .log(suppressedBefore: 500))
        #expect(budget.admit(nowMs: 1101) == .log(suppressedBefore: 0))
    }

    /// A flood of a million refusals over an hour writes at most the budget per window.
    @Test func aFloodWritesABoundedNumberOfLines() {
        var budget = LogBudget(linesPerWindow: 10, windowMs: 60_000)
        var lines = 0
        for event in 0..<1_000_000 {
            if case .log = budget.admit(nowMs: Int64(event) * 3600 / 1000) { lines += 1 }
        }
        #expect(lines <= 10 * 61)
    }
}
