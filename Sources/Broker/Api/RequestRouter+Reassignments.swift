import KafkaProtocol
import NIOCore
import Replication

extension RequestRouter {
    /// AlterPartitionReassignments (kafka-reassign-partitions --execute, --cancel): the controller
    /// starts each move (or cancels it) and answers once started; another broker answers
    /// NOT_CONTROLLER, and clients send it to the controller. A standalone broker cannot move a
    /// partition: its only broker holds every replica, so each move is INVALID_REPLICA_ASSIGNMENT
    /// unless it names that broker alone, which is no move (NO_REASSIGNMENT_IN_PROGRESS for a cancel).
    func handleAlterPartitionReassignments(_ request: AlterPartitionReassignmentsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        var moves: [TopicPartition: [Int32]?] = [:]
        var duplicates: Set<TopicPartition> = []
        for topic in request.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic.name, partition.partitionIndex)
                if moves.updateValue(partition.replicas, forKey: tp) != nil { duplicates.insert(tp) }
            }
        }
        let order = request.topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.name, $0.partitionIndex) } }.uniqued()
        @Sendable func respond(_ results: [TopicPartition: (ErrorCode, String?)], errorCode: ErrorCode = .none, message: String? = nil) -> any KafkaMessage {
            let topics = order.map(\.topic).uniqued()
            return AlterPartitionReassignmentsResponse(allowReplicationFactorChange: request.allowReplicationFactorChange, errorCode: errorCode.rawValue,
                                                       errorMessage: message, responses: topics.map { topic in
                AlterPartitionReassignmentsResponse.Topic(name: topic, partitions: order.filter { $0.topic == topic }.map { tp in
                    let (code, text) = results[tp] ?? (errorCode == .none ? .unknownServerError : errorCode, message)
                    return .init(partitionIndex: tp.partition, errorCode: code.rawValue, errorMessage: text)
                })
            })
        }
        var refused: [TopicPartition: (ErrorCode, String?)] = [:]
        for tp in duplicates {
            refused[tp] = (.invalidRequest, "partition \(tp) appears more than once in the request")
            moves[tp] = nil
        }
        let loop = context.eventLoop
        guard let cluster = broker.cluster else {
            let snapshot = broker.metadata.snapshot
            var results = refused
            for (tp, target) in moves {
                if snapshot.partitions[tp] == nil {
                    results[tp] = (.unknownTopicOrPartition, "partition \(tp) does not exist")
                } else if let target {
                    results[tp] = target == [broker.config.brokerId]
                        ? (.none, nil) : (.invalidReplicaAssignment, "a standalone broker holds every replica itself; \(target) names other brokers")
                } else {
                    results[tp] = (.noReassignmentInProgress, "partition \(tp) has no reassignment in progress")
                }
            }
            return loop.makeSucceededFuture(respond(results))
        }
        let controller = cluster.controller
        let wanted = moves
        let promise = loop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            do {
                let results = try await cluster.session.run { zk in
                    try controller.alterPartitionReassignments(zk, wanted, allowReplicationFactorChange: request.allowReplicationFactorChange)
                }
                guard let results else { return respond([:], errorCode: .notController, message: "this broker is not the controller") }
                return respond(results.merging(refused) { _, refusal in refusal })
            } catch {
                return respond([:], errorCode: .unknownServerError, message: "ZooKeeper: \(error)")
            }
        }
        return promise.futureResult
    }

    /// ListPartitionReassignments (kafka-reassign-partitions --list): the controller's moves in
    /// progress; another broker answers NOT_CONTROLLER. A standalone broker has none.
    func handleListPartitionReassignments(_ request: ListPartitionReassignmentsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let wanted: [TopicPartition]? = request.topics.map { topics in
            topics.flatMap { topic in topic.partitionIndexes.map { TopicPartition(topic.name, $0) } }
        }
        @Sendable func respond(_ moves: [TopicPartition: PartitionReassignment], errorCode: ErrorCode = .none, message: String? = nil) -> any KafkaMessage {
            let byTopic = Dictionary(grouping: moves.keys, by: \.topic)
            return ListPartitionReassignmentsResponse(errorCode: errorCode.rawValue, errorMessage: message, topics: byTopic.keys.sorted().map { topic in
                .init(name: topic, partitions: byTopic[topic]!.sorted().map { tp in
                    let move = moves[tp]!
                    return .init(partitionIndex: tp.partition, replicas: move.replicas, addingReplicas: move.adding, removingReplicas: move.removing)
                })
            })
        }
        let loop = context.eventLoop
        guard let cluster = broker.cluster else { return loop.makeSucceededFuture(respond([:])) }
        let controller = cluster.controller
        let promise = loop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            do {
                let moves = try await cluster.session.run { _ in controller.partitionReassignments(wanted) }
                guard let moves else { return respond([:], errorCode: .notController, message: "this broker is not the controller") }
                return respond(moves)
            } catch {
                return respond([:], errorCode: .unknownServerError, message: "ZooKeeper: \(error)")
            }
        }
        return promise.futureResult
    }
}
