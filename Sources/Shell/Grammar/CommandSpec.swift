import Lab

/// What a word of a command stands for: drives parsing, completion and help alike.
public enum WordKind: Equatable, Sendable {
    case topic, newTopic, group, transactionalId, directory, playbook, file, watchKind, helpTopic
    case integer, number, acks, codec, electionType, replicaList, property, isolation, launcher, none
}

public struct OptionSpec: Equatable, Sendable {
    public var name: String
    /// `.none` for a flag.
    public var value: WordKind
    public var help: String
}

public struct PositionalSpec: Equatable, Sendable {
    public var name: String
    public var kind: WordKind
    public var optional = false
}

/// One command of the shell: its words (`topics create`), arguments, options, help and examples.
public struct CommandSpec: Equatable, Sendable {
    public var path: [String]
    public var positionals: [PositionalSpec]
    public var options: [OptionSpec]
    public var summary: String
    public var examples: [String]

    public var name: String { path.joined(separator: " ") }

    public var usage: String {
        var words = path
        for p in positionals { words.append(p.optional ? "[\(p.name)]" : p.name) }
        for o in options { words.append(o.value == .none ? "[\(o.name)]" : "[\(o.name) \(o.value.placeholder)]") }
        return words.joined(separator: " ")
    }
}

extension WordKind {
    var placeholder: String {
        switch self {
        case .integer: return "N"
        case .number: return "X"
        case .acks: return "0|1|all"
        case .codec: return "none|gzip|snappy|lz4|zstd"
        case .electionType: return "preferred|unclean"
        case .isolation: return "read_committed|read_uncommitted"
        case .launcher: return "NAME|FILE"
        case .replicaList: return "ID,ID,..."
        case .property: return "KEY=VALUE"
        case .directory: return "DIR"
        case .topic, .newTopic: return "TOPIC"
        case .group: return "GROUP"
        default: return "VALUE"
        }
    }
}

/// Every command the shell knows, faults aside (they follow `FaultParser`'s grammar).
public enum ShellCommands {
    static func option(_ name: String, _ value: WordKind, _ help: String) -> OptionSpec { OptionSpec(name: name, value: value, help: help) }
    static func flag(_ name: String, _ help: String) -> OptionSpec { OptionSpec(name: name, value: .none, help: help) }

    public static let all: [CommandSpec] = [
        CommandSpec(path: ["cluster", "up"], positionals: [],
                    options: [option("--brokers", .integer, "number of brokers (1-9; default 3, or the launcher's maximum when lower)"),
                              option("--config", .property, "a broker property, repeatable"),
                              option("--dir", .directory, "the lab directory (default runs/shell-<time>)"),
                              option("--base-port", .integer, "client port of broker 1; broker i gets base-port + i - 1 (default: a free range)"),
                              flag("--track-durability", "preload the durability tracker so that power-loss works"),
                              option("--launcher", .launcher, "how the brokers are launched: samsa (default), tansu, or a launcher spec file (as samsa cluster up --launcher)")],
                    summary: "Start ZooKeeper and the brokers behind the lab's proxies.",
                    examples: ["cluster up --brokers 3", "cluster up --config min.insync.replicas=2", "cluster up --track-durability",
                               "cluster up --launcher tansu"]),
        CommandSpec(path: ["cluster", "down"], positionals: [], options: [],
                    summary: "Stop the lab this shell started (or ask an attached one to stop).", examples: ["cluster down"]),
        CommandSpec(path: ["cluster", "status"], positionals: [], options: [],
                    summary: "Processes, active faults and cut links.", examples: ["cluster status"]),
        CommandSpec(path: ["cluster", "describe"], positionals: [], options: [],
                    summary: "Cluster id, controller and brokers (DescribeCluster).", examples: ["cluster describe"]),
        CommandSpec(path: ["cluster", "log-dirs"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic, optional: true)], options: [],
                    summary: "Each broker's replicas with their log size (DescribeLogDirs).", examples: ["cluster log-dirs orders"]),
        CommandSpec(path: ["attach"], positionals: [PositionalSpec(name: "DIR", kind: .directory)], options: [],
                    summary: "Drive a lab started elsewhere (samsa cluster up --dir DIR) through its control socket.",
                    examples: ["attach runs/lab"]),
        CommandSpec(path: ["topics", "list"], positionals: [], options: [], summary: "Topic names.", examples: ["topics list"]),
        CommandSpec(path: ["topics", "create"], positionals: [PositionalSpec(name: "TOPIC", kind: .newTopic)],
                    options: [option("--partitions", .integer, "default 1"), option("--replication-factor", .integer, "default min(3, brokers)"),
                              option("--config", .property, "a topic property, repeatable")],
                    summary: "Create a topic.", examples: ["topics create orders --partitions 3 --replication-factor 3",
                                                           "topics create audit --config min.insync.replicas=2"]),
        CommandSpec(path: ["topics", "describe"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic, optional: true)], options: [],
                    summary: "Leader, epoch, replicas, ISR and high watermark of every partition.", examples: ["topics describe orders"]),
        CommandSpec(path: ["topics", "delete"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)], options: [],
                    summary: "Delete a topic.", examples: ["topics delete orders"]),
        CommandSpec(path: ["topics", "alter"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)],
                    options: [option("--partitions", .integer, "the new total, above the current count")],
                    summary: "Add partitions to a topic (CreatePartitions, as kafka-topics --alter).", examples: ["topics alter orders --partitions 6"]),
        CommandSpec(path: ["topics", "delete-records"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)],
                    options: [option("--partition", .integer, "the partition"), option("--offset", .integer, "records below it go; -1: the high watermark")],
                    summary: "Move a partition's log start up (DeleteRecords, as kafka-delete-records).",
                    examples: ["topics delete-records orders --partition 0 --offset 100"]),
        CommandSpec(path: ["topics", "elect-leaders"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic, optional: true)],
                    options: [option("--partition", .integer, "only this partition"),
                              option("--election-type", .electionType, "preferred (default): back to the first replica; unclean: any live replica where no leader lives")],
                    summary: "Elect partition leaders (ElectLeaders, as kafka-leader-election).",
                    examples: ["topics elect-leaders", "topics elect-leaders orders --partition 0", "topics elect-leaders orders --election-type unclean"]),
        CommandSpec(path: ["topics", "reassign"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)],
                    options: [option("--partition", .integer, "the partition"),
                              option("--replicas", .replicaList, "the new replicas, the first preferred"),
                              flag("--cancel", "cancel the partition's move instead")],
                    summary: "Move a partition to new replicas (AlterPartitionReassignments, as kafka-reassign-partitions).",
                    examples: ["topics reassign orders --partition 0 --replicas 2,3,1", "topics reassign orders --partition 0 --cancel"]),
        CommandSpec(path: ["topics", "reassignments"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic, optional: true)], options: [],
                    summary: "The partition moves in progress (ListPartitionReassignments, as kafka-reassign-partitions --list).",
                    examples: ["topics reassignments", "topics reassignments orders"]),
        CommandSpec(path: ["configs", "describe"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)], options: [],
                    summary: "A topic's configs: value and source (as kafka-configs --describe).", examples: ["configs describe orders"]),
        CommandSpec(path: ["configs", "alter"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)],
                    options: [option("--set", .property, "KEY=VALUE to set, repeatable"), option("--delete-config", .property, "KEY whose override to remove, repeatable")],
                    summary: "Set or remove topic overrides (IncrementalAlterConfigs, as kafka-configs --alter).",
                    examples: ["configs alter orders --set retention.ms=3600000", "configs alter orders --delete-config max.message.bytes"]),
        CommandSpec(path: ["produce"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)],
                    options: [option("--count", .integer, "generate N records; without it, type lines and end with a lone '.'"),
                              option("--acks", .acks, "0, 1 or all (default all)"), flag("--idempotence", "enable.idempotence=true"),
                              option("--rate", .number, "records per second (default as fast as acknowledged)"),
                              option("--keys", .integer, "spread records over N keys"), option("--partition", .integer, "one partition"),
                              option("--compression", .codec, "the producer's compression.type (default none)"),
                              flag("--transactional", "a transactional producer (transactional.id shell-producer-N, acks=all, idempotent)"),
                              option("--txn-records", .integer, "records per transaction (default 10; with --transactional)"),
                              option("--abort-rate", .number, "fraction 0-1 of the transactions aborted on purpose (with --transactional)")],
                    summary: "Produce with a real confluent-kafka producer; every send (and every transaction's end) is recorded for `check`.",
                    examples: ["produce orders --count 500", "produce orders --count 1000 --acks 1 --rate 200", "produce orders --count 200 --compression zstd",
                               "produce orders --count 300 --transactional --abort-rate 0.3", "produce orders"]),
        CommandSpec(path: ["consume"], positionals: [PositionalSpec(name: "TOPIC", kind: .topic)],
                    options: [option("--group", .group, "consume as a member of GROUP (offsets committed)"),
                              option("--count", .integer, "stop after N records"), option("--timeout", .number, "stop after X seconds"),
                              option("--isolation-level", .isolation, "read_committed: only committed transactions' records (default read_uncommitted)")],
                    summary: "Tail a topic from the beginning until Ctrl-C (or --count, --timeout); recorded for `check`.",
                    examples: ["consume orders --count 10", "consume orders --group billing"]),
        CommandSpec(path: ["groups", "list"], positionals: [], options: [], summary: "Consumer groups.", examples: ["groups list"]),
        CommandSpec(path: ["groups", "describe"], positionals: [PositionalSpec(name: "GROUP", kind: .group, optional: true)], options: [],
                    summary: "Committed offsets, log end offsets and lag per partition.", examples: ["groups describe billing"]),
        CommandSpec(path: ["transactions", "list"], positionals: [], options: [],
                    summary: "Transactional ids at every broker's coordinator (as kafka-transactions list).", examples: ["transactions list"]),
        CommandSpec(path: ["transactions", "describe"], positionals: [PositionalSpec(name: "TRANSACTIONAL-ID", kind: .transactionalId)], options: [],
                    summary: "One transactional id: producer, state, timeout, start and partitions (as kafka-transactions describe).",
                    examples: ["transactions describe payments-1"]),
        CommandSpec(path: ["watch"], positionals: [PositionalSpec(name: "isr|lag|leaders", kind: .watchKind)],
                    options: [option("--interval", .number, "seconds between refreshes (default 1)")],
                    summary: "A table refreshed in place until a key or Ctrl-C.", examples: ["watch isr", "watch lag --interval 0.5"]),
        CommandSpec(path: ["check"], positionals: [], options: [],
                    summary: "Read every partition back and run the checkers on everything this session produced and consumed.",
                    examples: ["check"]),
        CommandSpec(path: ["report"], positionals: [PositionalSpec(name: "DIR", kind: .directory, optional: true)], options: [],
                    summary: "Write report.json, report.md, report.html and junit.xml of the last check (default: the lab directory).",
                    examples: ["report", "report /tmp/out"]),
        CommandSpec(path: ["run"], positionals: [PositionalSpec(name: "PLAYBOOK", kind: .playbook)], options: [],
                    summary: "Run a playbook on its own cluster (as samsa run) and print its verdict.", examples: ["run Playbooks/quickstart.yaml"]),
        CommandSpec(path: ["source"], positionals: [PositionalSpec(name: "FILE", kind: .file)], options: [],
                    summary: "Run the commands of FILE, one per line (# comments).", examples: ["source session.txt"]),
        CommandSpec(path: ["help"], positionals: [PositionalSpec(name: "COMMAND", kind: .helpTopic, optional: true)], options: [],
                    summary: "Commands, or one command with its examples.", examples: ["help", "help produce", "help partition"]),
        CommandSpec(path: ["exit"], positionals: [], options: [flag("--keep", "leave the cluster running and print how to attach")],
                    summary: "Leave the shell, stopping the cluster it started.", examples: ["exit", "exit --keep"]),
    ]

    /// The fault commands' help, in the shared grammar.
    public static let faults: [(name: String, usage: String, summary: String, example: String)] = [
        ("crash", "crash TARGET", "SIGKILL the broker(s); heal restarts them", "crash leader_of orders/0"),
        ("stop", "stop TARGET", "SIGTERM: a controlled shutdown", "stop 2"),
        ("restart", "restart TARGET", "start a crashed or stopped broker again", "restart 2"),
        ("pause", "pause TARGET", "SIGSTOP (a long GC pause)", "pause controller"),
        ("resume", "resume TARGET", "SIGCONT", "resume controller"),
        ("partition", "partition GROUP | GROUP [| GROUP]  or  partition A -> B", "cut links between groups (or one direction)",
         "partition 1 | 2 3"),
        ("isolate", "isolate TARGET", "cut the broker from every peer, ZooKeeper and the clients", "isolate leader_of orders/0"),
        ("isolate-zk", "isolate-zk TARGET", "cut the broker from ZooKeeper only", "isolate-zk leader_of orders/0"),
        ("slow", "slow TARGET|FROM -> TO --latency D [--jitter D] [--bandwidth B]", "delay or throttle the broker's links, or one stream", "slow 2 -> 1 --latency 300ms"),
        ("lossy", "lossy TARGET|FROM -> TO --reset-probability P", "reset connections at random", "lossy 2 --reset-probability 0.1"),
        ("limit-data", "limit-data TARGET|FROM -> TO --bytes N", "close each connection once N bytes have passed one way (Toxiproxy limit_data)",
         "limit-data clients -> 3 --bytes 4kb"),
        ("slice", "slice TARGET|FROM -> TO --average-size B [--size-variation V] [--delay D]",
         "send the bytes in small pieces with a delay between them (Toxiproxy slicer)", "slice 2 -> 1 --average-size 64 --delay 5ms"),
        ("timeout", "timeout TARGET|FROM -> TO [--after D]", "stop every byte, close connections after D (0: silent until healed)",
         "timeout clients -> 3 --after 5s"),
        ("power-loss", "power-loss TARGET", "SIGKILL, then drop what was never fsynced (cluster up --track-durability); heal restarts",
         "power-loss all"),
        ("heal", "heal [FAULT-ID | network]", "end every fault (or one, or the network ones): links restored, crashed brokers restarted",
         "heal"),
        ("await", "await CONDITION [--timeout D]",
         "wait until isr T/P OP N, under_min_isr T/P, lag followers_of T/P OP N or leader T/P ==|!= N|none holds (default 10s)",
         "await isr orders/0 == 1 --timeout 15s"),
        ("elect-leaders", "elect-leaders T/P [--type preferred|unclean]",
         "one ElectLeaders request for the partition; the answer (NONE, ELECTION_NOT_NEEDED…) is the outcome", "elect-leaders orders/0 --type unclean"),
        ("reassign", "reassign T/P --replicas 2,3,1 | --cancel", "one AlterPartitionReassignments request: move the partition, or cancel its move",
         "reassign orders/0 --replicas 3,1"),
    ]

    /// First words: command groups, single commands and faults.
    public static var firstWords: [String] {
        var words: [String] = []
        for spec in all where !words.contains(spec.path[0]) { words.append(spec.path[0]) }
        return words + FaultParser.faultNames
    }

    public static func specs(startingWith word: String) -> [CommandSpec] { all.filter { $0.path[0] == word } }
}
