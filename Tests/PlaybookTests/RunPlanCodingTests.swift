import Foundation
import Lab
import Playbook
import Testing

/// `run.json` holds the plan a run was made with; `samsa check` reads it back, including files
/// written by older versions that lacked some producer settings.
struct RunPlanCodingTests {
    @Test func producerRoundTripsThroughOneFlatObject() throws {
        var producer = RunPlan.Producer(topic: "orders")
        producer.instances = 3
        producer.acks = "1"
        producer.compression = "zstd"
        producer.partition = 2
        let data = try JSONEncoder().encode(producer)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["instances"] as? Int == 3)
        #expect(object["acks"] as? String == "1")
        #expect(object["settings"] == nil)
        #expect(try JSONDecoder().decode(RunPlan.Producer.self, from: data) == producer)
    }

    @Test func producerFromAnOlderRunJsonTakesDefaultsForMissingKeys() throws {
        let old = Data(#"{"topic":"orders","acks":"all","idempotence":true,"rate":50}"#.utf8)
        let producer = try JSONDecoder().decode(RunPlan.Producer.self, from: old)
        var expected = RunPlan.Producer(topic: "orders")
        expected.idempotence = true
        expected.rate = 50
        #expect(producer == expected)
        #expect(producer.instances == 1)
        #expect(producer.compression == "none")
        #expect(producer.settings == { var spec = ProducerSpec(topic: "orders"); spec.idempotence = true; spec.rate = 50; return spec }())
    }

    @Test func producerWithoutATopicIsRefused() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(RunPlan.Producer.self, from: Data(#"{"acks":"all"}"#.utf8))
        }
    }
}
