import Foundation
import Verification

/// `replicas.json` as text: the layout `ReplicaDigest` decodes, one batch per line so a person can
/// grep or diff two replicas, written directly rather than through `JSONEncoder` (a long run's
/// digest holds hundreds of thousands of batches).
enum ReplicaDigestText {
    static func render(_ digest: ReplicaDigest) -> String {
        var out = "{\n"
        out += "  \"schema\": \(digest.schema),\n"
        out += "  \"source\": \(string(digest.source.rawValue)),\n"
        out += "  \"created_ns\": \(digest.createdNs),\n"
        out += "  \"topics\": [\(digest.topics.map(string).joined(separator: ", "))],\n"
        out += "  \"brokers\": [\(digest.brokers.map(String.init).joined(separator: ", "))],\n"
        out += "  \"problems\": [\(digest.problems.map(string).joined(separator: ", "))],\n"
        out += "  \"partitions\": ["
        for (index, partition) in digest.partitions.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "    {\"topic\": \(string(partition.topic)), \"partition\": \(partition.partition), \"replicas\": ["
            for (position, replica) in partition.replicas.enumerated() {
                out += position == 0 ? "\n" : ",\n"
                render(replica, into: &out)
            }
            out += "\n    ]}"
        }
        out += "\n  ]\n}\n"
        return out
    }

    static func render(_ replica: ReplicaLog, into out: inout String) {
        out += "      {\"broker\": \(replica.broker), \"log_start\": \(number(replica.logStart)), \"log_end\": \(replica.logEnd), "
        out += "\"high_watermark\": \(number(replica.highWatermark)), \"recovery_point\": \(number(replica.recoveryPoint)), "
        out += "\"clean_shutdown\": \(replica.cleanShutdown.map { $0 ? "true" : "false" } ?? "null"),\n"
        let epochs = replica.leaderEpochs.map { "[" + $0.map { "[\($0.epoch), \($0.startOffset)]" }.joined(separator: ", ") + "]" } ?? "null"
        out += "       \"leader_epochs\": \(epochs), \"segments\": [\(replica.segments.map(String.init).joined(separator: ", "))], "
        out += "\"corrupt\": [\(replica.corrupt.map(String.init).joined(separator: ", "))],\n"
        out += "       \"problems\": [\(replica.problems.map(string).joined(separator: ", "))],\n"
        out += "       \"batches\": ["
        for (index, batch) in replica.batches.enumerated() {
            out += index == 0 ? "\n        " : ",\n        "
            out += "[\(batch.baseOffset), \(batch.lastOffset), \(batch.leaderEpoch), \(batch.producerId), \(batch.producerEpoch), \(batch.baseSequence), \(batch.crc)]"
        }
        out += replica.batches.isEmpty ? "]}" : "\n       ]}"
    }

    static func number(_ value: Int64?) -> String { value.map(String.init) ?? "null" }

    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
