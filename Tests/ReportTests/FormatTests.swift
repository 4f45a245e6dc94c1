import Testing
@testable import Report

@Suite struct FormatTests {
    @Test func countsGroupThousands() {
        #expect(Format.count(0) == "0")
        #expect(Format.count(999) == "999")
        #expect(Format.count(1_234_567) == "1,234,567")
        #expect(Format.count(-12_345) == "-12,345")
    }

    @Test func durationsPickAReadableUnit() {
        #expect(Format.duration(ms: 0) == "0 ms")
        #expect(Format.duration(ms: 0.4219) == "0.42 ms")
        #expect(Format.duration(ms: 12.34) == "12.3 ms")
        #expect(Format.duration(ms: 845.2) == "845 ms")
        #expect(Format.duration(ms: 2_345) == "2.35 s")
        #expect(Format.duration(ms: 192_400) == "3 min 12.4 s")
        #expect(Format.duration(ms: 3 * 3_600_000 + 125 * 60_000) == "5 h 5 min")
        #expect(Format.duration(ms: Double?.none) == "—")
    }

    @Test func offsetsAreSignedSecondsFromTheStart() {
        #expect(Format.offset(1_500_000_000, from: 500_000_000) == "+1.000 s")
        #expect(Format.offset(0, from: 250_000_000) == "-0.250 s")
    }

    @Test func escapingCoversEveryFormat() {
        #expect(Escape.xmlText("a<b>&c") == "a&lt;b&gt;&amp;c")
        #expect(Escape.xmlText("nul\u{0}x\u{FFFF}") == "nul\u{FFFD}x\u{FFFD}")
        #expect(Escape.xmlAttribute("\"'\n") == "&quot;&#39;&#10;")
        #expect(Escape.jsonString("q\"\\\n\u{1}") == "\"q\\\"\\\\\\n\\u0001\"")
        #expect(Escape.markdownInline("no_lost_writes _x_ *y* |") == "no_lost_writes \\_x\\_ \\*y\\* \\|")
        #expect(Escape.markdownCodeBlock("a ``` b") == "````\na ``` b\n````\n")
        #expect(Escape.terminal("a\u{1B}[31mb\r\nc") == "a\u{FFFD}[31mb\u{FFFD} c")
    }
}
