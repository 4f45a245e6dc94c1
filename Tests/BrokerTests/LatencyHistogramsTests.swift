import Testing
@testable import Broker

@Suite struct LatencyHistogramsTests {
    @Test func bucketsAreCumulativeWithSumAndCount() {
        let histograms = LatencyHistograms(name: "kafka_network_requestmetrics_totaltimems", help: "h")
        for ms in [0.5, 3, 3, 40, 100_000] { histograms.observe("Produce", milliseconds: ms) }
        histograms.observe("FetchFollower", milliseconds: 7)
        let text = histograms.render(brokerId: 2)
        #expect(text.contains("# TYPE kafka_network_requestmetrics_totaltimems histogram"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_bucket{broker=\"2\",request=\"Produce\",le=\"1\"} 1\n"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_bucket{broker=\"2\",request=\"Produce\",le=\"5\"} 3\n"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_bucket{broker=\"2\",request=\"Produce\",le=\"50\"} 4\n"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_bucket{broker=\"2\",request=\"Produce\",le=\"30000\"} 4\n"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_bucket{broker=\"2\",request=\"Produce\",le=\"+Inf\"} 5\n"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_count{broker=\"2\",request=\"Produce\"} 5\n"))
        #expect(text.contains("kafka_network_requestmetrics_totaltimems_sum{broker=\"2\",request=\"Produce\"} 100046.5\n"))
        #expect(text.contains("request=\"FetchFollower\",le=\"10\"} 1\n"))
    }
}
