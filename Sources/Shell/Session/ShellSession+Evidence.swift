import Foundation
import KafkaClient
import KafkaProtocol
import Lab
import Verification

extension ShellSession {
    /// The evidence `check` gathers from the live lab beside the history: a leadership census
    /// (every broker asked on its internal port whether it leads each partition), added to the
    /// timeline read from disk, and a replica digest read from the brokers' live data directories
    /// (written to `replicas.json` in the lab directory). The timeline is read before the digest,
    /// so the ISR it names was already in sync when the files are read; the digest reads every
    /// high watermark before any segment. A live digest cannot tell a replica that lacks committed
    /// data from one that left the ISR meanwhile: such shortfalls are unknown, not invalid.
    func liveEvidence(_ lab: Lab, partitions: [TopicPartition], timeline: Timeline) async -> (timeline: Timeline, replicas: ReplicaDigestInput) {
        var records = timeline.records
        if let status = try? await labStatus(lab.directory) {
            let answers = await LeadershipCensusTaker.take(targets: LeadershipCensusTaker.targets(status), partitions: partitions)
            records.append(TimelineRecord(timeNs: Int64(Date().timeIntervalSince1970 * 1e9), observer: "shell",
                                          .leadershipCensus(LeadershipCensus(phase: .end, attempt: 1, method: "list_offsets", partitions: answers))))
        }
        let topics = Set(partitions.map(\.topic)).sorted()
        let directory = lab.directory
        let digest = try? await Blocking.run { () throws -> ReplicaDigest in
            let digest = ReplicaDigestCollector.collect(runDirectory: directory, topics: topics, source: .live)
            try? ReplicaDigestCollector.write(digest, to: directory + "/" + ReplicaDigest.fileName)
            return digest
        }
        return (Timeline(records: records, problems: timeline.problems), digest.map { .digest($0) } ?? .absent)
    }
}
