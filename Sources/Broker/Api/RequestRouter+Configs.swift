import KafkaProtocol
import NIOCore
import SamsaConfig

extension RequestRouter {
    /// Kafka's ConfigSource values.
    enum ConfigSource: Int8 {
        case dynamicTopic = 1, staticBroker = 4, defaultConfig = 5
    }

    /// Kafka's ConfigResource types.
    enum ResourceType: Int8 {
        case topic = 2, broker = 4
    }

    /// DescribeConfigs for topics (their overrides over the broker's values) and for this broker
    /// (every property it knows, with where its value came from).
    func handleDescribeConfigs(_ request: DescribeConfigsRequest, _ context: RequestContext) -> any KafkaMessage {
        let version = context.version
        let results = request.resources.map { resource -> DescribeConfigsResponse.Result in
            var result = DescribeConfigsResponse.Result(errorCode: 0, errorMessage: nil, resourceType: resource.resourceType,
                                                        resourceName: resource.resourceName, configs: [])
            switch ResourceType(rawValue: resource.resourceType) {
            case .topic:
                let cluster = broker.metadata.snapshot
                guard cluster.hasTopic(resource.resourceName) else {
                    result.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.errorMessage = "topic '\(resource.resourceName)' does not exist"
                    return result
                }
                let overrides = cluster.topicConfigs[resource.resourceName] ?? [:]
                result.configs = TopicProperties.brokerSynonyms.keys.sorted().map { name in
                    topicEntry(name, overrides: overrides, includeSynonyms: request.includeSynonyms, version: version)
                }
            case .broker:
                guard resource.resourceName.isEmpty || Int32(resource.resourceName) == broker.config.brokerId else {
                    result.errorCode = ErrorCode.invalidRequest.rawValue
                    result.errorMessage = "this is broker \(broker.config.brokerId), not \(resource.resourceName)"
                    return result
                }
                result.configs = brokerPropertyDefinitions.compactMap { definition in
                    guard let value = broker.config.values[definition.name] else { return nil }
                    let explicit = broker.config.explicitKeys.contains(definition.name)
                    return DescribeConfigsResponse.Config(
                        name: definition.name, value: value, readOnly: true, isDefault: !explicit,
                        configSource: (explicit ? ConfigSource.staticBroker : .defaultConfig).rawValue,
                        isSensitive: false, synonyms: [], configType: 0, documentation: version >= 3 ? definition.doc : nil)
                }
            case nil:
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage = "resource type \(resource.resourceType) is not supported"
            }
            if let keys = resource.configurationKeys {
                result.configs = result.configs.filter { keys.contains($0.name) }
            }
            return result
        }
        return DescribeConfigsResponse(results: results)
    }

    /// A new topic's configs for CreateTopics v5+: every topic property, its value from the request's
    /// overrides or else the broker's, with its source.
    func createdTopicConfigs(_ overrides: [String: String]) -> [CreateTopicsResponse.Config] {
        TopicProperties.brokerSynonyms.keys.sorted().map { name in
            let entry = topicEntry(name, overrides: overrides, includeSynonyms: false, version: 1)
            return CreateTopicsResponse.Config(name: entry.name, value: entry.value, readOnly: entry.readOnly,
                                               configSource: entry.configSource, isSensitive: entry.isSensitive)
        }
    }

    private func topicEntry(_ name: String, overrides: [String: String], includeSynonyms: Bool, version: Int16) -> DescribeConfigsResponse.Config {
        let brokerName = TopicProperties.brokerSynonyms[name]!
        let definition = brokerPropertyDefinitions.first { $0.name == brokerName }!
        let brokerValue = brokerValueForTopic(name)
        let explicitBroker = broker.config.explicitKeys.contains(brokerName)
        var synonyms: [DescribeConfigsResponse.Synonym] = []
        if includeSynonyms {
            if let value = overrides[name] { synonyms.append(.init(name: name, value: value, source: ConfigSource.dynamicTopic.rawValue)) }
            synonyms.append(.init(name: brokerName, value: brokerValue, source: (explicitBroker ? ConfigSource.staticBroker : .defaultConfig).rawValue))
        }
        let source: ConfigSource = overrides[name] != nil ? .dynamicTopic : (explicitBroker ? .staticBroker : .defaultConfig)
        return DescribeConfigsResponse.Config(
            name: name, value: overrides[name] ?? brokerValue, readOnly: false, isDefault: source == .defaultConfig,
            configSource: source.rawValue, isSensitive: false, synonyms: synonyms, configType: 0,
            documentation: version >= 3 ? definition.doc : nil)
    }

    /// The broker-level value a topic inherits, after Kafka's precedence rules (e.g. retention hours → ms).
    private func brokerValueForTopic(_ topicName: String) -> String? {
        let config = broker.config
        switch topicName {
        case "retention.ms": return String(config.retentionMs)
        case "segment.ms": return String(config.segmentMs)
        default: return TopicProperties.brokerSynonyms[topicName].flatMap { config.values[$0] }
        }
    }
}
