import NIOCore

/// DescribeConfigs (key 32), v0–4 (v4 is flexible). Resource types: 2 topic, 4 broker.
public struct DescribeConfigsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeConfigs

    public struct Resource: Sendable, Equatable {
        public var resourceType: Int8
        public var resourceName: String
        /// Nil asks for every config.
        public var configurationKeys: [String]?
        public init(resourceType: Int8, resourceName: String, configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }
    }

    public var resources: [Resource]
    public var includeSynonyms: Bool
    public var includeDocumentation: Bool

    public init(resources: [Resource], includeSynonyms: Bool = false, includeDocumentation: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
        self.includeDocumentation = includeDocumentation
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        resources = try buffer.readKafkaArray("resources", compact: flexible) { buffer in
            let resource = Resource(resourceType: try buffer.readInt8("resource_type"),
                                    resourceName: try buffer.readKafkaString("resource_name", compact: flexible),
                                    configurationKeys: try buffer.readNullableKafkaArray("configuration_keys", compact: flexible) {
                                        try $0.readKafkaString("key", compact: flexible)
                                    })
            try buffer.skipTaggedFields(if: flexible)
            return resource
        }
        includeSynonyms = version >= 1 ? try buffer.readBool("include_synonyms") : false
        includeDocumentation = version >= 3 ? try buffer.readBool("include_documentation") : false
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeKafkaArray(resources, compact: flexible) { buffer, resource in
            buffer.writeInt8(resource.resourceType)
            buffer.writeKafkaString(resource.resourceName, compact: flexible)
            buffer.writeNullableKafkaArray(resource.configurationKeys, compact: flexible) { $0.writeKafkaString($1, compact: flexible) }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        if version >= 1 { buffer.writeBool(includeSynonyms) }
        if version >= 3 { buffer.writeBool(includeDocumentation) }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct DescribeConfigsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeConfigs

    public struct Synonym: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var source: Int8
        public init(name: String, value: String?, source: Int8) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    public struct Config: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var readOnly: Bool
        /// v0 only; v1+ reports `configSource` instead.
        public var isDefault: Bool
        public var configSource: Int8
        public var isSensitive: Bool
        public var synonyms: [Synonym]
        public var configType: Int8
        public var documentation: String?
        public init(name: String, value: String?, readOnly: Bool, isDefault: Bool, configSource: Int8, isSensitive: Bool,
                    synonyms: [Synonym] = [], configType: Int8 = 0, documentation: String? = nil) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.isDefault = isDefault
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.configType = configType
            self.documentation = documentation
        }
    }

    public struct Result: Sendable, Equatable {
        public var errorCode: Int16
        public var errorMessage: String?
        public var resourceType: Int8
        public var resourceName: String
        public var configs: [Config]
        public init(errorCode: Int16, errorMessage: String?, resourceType: Int8, resourceName: String, configs: [Config]) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        results = try buffer.readKafkaArray("results", compact: flexible) { buffer in
            let errorCode = try buffer.readInt16("error_code")
            let errorMessage = try buffer.readNullableKafkaString("error_message", compact: flexible)
            let resourceType = try buffer.readInt8("resource_type")
            let resourceName = try buffer.readKafkaString("resource_name", compact: flexible)
            let configs = try buffer.readKafkaArray("configs", compact: flexible) { buffer in
                let name = try buffer.readKafkaString("name", compact: flexible)
                let value = try buffer.readNullableKafkaString("value", compact: flexible)
                let readOnly = try buffer.readBool("read_only")
                let isDefault = version == 0 ? try buffer.readBool("is_default") : false
                let source = version >= 1 ? try buffer.readInt8("config_source") : -1
                let sensitive = try buffer.readBool("is_sensitive")
                let synonyms: [Synonym] = version >= 1 ? try buffer.readKafkaArray("synonyms", compact: flexible) { buffer -> Synonym in
                    let synonym = Synonym(name: try buffer.readKafkaString("synonym.name", compact: flexible),
                                          value: try buffer.readNullableKafkaString("synonym.value", compact: flexible),
                                          source: try buffer.readInt8("synonym.source"))
                    try buffer.skipTaggedFields(if: flexible)
                    return synonym
                } : []
                let type = version >= 3 ? try buffer.readInt8("config_type") : 0
                let documentation = version >= 3 ? try buffer.readNullableKafkaString("documentation", compact: flexible) : nil
                try buffer.skipTaggedFields(if: flexible)
                return Config(name: name, value: value, readOnly: readOnly, isDefault: isDefault, configSource: source,
                              isSensitive: sensitive, synonyms: synonyms, configType: type, documentation: documentation)
            }
            try buffer.skipTaggedFields(if: flexible)
            return Result(errorCode: errorCode, errorMessage: errorMessage, resourceType: resourceType, resourceName: resourceName, configs: configs)
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(results, compact: flexible) { buffer, result in
            buffer.writeInt16(result.errorCode)
            buffer.writeNullableKafkaString(result.errorMessage, compact: flexible)
            buffer.writeInt8(result.resourceType)
            buffer.writeKafkaString(result.resourceName, compact: flexible)
            buffer.writeKafkaArray(result.configs, compact: flexible) { buffer, config in
                buffer.writeKafkaString(config.name, compact: flexible)
                buffer.writeNullableKafkaString(config.value, compact: flexible)
                buffer.writeBool(config.readOnly)
                if version == 0 { buffer.writeBool(config.isDefault) }
                if version >= 1 { buffer.writeInt8(config.configSource) }
                buffer.writeBool(config.isSensitive)
                if version >= 1 {
                    buffer.writeKafkaArray(config.synonyms, compact: flexible) { buffer, synonym in
                        buffer.writeKafkaString(synonym.name, compact: flexible)
                        buffer.writeNullableKafkaString(synonym.value, compact: flexible)
                        buffer.writeInt8(synonym.source)
                        buffer.writeEmptyTaggedFields(if: flexible)
                    }
                }
                if version >= 3 {
                    buffer.writeInt8(config.configType)
                    buffer.writeNullableKafkaString(config.documentation, compact: flexible)
                }
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
