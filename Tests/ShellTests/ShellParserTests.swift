import Lab
import Testing
@testable import Shell

@Suite struct ShellParserTests {
    typealias P = ShellCommand.Property

    @Test func theIssueSessionParsesLineByLine() throws {
        let session = [
            ("cluster up --brokers 3", ShellCommand.clusterUp(brokers: 3, config: [], directory: nil)),
            ("topics create orders --partitions 3 --replication-factor 3",
             .topicsCreate(name: "orders", partitions: 3, replicationFactor: 3, config: [])),
            ("produce orders --count 500", .produce(ShellCommand.Produce(topic: "orders", count: 500))),
            ("crash leader_of orders/0", .fault(.crash(.leaderOf(topic: "orders", partition: 0)))),
            ("topics describe orders", .topicsDescribe(name: "orders")),
            ("heal", .fault(.heal(faultId: nil))),
            ("check", .check),
            ("exit", .exit(keep: false)),
        ]
        for (line, expected) in session { #expect(try ShellParser.parse(line) == expected, "\(line)") }
    }

    @Test(arguments: [
        ("cluster up", ShellCommand.clusterUp(brokers: nil, config: [], directory: nil)),
        ("cluster up --launcher tansu --brokers 1", .clusterUp(brokers: 1, config: [], directory: nil, launcher: "tansu")),
        ("cluster up --launcher ./my-kafka.yaml", .clusterUp(brokers: nil, config: [], directory: nil, launcher: "./my-kafka.yaml")),
        ("cluster up --brokers 5 --config min.insync.replicas=2 --config unclean.leader.election.enable=true --dir /tmp/lab",
         .clusterUp(brokers: 5, config: [P(key: "min.insync.replicas", value: "2"), P(key: "unclean.leader.election.enable", value: "true")],
                    directory: "/tmp/lab")),
        ("cluster up --base-port 20000", .clusterUp(brokers: nil, config: [], directory: nil, basePort: 20000)),
        ("cluster down", .clusterDown),
        ("cluster status", .clusterStatus),
        ("attach runs/lab", .attach(directory: "runs/lab")),
        ("topics list", .topicsList),
        ("topics create t", .topicsCreate(name: "t", partitions: 1, replicationFactor: 0, config: [])),
        ("topics create t --config retention.ms=-1", .topicsCreate(name: "t", partitions: 1, replicationFactor: 0, config: [P(key: "retention.ms", value: "-1")])),
        ("topics describe", .topicsDescribe(name: nil)),
        ("topics delete t", .topicsDelete(name: "t")),
        ("topics alter t --partitions 6", .topicsAlter(name: "t", partitions: 6)),
        ("topics delete-records t --partition 2 --offset -1", .topicsDeleteRecords(name: "t", partition: 2, offset: -1)),
        ("configs describe t", .configsDescribe(topic: "t")),
        ("configs alter t --set retention.ms=5 --delete-config segment.ms --delete-config flush.ms",
         .configsAlter(topic: "t", set: [P(key: "retention.ms", value: "5")], delete: ["segment.ms", "flush.ms"])),
        ("cluster describe", .clusterDescribe),
        ("cluster log-dirs", .clusterLogDirs(topic: nil)),
        ("topics elect-leaders t --partition 1", .topicsElectLeaders(topic: "t", partition: 1)),
        ("topics elect-leaders", .topicsElectLeaders(topic: nil, partition: nil)),
        ("topics elect-leaders t --election-type unclean", .topicsElectLeaders(topic: "t", partition: nil, type: .unclean)),
        ("topics elect-leaders --election-type PREFERRED", .topicsElectLeaders(topic: nil, partition: nil, type: .preferred)),
        ("produce t", .produce(ShellCommand.Produce(topic: "t"))),
        ("produce t --count 10 --acks 1 --idempotence --rate 50 --keys 4 --partition 2",
         .produce(ShellCommand.Produce(topic: "t", count: 10, acks: "1", idempotence: true, rate: 50, keys: 4, partition: 2))),
        ("produce t --count 1 --acks -1", .produce(ShellCommand.Produce(topic: "t", count: 1, acks: "all"))),
        ("produce t --count 1 --compression lz4", .produce(ShellCommand.Produce(topic: "t", count: 1, compression: "lz4"))),
        ("consume t", .consume(ShellCommand.Consume(topic: "t"))),
        ("consume t --group g --count 3 --timeout 2.5", .consume(ShellCommand.Consume(topic: "t", group: "g", count: 3, timeoutSeconds: 2.5))),
        ("produce t --count 30 --transactional --txn-records 5 --abort-rate 0.25",
         .produce(ShellCommand.Produce(topic: "t", count: 30, idempotence: true, transactional: true, txnRecords: 5, abortRate: 0.25))),
        ("produce t --count 30 --transactional --acks all", .produce(ShellCommand.Produce(topic: "t", count: 30, idempotence: true, transactional: true))),
        ("consume t --isolation-level read_committed", .consume(ShellCommand.Consume(topic: "t", isolation: .readCommitted))),
        ("groups list", .groupsList),
        ("transactions list", .transactionsList),
        ("transactions describe payments-1", .transactionsDescribe(transactionalId: "payments-1")),
        ("groups describe", .groupsDescribe(group: nil)),
        ("groups describe billing", .groupsDescribe(group: "billing")),
        ("watch isr", .watch(.isr, intervalMs: 1000)),
        ("watch lag --interval 0.5", .watch(.lag, intervalMs: 500)),
        ("watch leaders", .watch(.leaders, intervalMs: 1000)),
        ("report", .report(directory: nil)),
        ("report /tmp/out", .report(directory: "/tmp/out")),
        ("run Playbooks/quickstart.yaml", .run(playbook: "Playbooks/quickstart.yaml")),
        ("source 'my session.txt'", .source(file: "my session.txt")),
        ("help", .help(topic: nil)),
        ("help produce", .help(topic: "produce")),
        ("exit --keep", .exit(keep: true)),
        ("partition 1 | 2 3", .fault(.partition([[.broker(1)], [.broker(2), .broker(3)]]))),
        ("partition '1 | 2 3'", .fault(.partition([[.broker(1)], [.broker(2), .broker(3)]]))),
        ("partition \"1 2\" '|' 3", .fault(.partition([[.broker(1), .broker(2)], [.broker(3)]]))),
        ("partition 'leader_of orders/0 -> followers_of orders/0'",
         .fault(.partitionOneWay(from: [.leaderOf(topic: "orders", partition: 0)], to: [.followersOf(topic: "orders", partition: 0)]))),
        ("source my\\ session.txt", .source(file: "my session.txt")),
        ("source \"my \\\"quoted\\\" file\"", .source(file: "my \"quoted\" file")),
        ("source 'it'\\''s'", .source(file: "it's")),
        ("slow 3 --latency 300ms", .fault(.slow(.broker(3), LinkDegradation(latencyMs: 300)))),
        ("isolate-zk leader_of orders/0", .fault(.isolateZookeeper(.leaderOf(topic: "orders", partition: 0)))),
    ])
    func parsesEveryCommand(_ line: String, _ expected: ShellCommand) throws {
        #expect(try ShellParser.parse(line) == expected)
    }

    @Test(arguments: ["", "   ", "# a comment", "  # indented comment"])
    func blankLinesAndCommentsAreNothing(_ line: String) throws {
        #expect(try ShellParser.parse(line) == nil)
    }

    @Test(arguments: [
        ("clusterr up", "unknown command 'clusterr'", 0, "did you mean 'cluster'? (help lists every command)"),
        ("cluster", "cluster needs a subcommand", 7, "up, down, status, describe, log-dirs"),
        ("cluster upp", "unknown subcommand 'cluster upp'", 8, "did you mean 'cluster up'?"),
        ("cluster up --broker 3", "unknown option '--broker' for cluster up", 11, "did you mean --brokers?"),
        ("cluster up --brokers", "--brokers needs a value", 20, nil),
        ("cluster up --brokers 12", "--brokers must be a whole number from 1 to 9, got '12'", 21, nil),
        ("cluster up --base-port 80", "--base-port must be a whole number from 1024 to 65000, got '80'", 23, nil),
        ("cluster up --config minisr", "--config takes KEY=VALUE, got 'minisr'", 20, "e.g. --config min.insync.replicas=2"),
        ("topics create", "topics create needs TOPIC", 13, nil),
        ("topics create bad/name", "invalid topic name 'bad/name'", 14, nil),
        ("topics create t --partitions 0", "--partitions must be a whole number from 1 to 10000, got '0'", 29, nil),
        ("topics describe a b", "unexpected 'b'", 18, nil),
        ("topics alter t", "topics alter needs --partitions N", 13, "usage: topics alter TOPIC [--partitions N]"),
        ("configs alter t", "nothing to change", 14, "--set KEY=VALUE or --delete-config KEY"),
        ("produce t --acks 2", "--acks must be 0, 1 or all, got '2'", 17, nil),
        ("topics elect-leaders --election-type fast", "--election-type must be preferred or unclean, got 'fast'", 37, nil),
        ("produce t --count 5 --count 6", "--count given twice", 20, nil),
        ("produce t --compression brotli", "--compression must be one of none, gzip, snappy, lz4, zstd, got 'brotli'", 24, nil),
        ("produce t --rate fast", "--rate must be a number of at least 0.0, got 'fast'", 17, nil),
        ("produce t --count 5 --abort-rate 0.5", "--abort-rate needs --transactional", 33, nil),
        ("produce t --count 5 --transactional --acks 1", "--transactional needs --acks all, got '1'", 43, nil),
        ("produce t --transactional", "--transactional needs --count (typed lines are not sent in transactions)", 10, nil),
        ("produce t --count 5 --transactional --abort-rate 2", "--abort-rate must be between 0 and 1, got 2.0", 49, nil),
        ("consume t --isolation-level committed", "--isolation-level must be read_committed or read_uncommitted, got 'committed'", 28, nil),
        ("watch disk", "cannot watch 'disk'", 6, "watch isr, watch lag or watch leaders"),
        ("exit now", "unexpected 'now'", 5, nil),
        ("crash", "crash needs a target", 5, nil),
        ("check 'unterminated", "unterminated quote", 6, nil),
        ("source file\\", "a backslash ends the line", 11, nil),
    ] as [(String, String, Int, String?)])
    func badInputNamesTheProblemAndWhere(_ line: String, _ message: String, _ offset: Int, _ hint: String?) {
        do {
            let parsed = try ShellParser.parse(line)
            Issue.record("\(line) parsed as \(String(describing: parsed))")
        } catch let error as CommandParseError {
            #expect(error.message == message)
            #expect(error.offset == offset)
            if let hint { #expect(error.hint == hint) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func everyCommandHasUsageAndAnExampleThatParses() throws {
        for spec in ShellCommands.all {
            #expect(!spec.summary.isEmpty)
            #expect(!spec.examples.isEmpty, "\(spec.name)")
            for example in spec.examples { #expect(try ShellParser.parse(example) != nil, "\(example)") }
        }
        for fault in ShellCommands.faults { #expect(try ShellParser.parse(fault.example) != nil, "\(fault.example)") }
        #expect(Set(ShellCommands.faults.map(\.name)) == Set(FaultParser.faultNames))
    }
}
