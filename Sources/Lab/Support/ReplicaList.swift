import Foundation

/// A replica list as kafka-reassign-partitions and `samsa topics reassign --replicas` write it:
/// broker ids separated by commas, the first the preferred leader.
public enum ReplicaList {
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// "2,3,1" → [2, 3, 1]. Throws naming the problem for an empty list, a part that is not a
    /// broker id (a whole number from 0) or a broker named twice.
    public static func parse(_ text: String) throws -> [Int32] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw Problem(description: "the replica list is empty") }
        var brokers: [Int32] = []
        for part in parts {
            guard let id = Int32(part), id >= 0 else {
                throw Problem(description: "'\(part)' in the replica list '\(text)' is not a broker id")
            }
            guard !brokers.contains(id) else { throw Problem(description: "broker \(id) appears twice in the replica list '\(text)'") }
            brokers.append(id)
        }
        return brokers
    }
}
