extension ProducerSpec {
    enum CodingKeys: String, CodingKey {
        case topic, acks, idempotence, maxInFlight, retries, deliveryTimeoutMs, requestTimeoutMs, rate, count, keys,
             valueSize, partition, valuesFile, compression, transactional, txnRecords, abortRate, zombieAfterMs
    }

    /// Every key but `topic` may be missing and takes its default: a playbook's `run.json` records
    /// its producers this way, and one written before a setting existed must still be read.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(topic: try container.decode(String.self, forKey: .topic))
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        acks = try value(.acks, acks)
        idempotence = try value(.idempotence, idempotence)
        maxInFlight = try value(.maxInFlight, maxInFlight)
        retries = try value(.retries, retries)
        deliveryTimeoutMs = try value(.deliveryTimeoutMs, deliveryTimeoutMs)
        requestTimeoutMs = try value(.requestTimeoutMs, requestTimeoutMs)
        rate = try value(.rate, rate)
        count = try value(.count, count)
        keys = try value(.keys, keys)
        valueSize = try value(.valueSize, valueSize)
        partition = try container.decodeIfPresent(Int32.self, forKey: .partition)
        valuesFile = try container.decodeIfPresent(String.self, forKey: .valuesFile)
        compression = try value(.compression, compression)
        transactional = try value(.transactional, transactional)
        txnRecords = try value(.txnRecords, txnRecords)
        abortRate = try value(.abortRate, abortRate)
        zombieAfterMs = try container.decodeIfPresent(Int64.self, forKey: .zombieAfterMs)
    }
}
