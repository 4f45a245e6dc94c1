/// What was first seen at each offset of each partition, for the history index.
///
/// A log's offsets are dense, so each partition keeps an array indexed by offset from the first one
/// it saw: a lookup is an array read, not a hash of the place (the index makes one per acknowledged
/// send and one per record read). An offset below that first one, or far beyond the end of the
/// array, goes to a dictionary instead, so a stray offset cannot make an array huge.
struct OffsetTable {
    private struct Slots {
        var base: Int64
        /// `value` -1 marks an offset not seen.
        var observations: [Observation]
    }

    private static let empty = Observation(value: -1, position: -1)

    private var partitions: [Slots?] = []
    private var sparse: [PartitionOffset: Observation] = [:]

    /// How far past the end of a partition's array an offset may land and still extend it: the
    /// larger of this and the array's own length, so growth stays proportional to what was seen.
    static let minimumGap: Int64 = 4096

    subscript(place: PartitionOffset) -> Observation? {
        let partition = Int(place.partition)
        if partition < partitions.count, let slots = partitions[partition] {
            let slot = place.offset - slots.base
            if slot >= 0, slot < Int64(slots.observations.count) {
                let observation = slots.observations[Int(slot)]
                if observation.value >= 0 { return observation }
            }
        }
        return sparse.isEmpty ? nil : sparse[place]
    }

    /// Records the first observation at `place`; the caller checked that there is none yet.
    mutating func insert(_ observation: Observation, at place: PartitionOffset) {
        precondition(observation.value >= 0, "an observation names a value")
        let partition = Int(place.partition)
        if partition >= partitions.count {
            partitions.append(contentsOf: repeatElement(nil, count: partition - partitions.count + 1))
        }
        guard var slots = partitions[partition] else {
            partitions[partition] = Slots(base: place.offset, observations: [observation])
            return
        }
        let slot = place.offset - slots.base
        let count = Int64(slots.observations.count)
        guard slot >= 0, slot < count + max(Self.minimumGap, count) else {
            sparse[place] = observation
            return
        }
        // Take the array out of the table while it changes, so it is not copied.
        partitions[partition] = nil
        if slot >= count {
            slots.observations.append(contentsOf: repeatElement(Self.empty, count: Int(slot - count)))
            slots.observations.append(observation)
        } else {
            slots.observations[Int(slot)] = observation
        }
        partitions[partition] = slots
    }
}
