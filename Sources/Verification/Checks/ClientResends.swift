import KafkaProtocol

/// Duplicates the client made, not the broker: an idempotent producer whose client bumped its producer
/// epoch on its own (librdkafka does after a sequence gap, or a timeout in flight) re-sends, under the
/// new epoch, messages it had sent under the old one — among them some that were written but whose
/// answer was an error. Kafka deduplicates retries only within one producer epoch, so both copies
/// stay. A duplicate is the client's re-send when all of these hold:
/// - every copy is in the one partition the value was sent to;
/// - the producer process recorded epoch bumps (`epoch_bump` operations) between the send's invoke
///   and its completion, at least one per extra copy;
/// - where the replicas' batch headers are known (`replicas.json`): the copies' batches carry the
///   same producer id and each later copy an epoch the process bumped to in that window — proof
///   from the log itself that the client sent the value again under a new epoch.
/// A broker that appends a retry twice does so within one epoch, with no bump: still a duplicate.
struct ClientResends {
    struct Bump {
        var timeNs: Int64
        var producerId: Int64
        var epoch: Int16
        var reason: String?
    }

    /// Per process name: its epoch bumps in history order.
    private var bumps: [String: [Bump]] = [:]
    private let batches: [TopicPartition: [[BatchDigest]]]
    let hasBatches: Bool

    init(_ history: History, replicas: ReplicaDigestInput) {
        for op in history.ops where op.f == Self.epochBump && op.type == .ok {
            guard case .other(.object(let fields)) = op.value,
                  case .int(let id)? = fields["producer_id"], case .int(let epoch)? = fields["epoch"],
                  let epoch16 = Int16(exactly: epoch) else { continue }
            var reason: String?
            if case .string(let text)? = fields["reason"] { reason = text }
            bumps[op.process, default: []].append(Bump(timeNs: op.timeNs, producerId: id, epoch: epoch16, reason: reason))
        }
        if case .digest(let digest) = replicas {
            var byPartition: [TopicPartition: [[BatchDigest]]] = [:]
            for partition in digest.partitions {
                byPartition[partition.topicPartition] = partition.replicas.map(\.batches)
            }
            batches = byPartition
            hasBatches = true
        } else {
            batches = [:]
            hasBatches = false
        }
    }

    static let epochBump: OpFunction = "epoch_bump"

    /// Why `duplicate` is a client's re-send, or nil when it is not shown to be one.
    func explanation(_ duplicate: DuplicateValue, index: HistoryIndex, valueId: Int32) -> String? {
        let history = index.history
        let writer = index.writer[Int(valueId)]
        guard writer >= 0 else { return nil }
        let entry = index.sends.entries[Int(writer)]
        // The partition the send was acknowledged in; for a send whose outcome is unknown, the one
        // partition of its topic every copy is in.
        guard let place = duplicate.places.first else { return nil }
        let sentTo = entry.partition >= 0 ? index.partition(entry.partition) : TopicPartition(place.topic, place.partition)
        guard sentTo.topic == index.sends.topics[Int(entry.topic)],
              duplicate.places.allSatisfy({ $0.topic == sentTo.topic && $0.partition == sentTo.partition }) else { return nil }
        let first = Int(entry.invokePosition >= 0 ? entry.invokePosition : entry.completionPosition)
        let process = history.processNames[Int(history.processOf[first])]
        let from = history.ops[first].timeNs
        let to = entry.completionPosition >= 0 ? history.ops[Int(entry.completionPosition)].timeNs : Int64.max
        let window = (bumps[process] ?? []).filter { $0.timeNs >= from && $0.timeNs <= to }
        guard window.count >= duplicate.places.count - 1 else { return nil }
        let reasons = Set(window.compactMap(\.reason)).sorted().joined(separator: "; ")
        let because = reasons.isEmpty ? "" : " (\(reasons))"
        let offsets = duplicate.places.map { String($0.offset) }.joined(separator: ", ")
        guard hasBatches else {
            return "\(duplicate.value) at \(sentTo.topic)/\(sentTo.partition) offsets \(offsets): \(process) bumped its producer epoch "
                + "\(window.count) time(s) while sending it\(because); no replicas.json to confirm the copies' epochs"
        }
        let copies = duplicate.places.map { batch(sentTo, offset: $0.offset) }
        guard let firstCopy = copies.first, let firstBatch = firstCopy, firstBatch.producerId >= 0 else { return nil }
        var seen: Set<Int16> = [firstBatch.producerEpoch]
        for copy in copies.dropFirst() {
            guard let copy, copy.producerId == firstBatch.producerId, !seen.contains(copy.producerEpoch),
                  window.contains(where: { $0.producerId == copy.producerId && $0.epoch == copy.producerEpoch }) else { return nil }
            seen.insert(copy.producerEpoch)
        }
        let epochs = copies.compactMap { $0.map { String($0.producerEpoch) } }.joined(separator: ", ")
        return "\(duplicate.value) at \(sentTo.topic)/\(sentTo.partition) offsets \(offsets) (producer \(firstBatch.producerId), "
            + "epochs \(epochs)): \(process) re-sent it after bumping its producer epoch\(because)"
    }

    /// The batch holding `offset` in the first replica that has it.
    private func batch(_ partition: TopicPartition, offset: Int64) -> BatchDigest? {
        for replica in batches[partition] ?? [] {
            var low = 0
            var high = replica.count
            while low < high {
                let middle = (low + high) / 2
                if replica[middle].lastOffset < offset { low = middle + 1 } else { high = middle }
            }
            if low < replica.count, replica[low].baseOffset <= offset { return replica[low] }
        }
        return nil
    }
}
