import NIOCore

/// The header in front of every request body.
///
/// The client id is an int16-length string in every header version, flexible ones included; only
/// v2 adds a tagged-field section after it.
public struct RequestHeader: Sendable, Equatable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    public var clientId: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// The fixed prefix every header version shares. Enough to answer or reject a request whose
    /// API or version this broker does not know.
    public static func peek(_ frame: ByteBuffer) -> (apiKey: Int16, apiVersion: Int16, correlationId: Int32)? {
        guard let key = frame.getInteger(at: frame.readerIndex, endianness: .big, as: Int16.self),
              let version = frame.getInteger(at: frame.readerIndex + 2, endianness: .big, as: Int16.self),
              let correlation = frame.getInteger(at: frame.readerIndex + 4, endianness: .big, as: Int32.self)
        else { return nil }
        return (key, version, correlation)
    }

    /// Reads a header of the version the API and version imply (`ApiKey.requestHeaderVersion`).
    public init(from buffer: inout ByteBuffer, headerVersion: Int16) throws {
        apiKey = try buffer.readInt16("header.api_key")
        apiVersion = try buffer.readInt16("header.api_version")
        correlationId = try buffer.readInt32("header.correlation_id")
        clientId = headerVersion >= 1 ? try buffer.readNullableKafkaString("header.client_id") : nil
        if headerVersion >= 2 { try buffer.skipTaggedFields("header.tagged_fields") }
    }

    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) {
        buffer.writeInt16(apiKey)
        buffer.writeInt16(apiVersion)
        buffer.writeInt32(correlationId)
        if headerVersion >= 1 { buffer.writeNullableKafkaString(clientId) }
        if headerVersion >= 2 { buffer.writeEmptyTaggedFields() }
    }
}

/// The header in front of every response body: the correlation id, and for response header v1 an
/// empty tagged-field section.
public struct ResponseHeader: Sendable, Equatable {
    public var correlationId: Int32

    public init(correlationId: Int32) { self.correlationId = correlationId }

    public init(from buffer: inout ByteBuffer, headerVersion: Int16) throws {
        correlationId = try buffer.readInt32("response_header.correlation_id")
        if headerVersion >= 1 { try buffer.skipTaggedFields("response_header.tagged_fields") }
    }

    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) {
        buffer.writeInt32(correlationId)
        if headerVersion >= 1 { buffer.writeEmptyTaggedFields() }
    }
}

/// A request or response body codec for one API, across the versions it supports.
///
/// Decoders read exactly the fields the version has and throw `ProtocolError` on anything else;
/// encoders write exactly those fields, so `decode(encode(x)) == x` for every supported version.
public protocol KafkaMessage: Sendable {
    static var apiKey: ApiKey { get }
    init(from buffer: inout ByteBuffer, version: Int16) throws
    func encode(into buffer: inout ByteBuffer, version: Int16)
}

extension KafkaMessage {
    /// Encodes into a fresh buffer.
    public func encoded(version: Int16, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        encode(into: &buffer, version: version)
        return buffer
    }
}
