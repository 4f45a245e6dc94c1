import KafkaProtocol
import Testing
@testable import Broker

/// AlterConfigs and IncrementalAlterConfigs on a topic's overrides: what each leaves, and Kafka's
/// errors for what cannot be applied.
@Suite struct TopicConfigChangeTests {
    let current = ["retention.ms": "60000", "min.insync.replicas": "2"]

    func apply(_ change: TopicConfigChange, replicationFactor: Int = 3) -> Result<[String: String], TopicOperationFailure> {
        change.apply(to: current, topic: "orders", replicationFactor: replicationFactor)
    }

    func failure(_ result: Result<[String: String], TopicOperationFailure>) -> TopicOperationResult? {
        if case .failure(let failure) = result { return failure.result }
        return nil
    }

    @Test func replaceDropsTheOverridesItLeavesOut() throws {
        #expect(try apply(.replace(["segment.ms": "1000"])).get() == ["segment.ms": "1000"])
    }

    @Test func incrementalSetAndDeleteKeepTheOtherOverrides() throws {
        let updated = try apply(.incremental([.init(name: "segment.ms", operation: 0, value: "1000"),
                                              .init(name: "retention.ms", operation: 1, value: nil)])).get()
        #expect(updated == ["segment.ms": "1000", "min.insync.replicas": "2"])
    }

    @Test func unknownKeysAndBadValuesAreInvalidConfigWithAMessage() {
        let unknown = failure(apply(.incremental([.init(name: "retention.msx", operation: 0, value: "1")])))
        #expect(unknown?.errorCode == .invalidConfig && unknown?.message?.contains("unknown topic config 'retention.msx'") == true)
        #expect(unknown?.message?.contains("did you mean 'retention.ms'") == true)
        let bad = failure(apply(.replace(["retention.ms": "soon"])))
        #expect(bad?.errorCode == .invalidConfig && bad?.message?.contains("retention.ms=soon") == true)
        let tooHigh = failure(apply(.incremental([.init(name: "min.insync.replicas", operation: 0, value: "4")])))
        #expect(tooHigh?.errorCode == .invalidConfig)
    }

    @Test func appendAndSubtractApplyOnlyToListConfigs() throws {
        let appended = try apply(.incremental([.init(name: "cleanup.policy", operation: 2, value: "delete")])).get()
        #expect(appended["cleanup.policy"] == "delete")
        let refused = failure(apply(.incremental([.init(name: "retention.ms", operation: 2, value: "1")])))
        #expect(refused?.errorCode == .invalidConfig && refused?.message?.contains("APPEND") == true)
    }

    @Test func malformedEditsAreInvalidRequests() {
        #expect(failure(apply(.incremental([.init(name: "retention.ms", operation: 7, value: "1")])))?.errorCode == .invalidRequest)
        #expect(failure(apply(.incremental([.init(name: "retention.ms", operation: 0, value: nil)])))?.errorCode == .invalidRequest)
        let twice = TopicConfigChange.incremental([.init(name: "segment.ms", operation: 0, value: "1"), .init(name: "segment.ms", operation: 1, value: nil)])
        #expect(failure(apply(twice))?.errorCode == .invalidRequest)
    }
}
