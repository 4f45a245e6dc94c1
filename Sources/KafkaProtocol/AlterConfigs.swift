import NIOCore

/// AlterConfigs (key 33), v0–2 (v1 has v0's layout; v2 is its flexible form): replaces a
/// resource's whole set of overrides with the given one. Resource types as in DescribeConfigs.
public struct AlterConfigsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.alterConfigs

    public struct Config: Sendable, Equatable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public struct Resource: Sendable, Equatable {
        public var resourceType: Int8
        public var resourceName: String
        public var configs: [Config]
        public init(resourceType: Int8, resourceName: String, configs: [Config]) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public var resources: [Resource]
    public var validateOnly: Bool

    public init(resources: [Resource], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        resources = try buffer.readKafkaArray("resources", compact: flexible) { buffer in
            let resource = Resource(resourceType: try buffer.readInt8("resource_type"),
                                    resourceName: try buffer.readKafkaString("resource_name", compact: flexible),
                                    configs: try buffer.readKafkaArray("configs", compact: flexible) { buffer in
                                        let config = Config(name: try buffer.readKafkaString("name", compact: flexible),
                                                            value: try buffer.readNullableKafkaString("value", compact: flexible))
                                        try buffer.skipTaggedFields(if: flexible)
                                        return config
                                    })
            try buffer.skipTaggedFields(if: flexible)
            return resource
        }
        validateOnly = try buffer.readBool("validate_only")
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeKafkaArray(resources, compact: flexible) { buffer, resource in
            buffer.writeInt8(resource.resourceType)
            buffer.writeKafkaString(resource.resourceName, compact: flexible)
            buffer.writeKafkaArray(resource.configs, compact: flexible) { buffer, config in
                buffer.writeKafkaString(config.name, compact: flexible)
                buffer.writeNullableKafkaString(config.value, compact: flexible)
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeBool(validateOnly)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

/// One resource's outcome, shared by AlterConfigs and IncrementalAlterConfigs responses.
public struct AlterConfigsResourceResult: Sendable, Equatable {
    public var errorCode: Int16
    public var errorMessage: String?
    public var resourceType: Int8
    public var resourceName: String
    public init(errorCode: Int16, errorMessage: String?, resourceType: Int8, resourceName: String) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.resourceType = resourceType
        self.resourceName = resourceName
    }

    static func read(_ buffer: inout ByteBuffer, flexible: Bool) throws -> Self {
        let result = Self(errorCode: try buffer.readInt16("error_code"),
                          errorMessage: try buffer.readNullableKafkaString("error_message", compact: flexible),
                          resourceType: try buffer.readInt8("resource_type"),
                          resourceName: try buffer.readKafkaString("resource_name", compact: flexible))
        try buffer.skipTaggedFields(if: flexible)
        return result
    }

    func write(_ buffer: inout ByteBuffer, flexible: Bool) {
        buffer.writeInt16(errorCode)
        buffer.writeNullableKafkaString(errorMessage, compact: flexible)
        buffer.writeInt8(resourceType)
        buffer.writeKafkaString(resourceName, compact: flexible)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct AlterConfigsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.alterConfigs

    public var throttleTimeMs: Int32
    public var responses: [AlterConfigsResourceResult]

    public init(throttleTimeMs: Int32 = 0, responses: [AlterConfigsResourceResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        responses = try buffer.readKafkaArray("responses", compact: flexible) { try AlterConfigsResourceResult.read(&$0, flexible: flexible) }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(responses, compact: flexible) { $1.write(&$0, flexible: flexible) }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

/// IncrementalAlterConfigs (key 44), v0–1 (v1 is v0's flexible form): sets, deletes, appends
/// to or subtracts from single keys, leaving the resource's other overrides as they are.
public struct IncrementalAlterConfigsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.incrementalAlterConfigs

    /// Kafka's `AlterConfigOp.OpType` codes.
    public enum Operation: Int8, Sendable {
        case set = 0, delete = 1, append = 2, subtract = 3
    }

    public struct Config: Sendable, Equatable {
        public var name: String
        /// The raw operation code: unknown codes decode, so the broker can answer INVALID_REQUEST.
        public var operation: Int8
        public var value: String?
        public init(name: String, operation: Int8, value: String?) {
            self.name = name
            self.operation = operation
            self.value = value
        }
    }

    public struct Resource: Sendable, Equatable {
        public var resourceType: Int8
        public var resourceName: String
        public var configs: [Config]
        public init(resourceType: Int8, resourceName: String, configs: [Config]) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public var resources: [Resource]
    public var validateOnly: Bool

    public init(resources: [Resource], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        resources = try buffer.readKafkaArray("resources", compact: flexible) { buffer in
            let resource = Resource(resourceType: try buffer.readInt8("resource_type"),
                                    resourceName: try buffer.readKafkaString("resource_name", compact: flexible),
                                    configs: try buffer.readKafkaArray("configs", compact: flexible) { buffer in
                                        let config = Config(name: try buffer.readKafkaString("name", compact: flexible),
                                                            operation: try buffer.readInt8("config_operation"),
                                                            value: try buffer.readNullableKafkaString("value", compact: flexible))
                                        try buffer.skipTaggedFields(if: flexible)
                                        return config
                                    })
            try buffer.skipTaggedFields(if: flexible)
            return resource
        }
        validateOnly = try buffer.readBool("validate_only")
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeKafkaArray(resources, compact: flexible) { buffer, resource in
            buffer.writeInt8(resource.resourceType)
            buffer.writeKafkaString(resource.resourceName, compact: flexible)
            buffer.writeKafkaArray(resource.configs, compact: flexible) { buffer, config in
                buffer.writeKafkaString(config.name, compact: flexible)
                buffer.writeInt8(config.operation)
                buffer.writeNullableKafkaString(config.value, compact: flexible)
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeBool(validateOnly)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct IncrementalAlterConfigsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.incrementalAlterConfigs

    public var throttleTimeMs: Int32
    public var responses: [AlterConfigsResourceResult]

    public init(throttleTimeMs: Int32 = 0, responses: [AlterConfigsResourceResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        responses = try buffer.readKafkaArray("responses", compact: flexible) { try AlterConfigsResourceResult.read(&$0, flexible: flexible) }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(responses, compact: flexible) { $1.write(&$0, flexible: flexible) }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
