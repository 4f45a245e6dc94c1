import Verification

/// The charts of a run, built from its figures: time runs in seconds from the run's start and
/// every fault window is a shaded band on every chart.
enum ReportCharts {
    /// ISR charts (one per topic) and lag charts (one per group) drawn at most; the tables list
    /// every partition and group.
    static let maxChartsPerKind = 12

    static func all(_ report: RunReport) -> [SVGChart] {
        [throughput(report), latency(report)] + isr(report) + lag(report)
    }

    static func seconds(_ timeNs: Int64, _ report: RunReport) -> Double { Double(timeNs - report.startNs) / 1e9 }

    static func domain(_ report: RunReport) -> ClosedRange<Double> {
        0...max(report.durationMs / 1000, 0.001)
    }

    static func bands(_ report: RunReport) -> [SVGChart.Band] {
        report.faults.map { window in
            let span = "\(Format.offset(window.startNs, from: report.startNs)) to "
                + (window.ongoing ? "the end (never healed)" : Format.offset(window.endNs, from: report.startNs))
            let targets = window.targets.isEmpty ? "" : " on \(window.targets.joined(separator: ", "))"
            return SVGChart.Band(
                start: seconds(window.startNs, report), end: seconds(window.endNs, report), label: Format.fault(window),
                detail: "fault \(window.id) (\(window.fault)\(targets)), \(span), \(Format.duration(ms: window.durationMs))")
        }
    }

    /// The width of Verification's time buckets (one second unless a long run widened them).
    static func bucketWidthNs(_ starts: [Int64]) -> Int64 {
        starts.count > 1 ? max(1, starts[1] - starts[0]) : 1_000_000_000
    }

    /// Sends completed per second, by outcome. Buckets are one second wide unless the run was so
    /// long that Verification widened them; rates divide by the actual width. Each bucket is
    /// drawn at its middle: a rate over a second belongs to that whole second.
    static func throughput(_ report: RunReport) -> SVGChart {
        let buckets = report.figures.throughput
        let widthNs = bucketWidthNs(buckets.map(\.startNs))
        let widthSeconds = Double(widthNs) / 1e9
        func series(_ name: String, _ count: (ThroughputBucket) -> Int) -> SVGChart.Series {
            SVGChart.Series(name: name, points: buckets.map { bucket in
                SVGChart.Point(x: seconds(bucket.startNs + widthNs / 2, report), y: Double(count(bucket)) / widthSeconds)
            })
        }
        return SVGChart(
            id: "chart-throughput", title: "Throughput: sends completed per second", xLabel: "seconds since start",
            yLabel: "sends / s", xDomain: domain(report),
            series: [series("acknowledged", \.acknowledged), series("failed", \.failed), series("indeterminate", \.indeterminate)],
            bands: bands(report))
    }

    /// p50, p99 and max of the sends acknowledged in each bucket, at the bucket's middle; a
    /// bucket without acknowledgements is a gap.
    static func latency(_ report: RunReport) -> SVGChart {
        let buckets = report.figures.produceLatencyOverTime
        let widthNs = bucketWidthNs(buckets.map(\.startNs))
        func series(_ name: String, _ value: (LatencyBucket) -> Double?) -> SVGChart.Series {
            SVGChart.Series(name: name, points: buckets.map { SVGChart.Point(x: seconds($0.startNs + widthNs / 2, report), y: value($0)) })
        }
        return SVGChart(
            id: "chart-latency", title: "Produce latency of acknowledged sends, per second", xLabel: "seconds since start",
            yLabel: "ms", xDomain: domain(report),
            series: [series("p50", \.p50Ms), series("p99", \.p99Ms), series("max", \.maxMs)], bands: bands(report))
    }

    /// ISR size per partition, one chart per topic; a size holds until the next sample, and an
    /// unknown one (the observers could not reach the cluster) breaks the line.
    static func isr(_ report: RunReport) -> [SVGChart] {
        let byTopic = Dictionary(grouping: report.figures.isr, by: \.topic)
        let end = seconds(report.endNs, report)
        return byTopic.keys.sorted().prefix(maxChartsPerKind).enumerated().map { index, topic in
            let series = byTopic[topic]!.sorted { $0.partition < $1.partition }.map { partition in
                SVGChart.Series(
                    name: "\(topic)/\(partition.partition)",
                    points: partition.sizes.map { SVGChart.Point(x: seconds($0.timeNs, report), y: $0.isrSize.map(Double.init)) },
                    style: .step, holdsUntil: end)
            }
            return SVGChart(
                id: "chart-isr-\(index)", title: "ISR size per partition: topic \(topic)", xLabel: "seconds since start",
                yLabel: "in-sync replicas", xDomain: domain(report), series: series, bands: bands(report),
                integerTicks: true)
        }
    }

    /// Lag per partition, one chart per consumer group.
    static func lag(_ report: RunReport) -> [SVGChart] {
        let byGroup = Dictionary(grouping: report.figures.lag, by: \.group)
        return byGroup.keys.sorted().prefix(maxChartsPerKind).enumerated().map { index, group in
            let series = byGroup[group]!.map { partition in
                SVGChart.Series(
                    name: "\(partition.topic)/\(partition.partition)",
                    points: partition.points.map { SVGChart.Point(x: seconds($0.timeNs, report), y: Double($0.lag)) })
            }
            return SVGChart(
                id: "chart-lag-\(index)", title: "Consumer lag: group \(group)", xLabel: "seconds since start",
                yLabel: "records behind", xDomain: domain(report), series: series, bands: bands(report),
                integerTicks: true)
        }
    }
}
