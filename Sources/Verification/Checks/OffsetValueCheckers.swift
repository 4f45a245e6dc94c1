/// One value at more than one place.
public struct DuplicateValue: Sendable, Hashable, Codable {
    public struct Place: Sendable, Hashable, Codable, Comparable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64

        public static func < (lhs: Place, rhs: Place) -> Bool {
            (lhs.topic, lhs.partition, lhs.offset) < (rhs.topic, rhs.partition, rhs.offset)
        }
    }

    public var value: String
    /// Every place the value was acknowledged at or read from, sorted.
    public var places: [Place]
}

/// One offset that acknowledgements and reads disagree about.
public struct InconsistentOffset: Sendable, Hashable, Codable {
    public struct Claim: Sendable, Hashable, Codable {
        public var value: String
        /// Who reported this value at this offset (at most `sightingLimit` of them).
        public var seenBy: [Sighting]

        enum CodingKeys: String, CodingKey {
            case value
            case seenBy = "seen_by"
        }
    }

    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var values: [Claim]
}

/// Jepsen's duplicate and inconsistent-offsets analyses. Every value is unique per run, and an
/// offset holds one record forever, so (partition, offset) ↔ value must be a bijection over
/// every `ok` acknowledgement and every read (reads of `info` polls too: a consumer never
/// returns records that do not exist).
enum OffsetValueCheckers {
    /// Sightings listed per value of an inconsistent offset.
    static let sightingLimit = 8

    /// Values at more than one place. A duplicate shown to be an idempotent client's own re-send
    /// under a producer epoch it bumped (`ClientResends`) is not the broker's: it is listed in the
    /// notes, not counted.
    static func duplicates(_ index: HistoryIndex, replicas: ReplicaDigestInput = .absent, limit: Int) throws
        -> CheckResult<DuplicateValue>
    {
        let resends = ClientResends(index.history, replicas: replicas)
        var anomalies: [DuplicateValue] = []
        var explained: [String] = []
        for value in index.otherLocations.keys.sorted() {
            guard let first = index.firstLocation[Int(value)], let others = index.otherLocations[value] else {
                throw CheckerError("value \(index.value(value)) has other places but no first place")
            }
            let places = ([first] + others).map { place in
                let partition = index.partition(place.partition)
                return DuplicateValue.Place(topic: partition.topic, partition: partition.partition, offset: place.offset)
            }
            let duplicate = DuplicateValue(value: index.value(value), places: places.sorted())
            if let why = resends.explanation(duplicate, index: index, valueId: value) {
                explained.append(why)
            } else {
                anomalies.append(duplicate)
            }
        }
        var notes: [String] = []
        if !explained.isEmpty {
            notes.append("\(explained.count) value(s) written twice by the client, not the broker: the producer bumped its "
                + "producer epoch itself and re-sent them under the new one, and Kafka deduplicates retries only within an epoch")
            notes += explained.prefix(max(limit, 1))
        }
        return .judge("duplicate", anomalies: anomalies, limit: limit, problems: index.history.problems, notes: notes)
    }

    static func inconsistentOffsets(_ index: HistoryIndex, limit: Int) throws -> CheckResult<InconsistentOffset> {
        let history = index.history
        let places = index.conflicts.keys.sorted {
            (index.partition($0.partition), $0.offset) < (index.partition($1.partition), $1.offset)
        }
        let listed = Array(places.prefix(max(0, limit)))
        // A second pass over the history, only for the listed offsets, collects every sighting.
        var sightings: [PartitionOffset: [Int32: [Sighting]]] = [:]
        for place in listed { sightings[place] = [:] }
        func note(_ place: PartitionOffset, value: String, position: Int) throws {
            guard sightings[place] != nil, let value = index.valueIds[value] else { return }
            if sightings[place]![value, default: []].count < sightingLimit {
                sightings[place]![value, default: []].append(try index.sighting(at: Int32(position)))
            }
        }
        if !listed.isEmpty {
            for (number, entry) in index.sends.entries.enumerated()
            where entry.outcome == .ok && entry.partition >= 0 && entry.offset >= 0 {
                try note(
                    PartitionOffset(partition: entry.partition, offset: entry.offset),
                    value: index.value(index.sendValue[number]), position: Int(entry.completionPosition))
            }
            for operation in history.operations where operation.f.isRead {
                guard let position = operation.completionPosition,
                      case .poll(let poll) = history.ops[position].value
                else { continue }
                for record in poll.records {
                    guard let id = index.partitionIds[record.topicPartition] else { continue }
                    try note(PartitionOffset(partition: id, offset: record.offset), value: record.value, position: position)
                }
            }
        }
        let anomalies = try listed.map { place -> InconsistentOffset in
            let partition = index.partition(place.partition)
            guard let first = index.observed[place], let others = index.conflicts[place] else {
                throw CheckerError("offset \(place.offset) has conflicts but no first value")
            }
            let values = [first.value] + others.map(\.value)
            return InconsistentOffset(
                topic: partition.topic, partition: partition.partition, offset: place.offset,
                values: values.map { .init(value: index.value($0), seenBy: sightings[place]?[$0] ?? []) })
        }
        return .judge(
            "inconsistent-offsets", anomalies: anomalies, count: places.count, limit: limit, problems: history.problems)
    }
}
