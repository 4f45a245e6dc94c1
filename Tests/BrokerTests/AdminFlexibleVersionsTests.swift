import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import Broker

/// The admin APIs at their newest, flexible versions, through the router as the network delivers
/// them: request header v2 in, response header v1 out, and the fields only those versions carry.
@Suite struct AdminFlexibleVersionsTests {
    let directory = NSTemporaryDirectory() + "samsa-admin-flexible-" + UUID().uuidString
    let topicPartition = TopicPartition("orders", 0)

    /// Sends `request` at `version` and decodes the answer with the response header the version implies.
    func exchange<Request: KafkaMessage, Response: KafkaMessage>(_ harness: RouterHarness, _ request: Request, version: Int16,
                                                                   as: Response.Type) async throws -> Response {
        let key = Request.apiKey
        var frame = ByteBufferAllocator().buffer(capacity: 256)
        RequestHeader(apiKey: key.rawValue, apiVersion: version, correlationId: 11, clientId: "test")
            .encode(into: &frame, headerVersion: key.requestHeaderVersion(version))
        request.encode(into: &frame, version: version)
        let sent = frame
        let connection = ConnectionInfo(remote: "127.0.0.1:1", host: "/127.0.0.1")
        // Awaited, not waited for: CreateTopics and DeleteTopics complete on Swift tasks, which a
        // blocked cooperative thread would starve.
        let outcome = try await harness.loop.flatSubmit { harness.router.handle(frame: sent, connection: connection, eventLoop: harness.loop) }.get()
        guard case .respond(var response) = outcome else { throw BrokerConfig.Error(message: "no \(key) response: \(outcome)") }
        let header = try ResponseHeader(from: &response, headerVersion: key.responseHeaderVersion(version))
        #expect(header.correlationId == 11)
        let decoded = try Response(from: &response, version: version)
        #expect(response.readableBytes == 0, "\(key) v\(version) left \(response.readableBytes) bytes")
        return decoded
    }

    @Test func describeLogDirsV4ReportsTheFileSystemsBytes() async throws {
        let harness = try RouterHarness.make(directory: directory, topicPartition: topicPartition)
        defer { harness.group.shutdownGracefully { _ in } }
        let response = try await exchange(harness, DescribeLogDirsRequest(topics: nil), version: 4, as: DescribeLogDirsResponse.self)
        #expect(response.errorCode == 0)
        let result = try #require(response.results.first)
        #expect(result.logDir == directory + "/data")
        #expect(result.totalBytes > 0 && result.usableBytes >= 0 && result.usableBytes <= result.totalBytes, "\(result.totalBytes) \(result.usableBytes)")
        #expect(result.topics.map(\.name) == ["orders"])
    }

    @Test func createTopicsV7AnswersWithTheTopicsShapeAndConfigs() async throws {
        let harness = try RouterHarness.make(directory: directory, topicPartition: topicPartition)
        defer { harness.group.shutdownGracefully { _ in } }
        let request = CreateTopicsRequest(topics: [.init(name: "fresh", numPartitions: 2, replicationFactor: -1,
                                                         configs: [.init(name: "retention.ms", value: "1000")])], timeoutMs: 5000)
        let response = try await exchange(harness, request, version: 7, as: CreateTopicsResponse.self)
        let topic = try #require(response.topics.first)
        #expect(topic.errorCode == 0, "\(topic.errorMessage ?? "")")
        #expect(topic.numPartitions == 2 && topic.replicationFactor == 1)
        let retention = topic.configs?.first { $0.name == "retention.ms" }
        #expect(retention?.value == "1000" && retention?.configSource == 1)
        #expect(topic.topicId == .zero)
        // A failed creation reports no shape.
        let again = try await exchange(harness, request, version: 7, as: CreateTopicsResponse.self)
        #expect(again.topics.first?.errorCode == ErrorCode.topicAlreadyExists.rawValue)
        #expect(again.topics.first?.numPartitions == -1 && again.topics.first?.configs == nil)
    }

    @Test func deleteTopicsV6DeletesByNameAndAnswersAnIdWithUnknownTopicId() async throws {
        let harness = try RouterHarness.make(directory: directory, topicPartition: topicPartition)
        defer { harness.group.shutdownGracefully { _ in } }
        _ = try await exchange(harness, CreateTopicsRequest(topics: [.init(name: "gone", numPartitions: 1, replicationFactor: 1),
                                                                     .init(name: "kept", numPartitions: 1, replicationFactor: 1)], timeoutMs: 5000),
                               version: 5, as: CreateTopicsResponse.self)
        let id = KafkaUuid(high: 0xABCD, low: 1)
        let request = DeleteTopicsRequest(topics: [.init(name: "gone"), .init(name: nil, topicId: id), .init(name: "kept", topicId: id)], timeoutMs: 5000)
        let response = try await exchange(harness, request, version: 6, as: DeleteTopicsResponse.self)
        #expect(response.responses.count == 3)
        #expect(response.responses.first { $0.name == "gone" }?.errorCode == 0)
        let byId = try #require(response.responses.first { $0.name == nil })
        #expect(byId.topicId == id && byId.errorCode == ErrorCode.unknownTopicId.rawValue)
        #expect(byId.errorMessage?.contains("topic id") == true)
        // A name and an id together are refused, and the topic stays.
        #expect(response.responses.first { $0.name == "kept" }?.errorCode == ErrorCode.invalidRequest.rawValue)
        let again = try await exchange(harness, DeleteTopicsRequest(topicNames: ["kept", "gone"], timeoutMs: 5000), version: 4, as: DeleteTopicsResponse.self)
        #expect(again.responses.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
    }
}
