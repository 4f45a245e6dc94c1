import Lab
import Testing
@testable import Shell

@Suite struct ShellCompletionTests {
    let state = CompletionState(topics: ["orders": 2, "audit": 1], brokers: [1, 2, 3], groups: ["billing"], faultIds: ["4"],
                                playbooks: ["Playbooks/quickstart.yaml"], files: ["session.txt"], directories: ["runs/shell-1"])

    func complete(_ line: String) -> [String] { ShellCompletion.candidates(line, state: state) }

    @Test func firstWordsAreCommandsAndFaults() {
        let all = complete("")
        for word in ["cluster", "topics", "produce", "consume", "groups", "watch", "check", "report", "run", "source", "help", "exit",
                     "attach", "crash", "partition", "isolate-zk", "slow", "heal"] {
            #expect(all.contains(word), "\(word)")
        }
        #expect(complete("c") == ["check", "cluster", "configs", "consume", "crash"])
        #expect(complete("iso") == ["isolate", "isolate-zk"])
    }

    @Test func subcommandsAndOptions() {
        #expect(complete("cluster ") == ["describe", "down", "log-dirs", "status", "up"])
        #expect(complete("topics c") == ["create"])
        #expect(complete("topics delete") == ["delete", "delete-records"])
        #expect(complete("topics e") == ["elect-leaders"])
        #expect(complete("configs ") == ["alter", "describe"])
        #expect(complete("cluster up --") == ["--base-port", "--brokers", "--config", "--dir", "--launcher", "--track-durability"])
        #expect(complete("topics create orders2 --p") == ["--partitions"])
        #expect(complete("produce orders --count 5 --") == ["--abort-rate", "--acks", "--compression", "--idempotence", "--keys", "--partition", "--rate",
                                                              "--transactional", "--txn-records"])
        #expect(complete("consume orders --isolation-level read_c") == ["read_committed"])
        #expect(complete("produce orders --compression z") == ["zstd"])
        #expect(complete("produce orders --acks ") == ["0", "1", "all"])
        #expect(complete("exit ") == ["--keep"])
        #expect(complete("check ") == [])
    }

    @Test func liveNames() {
        #expect(complete("produce ") == ["audit", "orders"])
        #expect(complete("topics describe o") == ["orders"])
        #expect(complete("groups describe ") == ["billing"])
        #expect(complete("consume orders --group ") == ["billing"])
        #expect(complete("watch ") == ["isr", "lag", "leaders"])
        #expect(complete("run ") == ["Playbooks/quickstart.yaml"])
        // Launchers: the built-in names and YAML files here, not the playbooks.
        #expect(complete("cluster up --launcher ") == ["samsa", "tansu"])
        #expect(complete("cluster up --launcher t") == ["tansu"])
        #expect(complete("source ") == ["session.txt"])
        #expect(complete("attach ") == ["runs/shell-1"])
        #expect(complete("help pro") == ["produce"])
    }

    @Test func faultTargets() {
        #expect(complete("crash ") == ["1", "2", "3", "all", "controller", "coordinator_of", "followers_of", "in_sync_follower_of", "leader_of", "random",
                                          "txn_coordinator_of"])
        #expect(complete("crash leader_of ") == ["audit/0", "orders/0", "orders/1"])
        #expect(complete("isolate-zk leader_of or") == ["orders/0", "orders/1"])
        #expect(complete("pause coordinator_of ") == ["billing"])
        #expect(complete("crash 2 ") == [])
        #expect(complete("partition 1 ").contains("|"))
        #expect(complete("partition 1 ").contains("->"))
        #expect(complete("partition ").contains("zk"))
        #expect(complete("slow 3 ") == ["--bandwidth", "--jitter", "--latency"])
        #expect(complete("slow 3 --latency ") == ["100ms", "1s", "300ms", "50ms"])
        #expect(complete("lossy 2 ") == ["--reset-probability"])
        #expect(complete("heal ") == ["4", "network"])
        #expect(complete("power-loss ").contains("all"))
    }

    @Test func awaitCompletesTheConditionGrammar() {
        #expect(complete("await ") == ["isr", "lag", "leader", "under_min_isr"])
        #expect(complete("await isr ") == ["audit/0", "orders/0", "orders/1"])
        #expect(complete("await isr orders/0 ") == ["!=", "<", "<=", "==", ">", ">="])
        #expect(complete("await lag ") == ["followers_of"])
        #expect(complete("await lag followers_of ") == ["audit/0", "orders/0", "orders/1"])
        #expect(complete("await leader orders/0 ") == ["!=", "=="])
        #expect(complete("await leader orders/0 == ") == ["1", "2", "3", "none"])
        #expect(complete("await isr orders/0 == 1 ") == ["--timeout"])
        #expect(complete("await isr orders/0 == 1 --timeout ") == ["10s", "30s", "5s"])
    }

    @Test func partialAndMalformedInputNeverFails() {
        #expect(complete("nonsense ") == [])
        #expect(complete("topics nonsense ") == [])
        #expect(complete("'unterminated") == [])
        #expect(complete("produce orders --count") == ["--count"])
    }
}
