import SamsaConfig
import Testing

struct NearestNameTests {
    @Test func editDistanceCountsInsertionsDeletionsAndSubstitutions() {
        #expect(NearestName.editDistance("", "abc") == 3)
        #expect(NearestName.editDistance("crash", "crash") == 0)
        #expect(NearestName.editDistance("crsh", "crash") == 1)
        #expect(NearestName.editDistance("kitten", "sitting") == 3)
    }

    @Test func suggestsTheNearestNameOnlyWhenItLooksLikeATypo() {
        #expect(NearestName.closest(to: "crsh", among: ["crash", "partition", "heal"]) == "crash")
        #expect(NearestName.closest(to: "log.retention.hour", among: brokerPropertyDefinitions.map(\.name)) == "log.retention.hours")
        #expect(NearestName.closest(to: "zzzzzz", among: ["crash", "heal"]) == nil)
        #expect(NearestName.closest(to: "anything", among: []) == nil)
    }
}

struct PropertyValidationTests {
    @Test func brokerPropertiesAreCheckedAgainstTheCatalogue() {
        #expect(BrokerProperties.validate(key: "min.insync.replicas", value: "2") == nil)
        #expect(BrokerProperties.validate(key: "min.insync.replicas", value: "0")?.contains("expected an integer") == true)
        #expect(BrokerProperties.validate(key: "num.io.threads", value: "8") == nil, "ignored Kafka properties are accepted")
        #expect(BrokerProperties.validate(key: "min.insync.replica", value: "2")?.contains("did you mean 'min.insync.replicas'?") == true)
        #expect(BrokerProperties.validate(key: "listeners", value: "127.0.0.1:9092") != nil)
    }

    @Test func topicOverridesUseTheirBrokerPropertysRule() {
        #expect(TopicProperties.validate(name: "retention.ms", value: "-1") == nil)
        #expect(TopicProperties.validate(name: "retention.ms", value: "soon")?.contains("topic config retention.ms=soon is invalid") == true)
        #expect(TopicProperties.validate(name: "cleanup.policy", value: "compact")?.contains("not supported") == true)
        #expect(TopicProperties.validate(name: "retention.m", value: "1")?.contains("did you mean") == true)
    }
}
