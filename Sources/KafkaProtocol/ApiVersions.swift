import NIOCore

/// ApiVersions (key 18), v0–3. The request is empty before v3; v3 is flexible and names the
/// client software. The response header is always v0 whatever the version (KIP-511).
public struct ApiVersionsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.apiVersions
    public var clientSoftwareName: String
    public var clientSoftwareVersion: String

    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        guard version >= 3 else {
            clientSoftwareName = ""
            clientSoftwareVersion = ""
            return
        }
        clientSoftwareName = try buffer.readCompactString("client_software_name")
        clientSoftwareVersion = try buffer.readCompactString("client_software_version")
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        guard version >= 3 else { return }
        buffer.writeCompactString(clientSoftwareName)
        buffer.writeCompactString(clientSoftwareVersion)
        buffer.writeEmptyTaggedFields()
    }
}

public struct ApiVersionsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.apiVersions

    public struct ApiRange: Sendable, Equatable {
        public var apiKey: Int16
        public var minVersion: Int16
        public var maxVersion: Int16
        public init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    public var errorCode: Int16
    public var apiKeys: [ApiRange]
    public var throttleTimeMs: Int32

    public init(errorCode: Int16, apiKeys: [ApiRange], throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        errorCode = try buffer.readInt16("error_code")
        if version >= 3 {
            let count = try buffer.readCompactArrayCount("api_keys") ?? 0
            apiKeys = []
            for _ in 0..<count {
                let range = ApiRange(apiKey: try buffer.readInt16("api_key"),
                                     minVersion: try buffer.readInt16("min_version"),
                                     maxVersion: try buffer.readInt16("max_version"))
                try buffer.skipTaggedFields()
                apiKeys.append(range)
            }
            throttleTimeMs = try buffer.readInt32("throttle_time_ms")
            try buffer.skipTaggedFields()
        } else {
            apiKeys = try buffer.readKafkaArray("api_keys") { buffer in
                ApiRange(apiKey: try buffer.readInt16("api_key"),
                         minVersion: try buffer.readInt16("min_version"),
                         maxVersion: try buffer.readInt16("max_version"))
            }
            throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt16(errorCode)
        if version >= 3 {
            buffer.writeCompactArray(apiKeys) { buffer, range in
                buffer.writeInt16(range.apiKey)
                buffer.writeInt16(range.minVersion)
                buffer.writeInt16(range.maxVersion)
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeInt32(throttleTimeMs)
            buffer.writeEmptyTaggedFields()
        } else {
            buffer.writeKafkaArray(apiKeys) { buffer, range in
                buffer.writeInt16(range.apiKey)
                buffer.writeInt16(range.minVersion)
                buffer.writeInt16(range.maxVersion)
            }
            if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        }
    }
}
