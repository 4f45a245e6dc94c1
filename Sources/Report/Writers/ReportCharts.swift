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
                start: seconds(window.startNs, report), end: seconds(window.endNs, report), label: bandLabel(window, report),
                detail: "fault \(window.id) (\(window.fault)\(targets)), \(span), \(Format.duration(ms: window.durationMs))")
        }
    }

    /// "#2 +10.0s cut broker-2 …": the fault's id (unique in the run, and the faults table's
    /// first column) and start before its own words, so two faults with the same words never
    /// share a label, even cut to the chart's label length.
    static func bandLabel(_ window: FaultWindow, _ report: RunReport) -> String {
        let start = String(format: "%+.1fs", Double(window.startNs - report.startNs) / 1e9)
        return "#\(window.id) \(start) \(Format.fault(window))"
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
    /// bucket without acknowledgements is a gap. With few sends a bucket's p99 is its max: max
    /// is drawn first, thin and dashed, and p99 last and bold, so p99 always shows.
    static func latency(_ report: RunReport) -> SVGChart {
        let buckets = report.figures.produceLatencyOverTime
        let widthNs = bucketWidthNs(buckets.map(\.startNs))
        func series(_ name: String, _ stroke: SVGChart.Stroke, _ value: (LatencyBucket) -> Double?) -> SVGChart.Series {
            SVGChart.Series(
                name: name, points: buckets.map { SVGChart.Point(x: seconds($0.startNs + widthNs / 2, report), y: value($0)) },
                stroke: stroke)
        }
        return SVGChart(
            id: "chart-latency", title: "Produce latency of acknowledged sends, per second", xLabel: "seconds since start",
            yLabel: "ms", xDomain: domain(report),
            series: [series("p50", .solid, \.p50Ms), series("p99", .boldOver, \.p99Ms), series("max", .dashedUnder, \.maxMs)],
            bands: bands(report))
    }

    /// Internal topics (`__consumer_offsets`, `__transaction_state`): dozens of partitions whose
    /// ISR follows their brokers, drawn on top of each other. The charts leave them out and say
    /// so; the ISR tables list them.
    static func isInternal(_ topic: String) -> Bool { topic.hasPrefix("__") }

    /// Topics with an ISR chart: the first `maxChartsPerKind` that are not internal.
    static func isrChartTopics(_ report: RunReport) -> [String] {
        Array(Set(report.figures.isr.map(\.topic)).filter { !isInternal($0) }.sorted().prefix(maxChartsPerKind))
    }

    /// ISR size per partition, one chart per topic, as every source saw it; a size holds until
    /// the next change, and an unknown one (the observers could not reach the cluster) breaks
    /// the line. Each ISR change a broker logged is a mark at its time.
    static func isr(_ report: RunReport) -> [SVGChart] {
        let byTopic = Dictionary(grouping: report.figures.isr, by: \.topic)
        let end = seconds(report.endNs, report)
        return isrChartTopics(report).enumerated().map { index, topic in
            let series = byTopic[topic]!.sorted { $0.partition < $1.partition }.map { partition in
                let name = Format.partition(partition.topic, partition.partition)
                let marks = partition.changes.filter { $0.source == .brokerEvent }.map { change in
                    SVGChart.Mark(
                        x: seconds(change.timeNs, report), y: Double(change.newIsr.count),
                        title: "\(name): ISR \(ReportRows.brokers(change.newIsr)) at \(Format.offset(change.timeNs, from: report.startNs))"
                            + (change.broker.map { " (broker \($0)'s event log)" } ?? " (a broker's event log)"))
                }
                return SVGChart.Series(
                    name: name,
                    points: isrSizes(partition).map { SVGChart.Point(x: seconds($0.timeNs, report), y: $0.size.map(Double.init)) },
                    style: .step, holdsUntil: end, marks: marks)
            }
            return SVGChart(
                id: "chart-isr-\(index)", title: "ISR size per partition: topic \(topic)", xLabel: "seconds since start",
                yLabel: "in-sync replicas", xDomain: domain(report), series: series, bands: bands(report),
                integerTicks: true)
        }
    }

    /// A partition's ISR size over time from both sources. The brokers' own ISR change events
    /// take precedence: a change holds from the moment its broker logged it, though metadata
    /// samples (taken now and then, and propagated late) may show it seconds later. Until a
    /// sample shows the last event's ISR size, a sample still showing the size before it is
    /// stale and is not drawn; any other sample that differs is a change no broker logged (a
    /// controller's election) and is drawn. An unknown sample breaks the line.
    static func isrSizes(_ partition: PartitionIsrFigures) -> [(timeNs: Int64, size: Int?)] {
        enum Entry { case sample(Int?), event(IsrChange) }
        let events = partition.changes.filter { $0.source == .brokerEvent }
        // Events first at equal times: the event is what the sample shows, late or not.
        let entries = (events.map { ($0.timeNs, 0, Entry.event($0)) } + partition.sizes.map { ($0.timeNs, 1, Entry.sample($0.isrSize)) })
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        var sizes: [(timeNs: Int64, size: Int?)] = []
        var lastEvent: IsrChange?
        var samplesCaughtUp = true
        for (timeNs, _, entry) in entries {
            let size: Int?
            switch entry {
            case .event(let change):
                lastEvent = change
                samplesCaughtUp = false
                size = change.newIsr.count
            case .sample(let sampled):
                if let event = lastEvent, sampled == event.newIsr.count { samplesCaughtUp = true }
                if !samplesCaughtUp, let event = lastEvent, sampled == event.oldIsr.count { continue }
                size = sampled
            }
            if let last = sizes.last, last.size == size { continue }
            sizes.append((timeNs, size))
        }
        return sizes
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
