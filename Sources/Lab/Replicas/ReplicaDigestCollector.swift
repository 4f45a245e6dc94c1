import Foundation
import KafkaProtocol
import LogStore
import Verification

/// Builds a run's replica digest (`replicas.json`) from every broker's data directory
/// (`<run>/broker-N/data/<topic>-<partition>/`), reading the files through `LogInspection`: never
/// opening a log (which would recover and rewrite it), never writing into a broker's directory.
///
/// Every replica's checkpoints are read before any segment, so that with brokers still running a
/// high watermark read earlier never covers data the segments read later do not yet hold.
public enum ReplicaDigestCollector {
    /// Broker ids with a `broker-N/data` directory under `runDirectory`.
    public static func brokerDataDirectories(runDirectory: String) -> [(broker: Int32, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
        return names.compactMap { name -> (Int32, String)? in
            guard name.hasPrefix("broker-"), let id = Int32(name.dropFirst("broker-".count)) else { return nil }
            let data = runDirectory + "/" + name + "/data"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
            return (id, data)
        }.sorted { $0.0 < $1.0 }
    }

    /// Reads every replica of `topics`' partitions found under `runDirectory`. Never throws:
    /// damage is a problem in the digest.
    public static func collect(runDirectory: String, topics: [String], source: ReplicaDigest.Source,
                               validateCRC: Bool = true, nowNs: Int64 = Int64(Date().timeIntervalSince1970 * 1e9)) -> ReplicaDigest {
        let wanted = Set(topics)
        var problems: [String] = []
        var brokers: [Int32] = []
        var found: [(broker: Int32, tp: TopicPartition, path: String)] = []
        for (broker, data) in brokerDataDirectories(runDirectory: runDirectory) {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: data)
            } catch {
                problems.append("broker \(broker): cannot list \(data): \(error)")
                continue
            }
            brokers.append(broker)
            for name in names.sorted() where !name.hasSuffix("-delete") {
                guard let tp = LogDirectory.parse(name), wanted.contains(tp.topic) else { continue }
                found.append((broker, tp, data + "/" + name))
            }
        }
        // Checkpoints of every replica first, then the segments (see the type's comment).
        let checkpoints = found.map { LogInspection.readCheckpoints(directory: $0.path) }
        var replicas: [TopicPartition: [ReplicaLog]] = [:]
        for (index, place) in found.enumerated() {
            let segments = LogInspection.scanSegments(directory: place.path, validateCRC: validateCRC)
            replicas[place.tp, default: []].append(replicaLog(broker: place.broker, checkpoints: checkpoints[index], segments: segments))
        }
        let partitions = replicas.keys.sorted().map { tp in
            PartitionReplicas(topic: tp.topic, partition: tp.partition, replicas: replicas[tp]!.sorted { $0.broker < $1.broker })
        }
        return ReplicaDigest(source: source, createdNs: nowNs, topics: topics.sorted(), brokers: brokers, partitions: partitions,
                             problems: problems)
    }

    static func replicaLog(broker: Int32, checkpoints: LogInspection.Checkpoints, segments: LogInspection.Segments) -> ReplicaLog {
        let batches = segments.batches.map { batch in
            BatchDigest(baseOffset: batch.header.baseOffset, lastOffset: batch.header.lastOffset,
                        leaderEpoch: batch.header.partitionLeaderEpoch, producerId: batch.header.producerId,
                        producerEpoch: batch.header.producerEpoch, baseSequence: batch.header.baseSequence, crc: batch.header.crc)
        }
        let corrupt = segments.batches.filter { $0.checksumMatches == false }.map(\.header.baseOffset)
        let logStart = checkpoints.logStartOffset ?? segments.segmentBaseOffsets.first
        return ReplicaLog(
            broker: broker, logStart: logStart, logEnd: segments.endOffset ?? logStart ?? 0,
            highWatermark: checkpoints.highWatermark, recoveryPoint: checkpoints.recoveryPoint, cleanShutdown: checkpoints.cleanShutdown,
            leaderEpochs: checkpoints.leaderEpochs?.map { EpochStart(epoch: $0.epoch, startOffset: $0.startOffset) },
            segments: segments.segmentBaseOffsets, batches: batches, corrupt: corrupt,
            problems: checkpoints.problems + segments.problems)
    }

    /// Writes the digest atomically (a temporary file renamed over the target).
    public static func write(_ digest: ReplicaDigest, to path: String) throws {
        try Data(ReplicaDigestText.render(digest).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The digest `samsa run` and `samsa check DIR` judge: recomputed from the data directories
    /// when they are there (and `replicas.json` rewritten), so what the checker sees is what the
    /// disks hold now; the saved `replicas.json` when the data directories are gone (a run
    /// directory copied without them); absent otherwise.
    public static func refresh(runDirectory: String, topics: [String]) -> ReplicaDigestInput {
        let path = runDirectory + "/" + ReplicaDigest.fileName
        guard !brokerDataDirectories(runDirectory: runDirectory).isEmpty else { return ReplicaDigestInput.load(path: path) }
        let digest = collect(runDirectory: runDirectory, topics: topics, source: .stopped)
        // The verdict rests on the digest in hand; a file that cannot be written only costs a
        // later `samsa check` of a copy without data directories.
        try? write(digest, to: path)
        return .digest(digest)
    }
}
