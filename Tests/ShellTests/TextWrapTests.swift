import Testing
@testable import Shell

@Suite struct TextWrapTests {
    @Test func linesBreakOnlyAtSpacesAndStayWithinTheWidth() {
        let text = "Leader, epoch, replicas, ISR and high watermark of every partition of every topic."
        let lines = TextWrap.wrap(text, width: 30, indent: "  ")
        #expect(lines.allSatisfy { $0.count <= 30 })
        #expect(lines.map { $0.trimmingPrefix("  ") }.joined(separator: " ") == text)
        #expect(lines.allSatisfy { $0.hasPrefix("  ") })
    }

    @Test func aWordLongerThanALineStandsAlone() {
        #expect(TextWrap.wrap("a averyveryverylongword b", width: 8) == ["a", "averyveryverylongword", "b"])
    }

    @Test func usageGroupsAreKeptWhole() {
        #expect(TextWrap.usageWords("topics create TOPIC [--partitions N] [--config KEY=VALUE]")
                == ["topics", "create", "TOPIC", "[--partitions N]", "[--config KEY=VALUE]"])
        let lines = TextWrap.wrap(words: TextWrap.usageWords("topics create TOPIC [--partitions N] [--replication-factor N]"), width: 40, indent: "    ", indentFirst: false)
        #expect(lines == ["topics create TOPIC [--partitions N]", "    [--replication-factor N]"])
    }
}
