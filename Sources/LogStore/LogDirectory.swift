import Foundation
import KafkaProtocol
import Logging

/// A broker's log directory: one `<topic>-<partition>` subdirectory per hosted partition.
/// Topic names may contain '-', so the partition is what follows the last one.
public struct LogDirectory: Sendable {
    public let path: String
    let logger: Logger
    /// Seeded bug lossy-recovery, handed to every log opened here (test-only; false in real use).
    public let seededLossyRecovery: Bool
    /// Shared by every log opened here: how many segment files may be open at once.
    public let fileBudget: FileDescriptorBudget
    /// Storage problems met by every log opened here (for the broker's metrics).
    public let health = StorageHealth()

    public init(path: String, logger: Logger, seededLossyRecovery: Bool = false, fileBudget: FileDescriptorBudget = .shared) throws {
        self.path = path
        self.logger = logger
        self.seededLossyRecovery = seededLossyRecovery
        self.fileBudget = fileBudget
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public static func directoryName(_ tp: TopicPartition) -> String { "\(tp.topic)-\(tp.partition)" }

    public static func parse(_ name: String) -> TopicPartition? {
        guard let dash = name.lastIndex(of: "-"), let partition = Int32(name[name.index(after: dash)...]), partition >= 0 else { return nil }
        let topic = String(name[..<dash])
        guard TopicPartition.validateTopicName(topic) == nil else { return nil }
        return TopicPartition(topic, partition)
    }

    /// The partitions with a directory here (directories being deleted are skipped).
    public func partitions() throws -> [TopicPartition] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasSuffix("-delete") }.compactMap { name in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
            return Self.parse(name)
        }.sorted()
    }

    public func open(_ tp: TopicPartition, config: LogConfig) throws -> PartitionLog {
        try PartitionLog(directory: path + "/" + Self.directoryName(tp), config: config, logger: logger, seededLossyRecovery: seededLossyRecovery,
                         fileBudget: fileBudget, health: health)
    }

    /// Deletes a partition's directory: renamed first (so a crash mid-delete never leaves a
    /// half-deleted log that looks live), then removed.
    public func delete(_ tp: TopicPartition) throws {
        let live = path + "/" + Self.directoryName(tp)
        guard FileManager.default.fileExists(atPath: live) else { return }
        let doomed = live + "." + UUID().uuidString.replacingOccurrences(of: "-", with: "") + "-delete"
        try FileManager.default.moveItem(atPath: live, toPath: doomed)
        try FileManager.default.removeItem(atPath: doomed)
    }
}
