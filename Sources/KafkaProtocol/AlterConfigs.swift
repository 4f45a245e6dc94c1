import NIOCore

/// AlterConfigs (key 33), v0–1 (v1 has v0's layout; v2 is the first flexible version): replaces a
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
        resources = try buffer.readKafkaArray("resources") { buffer in
            Resource(resourceType: try buffer.readInt8("resource_type"), resourceName: try buffer.readKafkaString("resource_name"),
                     configs: try buffer.readKafkaArray("configs") { buffer in
                         Config(name: try buffer.readKafkaString("name"), value: try buffer.readNullableKafkaString("value"))
                     })
        }
        validateOnly = try buffer.readBool("validate_only")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(resources) { buffer, resource in
            buffer.writeInt8(resource.resourceType)
            buffer.writeKafkaString(resource.resourceName)
            buffer.writeKafkaArray(resource.configs) { buffer, config in
                buffer.writeKafkaString(config.name)
                buffer.writeNullableKafkaString(config.value)
            }
        }
        buffer.writeBool(validateOnly)
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

    static func read(_ buffer: inout ByteBuffer) throws -> Self {
        Self(errorCode: try buffer.readInt16("error_code"), errorMessage: try buffer.readNullableKafkaString("error_message"),
             resourceType: try buffer.readInt8("resource_type"), resourceName: try buffer.readKafkaString("resource_name"))
    }

    func write(_ buffer: inout ByteBuffer) {
        buffer.writeInt16(errorCode)
        buffer.writeNullableKafkaString(errorMessage)
        buffer.writeInt8(resourceType)
        buffer.writeKafkaString(resourceName)
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
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        responses = try buffer.readKafkaArray("responses") { try AlterConfigsResourceResult.read(&$0) }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(responses) { $1.write(&$0) }
    }
}

/// IncrementalAlterConfigs (key 44), v0 (v1 is the first flexible version): sets, deletes, appends
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
        resources = try buffer.readKafkaArray("resources") { buffer in
            Resource(resourceType: try buffer.readInt8("resource_type"), resourceName: try buffer.readKafkaString("resource_name"),
                     configs: try buffer.readKafkaArray("configs") { buffer in
                         Config(name: try buffer.readKafkaString("name"), operation: try buffer.readInt8("config_operation"),
                                value: try buffer.readNullableKafkaString("value"))
                     })
        }
        validateOnly = try buffer.readBool("validate_only")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(resources) { buffer, resource in
            buffer.writeInt8(resource.resourceType)
            buffer.writeKafkaString(resource.resourceName)
            buffer.writeKafkaArray(resource.configs) { buffer, config in
                buffer.writeKafkaString(config.name)
                buffer.writeInt8(config.operation)
                buffer.writeNullableKafkaString(config.value)
            }
        }
        buffer.writeBool(validateOnly)
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
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        responses = try buffer.readKafkaArray("responses") { try AlterConfigsResourceResult.read(&$0) }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(responses) { $1.write(&$0) }
    }
}
