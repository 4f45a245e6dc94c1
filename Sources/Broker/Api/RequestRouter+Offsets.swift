#if canImport(Glibc)
import Glibc
#endif
import KafkaProtocol
import NIOCore

extension RequestRouter {
    /// ListOffsets: earliest (-2), latest (-1, the HW for clients, the LSO for read_committed ones) or
    /// the first offset at or after a timestamp. v0 answers with the old-style offsets array.
    func handleListOffsets(_ request: ListOffsetsRequest, _ context: RequestContext) -> any KafkaMessage {
        let version = context.version
        let topics = request.topics.map { topic in
            ListOffsetsResponse.Topic(name: topic.name, partitions: topic.partitions.map { wanted -> ListOffsetsResponse.Partition in
                let tp = TopicPartition(topic.name, wanted.partitionIndex)
                var answer = ListOffsetsResponse.Partition(partitionIndex: wanted.partitionIndex, errorCode: 0)
                guard let partition = broker.replicaManager.partition(tp) else {
                    answer.errorCode = missingPartitionError(tp).rawValue
                    return answer
                }
                switch partition.lookupOffset(timestamp: wanted.timestamp, currentLeaderEpoch: wanted.currentLeaderEpoch) {
                case .error(let code):
                    answer.errorCode = code.rawValue
                case .notFound(let epoch):
                    answer.offset = -1
                    answer.timestamp = -1
                    answer.leaderEpoch = epoch
                    if version == 0 { answer.oldStyleOffsets = [] }
                case .found(let offset, let timestamp, let epoch):
                    answer.offset = wanted.timestamp == -1 && request.isolationLevel == 1 ? min(offset, partition.lastStableOffset) : offset
                    answer.timestamp = timestamp
                    answer.leaderEpoch = epoch
                    if version == 0 { answer.oldStyleOffsets = wanted.maxNumOffsets > 0 ? [offset] : [] }
                }
                return answer
            })
        }
        return ListOffsetsResponse(topics: topics)
    }

    /// The error for a partition this broker does not host: NOT_LEADER_OR_FOLLOWER when the cluster
    /// knows it, or while this broker has no cluster metadata yet (just started, before the
    /// controller's first update), so a client retries instead of concluding that the partition does
    /// not exist; UNKNOWN_TOPIC_OR_PARTITION otherwise.
    func missingPartitionError(_ tp: TopicPartition) -> ErrorCode {
        let cluster = broker.metadata.snapshot
        return cluster.partitions[tp] != nil || cluster.brokers.isEmpty ? .notLeaderOrFollower : .unknownTopicOrPartition
    }
}

extension RequestRouter {
    /// DeleteRecords (kafka-delete-records): each partition's leader moves its log start up to the
    /// requested offset (-1: the high watermark) and answers the new log start as the low watermark.
    /// Followers follow through the log start offset of the leader's fetch answers; unlike Kafka,
    /// the answer does not wait for them.
    func handleDeleteRecords(_ request: DeleteRecordsRequest, _ context: RequestContext) -> any KafkaMessage {
        DeleteRecordsResponse(topics: request.topics.map { topic in
            DeleteRecordsResponse.Topic(name: topic.name, partitions: topic.partitions.map { wanted in
                let tp = TopicPartition(topic.name, wanted.partitionIndex)
                guard let partition = broker.replicaManager.partition(tp) else {
                    return .init(partitionIndex: wanted.partitionIndex, lowWatermark: -1, errorCode: missingPartitionError(tp).rawValue)
                }
                let outcome = partition.deleteRecords(before: wanted.offset)
                if outcome.errorCode == .none {
                    logger.info("DeleteRecords: \(tp) now starts at \(outcome.lowWatermark)")
                }
                return .init(partitionIndex: wanted.partitionIndex, lowWatermark: outcome.lowWatermark, errorCode: outcome.errorCode.rawValue)
            })
        })
    }
}

extension RequestRouter {
    /// DescribeLogDirs (kafka-log-dirs): this broker's one log directory with the size of each hosted
    /// partition's log and its offset lag (high watermark minus log end, never negative, as Kafka
    /// reports it for a replica that is not moving between directories). Requested partitions that
    /// are not hosted here are left out, as Kafka does. v4 adds the log directory's file system size
    /// and the bytes free to the broker, from statvfs (-1 each when it fails).
    func handleDescribeLogDirs(_ request: DescribeLogDirsRequest, _ context: RequestContext) -> any KafkaMessage {
        let wanted: Set<TopicPartition>? = request.topics.map { topics in
            Set(topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } })
        }
        let hosted = broker.replicaManager.allPartitions.filter { wanted?.contains($0.topicPartition) ?? true }
        let byTopic = Dictionary(grouping: hosted, by: \.topicPartition.topic)
        let topics = byTopic.keys.sorted().map { name in
            DescribeLogDirsResponse.Topic(name: name, partitions: byTopic[name]!.sorted { $0.topicPartition.partition < $1.topicPartition.partition }.map { partition in
                let (size, lag) = partition.logDirDescription
                return DescribeLogDirsResponse.Partition(partitionIndex: partition.topicPartition.partition, partitionSize: size, offsetLag: lag)
            })
        }
        let space = Self.fileSystemSpace(broker.config.logDir)
        return DescribeLogDirsResponse(results: [.init(errorCode: 0, logDir: broker.config.logDir, topics: topics,
                                                       totalBytes: space?.total ?? -1, usableBytes: space?.usable ?? -1)])
    }

    /// The size of the file system holding `path` and the bytes an unprivileged process may still
    /// use there, or nil when statvfs fails.
    static func fileSystemSpace(_ path: String) -> (total: Int64, usable: Int64)? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let fragment = Int64(stats.f_frsize)
        return (Int64(stats.f_blocks) * fragment, Int64(stats.f_bavail) * fragment)
    }
}
