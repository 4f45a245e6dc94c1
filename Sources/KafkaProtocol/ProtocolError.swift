/// Why a frame or a field could not be decoded. A decoder throws this and the connection that sent
/// the bytes is closed; nothing else in the broker is affected by a malformed request.
public enum ProtocolError: Error, Equatable, CustomStringConvertible {
    /// The buffer ended before the named field was complete.
    case truncated(String)
    /// A field holds a value that no valid message can hold (a negative length other than -1, a
    /// count larger than the bytes left, an unknown enum value).
    case invalid(String)
    /// The API key or version is not one this codec implements.
    case unsupportedVersion(apiKey: Int16, version: Int16)

    public var description: String {
        switch self {
        case .truncated(let field): return "truncated at \(field)"
        case .invalid(let why): return "invalid: \(why)"
        case .unsupportedVersion(let key, let version): return "unsupported version \(version) of API \(key)"
        }
    }
}
