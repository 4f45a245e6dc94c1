extension KeyedDecodingContainer {
    /// Decodes the tag that says which case an object holds, naming the allowed ones when it is
    /// unknown ("unknown fault 'crsh'; one of crash, stop, …") rather than the decoder's generic
    /// "cannot initialize Tag from invalid String value".
    public func decodeTag<T>(_ type: T.Type, forKey key: Key, what: String) throws -> T
    where T: RawRepresentable & CaseIterable, T.RawValue == String {
        let text = try decode(String.self, forKey: key)
        guard let tag = T(rawValue: text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                   debugDescription: "unknown \(what) '\(text)'; one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return tag
    }
}
