import KafkaProtocol
import NIOCore
import NIOPosix

/// A Prometheus text-format endpoint (`GET /metrics`) with Kafka's metric names, so dashboards and the
/// lab read the same figures operators know: UnderReplicatedPartitions, UnderMinIsrPartitionCount,
/// AtMinIsrPartitionCount, OfflinePartitionsCount, ActiveControllerCount, LeaderCount, PartitionCount,
/// IsrShrinksTotal, IsrExpandsTotal. A minimal HTTP/1.0 server: one request per connection.
final class MetricsServer: Sendable {
    private let channel: any Channel

    static func start(host: String, port: Int, group: EventLoopGroup, services: BrokerServices) async throws -> MetricsServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(services: services))
                }
            }
        return MetricsServer(channel: try await bootstrap.bind(host: host, port: port).get())
    }

    private init(channel: any Channel) { self.channel = channel }

    func close() async { try? await channel.close() }

    static func render(_ services: BrokerServices) -> String {
        let brokerId = services.config.brokerId
        let cluster = services.metadata.snapshot
        var underReplicated = 0, underMinIsr = 0, atMinIsr = 0, leaders = 0
        let partitions = services.replicaManager.allPartitions
        for partition in partitions {
            let state = partition.replicaState
            guard state.isLeader else { continue }
            leaders += 1
            if state.isUnderReplicated { underReplicated += 1 }
            if state.isUnderMinIsr { underMinIsr += 1 }
            if state.isAtMinIsr { atMinIsr += 1 }
        }
        let isController = cluster.controllerId == brokerId
        let offline = isController ? cluster.partitions.values.filter { $0.leader < 0 }.count : 0
        let metrics = services.metrics
        let storage = services.replicaManager.logDirectory.health.counts
        let appendConditions = services.replicaManager.logDirectory.health.activeAppendConditions.count
        let lines: [(String, String, Int64)] = [
            ("kafka_server_replicamanager_underreplicatedpartitions", "Leader partitions whose ISR is smaller than the replica set.", Int64(underReplicated)),
            ("kafka_server_replicamanager_underminisrpartitioncount", "Leader partitions whose ISR is below min.insync.replicas.", Int64(underMinIsr)),
            ("kafka_server_replicamanager_atminisrpartitioncount", "Leader partitions whose ISR equals min.insync.replicas.", Int64(atMinIsr)),
            ("kafka_server_replicamanager_leadercount", "Partitions this broker leads.", Int64(leaders)),
            ("kafka_server_replicamanager_partitioncount", "Partitions hosted on this broker.", Int64(partitions.count)),
            ("kafka_server_replicamanager_isrshrinks_total", "ISR shrinks committed by this broker as leader.", metrics.isrShrinks.value),
            ("kafka_server_replicamanager_isrexpands_total", "ISR expansions committed by this broker as leader.", metrics.isrExpands.value),
            ("kafka_controller_kafkacontroller_activecontrollercount", "1 on the active controller, else 0.", isController ? 1 : 0),
            ("kafka_controller_kafkacontroller_offlinepartitionscount", "Partitions without a leader (reported by the controller).", Int64(offline)),
            ("kafka_controller_controllerstats_uncleanleaderelections_total", "Unclean leader elections made by this controller.", metrics.uncleanLeaderElections.value),
            ("kafka_network_requests_total", "Requests received.", metrics.requests.value),
            ("kafka_server_brokertopicmetrics_bytesin_total", "Request bytes received.", metrics.bytesIn.value),
            ("kafka_server_brokertopicmetrics_bytesout_total", "Response bytes sent.", metrics.bytesOut.value),
            ("samsa_produce_rejected_batches_total", "Produced batches refused by validation, nothing of them appended.",
             metrics.rejectedProduceBatches.value),
            ("samsa_log_corruptions_found_total", "Damaged stretches found in segment files (each once), at startup or on read.", storage.corruptionsFound),
            ("samsa_log_corrupt_reads_total", "Fetch reads answered CORRUPT_MESSAGE because they started in damaged data.", storage.corruptReads),
            ("samsa_log_append_errors_total", "Appends that failed with an I/O error (answered KAFKA_STORAGE_ERROR when rolled back).", storage.appendErrors),
            ("samsa_log_append_rollback_failures_total", "Failed appends whose partial write could not be cut back (answered REQUEST_TIMED_OUT).", storage.appendRollbackFailures),
            ("samsa_log_read_errors_total", "Fetch reads that failed with an I/O error (KAFKA_STORAGE_ERROR).", storage.readErrors),
            ("samsa_log_append_error_conditions", "I/O error conditions (distinct errno) under way on appends; 0 once an append succeeds.", Int64(appendConditions)),
        ]
        var text = ""
        for (name, help, value) in lines {
            let type = name.hasSuffix("_total") ? "counter" : "gauge"
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name){broker=\"\(brokerId)\"} \(value)\n"
        }
        text += metrics.requestTotalTime.render(brokerId: brokerId)
        text += partitionGauges(partitions, brokerId: brokerId)
        return text
    }

    /// Per-partition offsets and ISR size as this broker sees them (the lab's observers sample the
    /// leaders' figures): Kafka exposes the same through JMX (kafka.log:type=Log,name=LogEndOffset).
    static func partitionGauges(_ partitions: [Partition], brokerId: Int32) -> String {
        let families: [(String, String, (Partition.Status) -> Int64)] = [
            ("samsa_partition_high_watermark", "High watermark of the partition on this broker.", { $0.highWatermark }),
            ("samsa_partition_log_end_offset", "Log end offset of the partition on this broker.", { $0.logEndOffset }),
            ("samsa_partition_log_start_offset", "Log start offset of the partition on this broker.", { $0.logStartOffset }),
            ("samsa_partition_isr_size", "ISR size as this broker knows it.", { Int64($0.isr.count) }),
            ("samsa_partition_leader_epoch", "Leader epoch as this broker knows it.", { Int64($0.leaderEpoch) }),
        ]
        let statuses = partitions.map { ($0.topicPartition, $0.status) }.sorted { $0.0 < $1.0 }
        var text = ""
        for (name, help, value) in families {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for (tp, status) in statuses {
                let role = status.role == .leader && !status.fenced ? "leader" : status.role == .follower ? "follower" : "none"
                text += "\(name){broker=\"\(brokerId)\",topic=\"\(tp.topic)\",partition=\"\(tp.partition)\",role=\"\(role)\"} \(value(status))\n"
            }
        }
        return text
    }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    /// A scrape request is a few hundred bytes; anything longer is not one.
    static let maxRequestBytes = 8192
    private let services: BrokerServices
    private var received = ByteBuffer()

    init(services: BrokerServices) { self.services = services }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        let text = String(buffer: received)
        guard text.contains("\r\n\r\n") || text.contains("\n\n") || received.readableBytes > Self.maxRequestBytes else { return }
        let firstLine = text.split(separator: "\n").first.map(String.init) ?? ""
        let ok = firstLine.hasPrefix("GET /metrics") || firstLine.hasPrefix("GET / ")
        let status = ok ? "200 OK" : "404 Not Found"
        let services = self.services
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // Rendering takes every partition's lock, which an append or a flush holds while it waits for
        // the disk: on a storage thread, not on this loop, which also serves Kafka connections.
        services.replicaManager.storage.run(on: context.eventLoop) {
            ok ? MetricsServer.render(services) : "not found\n"
        }.whenComplete { result in
            let (handler, context) = bound.value
            let body = (try? result.get()) ?? "storage threads unavailable\n"
            var response = context.channel.allocator.buffer(capacity: body.utf8.count + 128)
            response.writeString("HTTP/1.0 \(status)\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
            let channel = context.channel
            context.writeAndFlush(handler.wrapOutboundOut(response)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
