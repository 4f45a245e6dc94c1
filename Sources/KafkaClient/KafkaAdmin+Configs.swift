import KafkaProtocol

extension KafkaAdmin {
    /// One topic config as DescribeConfigs reports it, with Kafka's name for where the value comes from.
    public struct ConfigEntry: Sendable, Equatable, Codable {
        public var name: String
        public var value: String?
        /// DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ...
        public var source: String
    }

    /// Kafka's `ConfigSource` names by code.
    static func configSourceName(_ code: Int8) -> String {
        switch code {
        case 1: return "DYNAMIC_TOPIC_CONFIG"
        case 2: return "DYNAMIC_BROKER_CONFIG"
        case 3: return "DYNAMIC_DEFAULT_BROKER_CONFIG"
        case 4: return "STATIC_BROKER_CONFIG"
        case 5: return "DEFAULT_CONFIG"
        case 6: return "DYNAMIC_BROKER_LOGGER_CONFIG"
        default: return "UNKNOWN"
        }
    }

    /// Every config of `topic` with its effective value and source (kafka-configs --describe --all).
    public func describeTopicConfigs(_ topic: String) async throws -> [ConfigEntry] {
        let connection = try await cluster.anyConnection()
        let request = DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: topic)])
        let response: DescribeConfigsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs)
        guard let result = response.results.first else { throw KafkaClientError.protocolError("DescribeConfigs answered no resource") }
        if result.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: result.errorCode) ?? .unknownServerError, result.errorMessage)
        }
        return result.configs.map { ConfigEntry(name: $0.name, value: $0.value, source: Self.configSourceName($0.configSource)) }
    }

    /// IncrementalAlterConfigs on one topic: sets `set`, removes the overrides in `delete` (kafka-configs
    /// --alter --add-config / --delete-config).
    public func alterTopicConfigs(_ topic: String, set: [String: String], delete: [String], validateOnly: Bool = false) async throws {
        let connection = try await controllerConnection()
        let edits = set.sorted { $0.key < $1.key }.map { IncrementalAlterConfigsRequest.Config(name: $0.key, operation: 0, value: $0.value) }
            + delete.map { IncrementalAlterConfigsRequest.Config(name: $0, operation: 1, value: nil) }
        let request = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: topic, configs: edits)], validateOnly: validateOnly)
        let response: IncrementalAlterConfigsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if let result = response.responses.first, result.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: result.errorCode) ?? .unknownServerError, result.errorMessage)
        }
    }
}
