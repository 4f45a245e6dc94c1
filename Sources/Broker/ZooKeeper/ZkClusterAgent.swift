import Coordination
import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import SamsaConfig

/// This broker's membership in a ZooKeeper-mode cluster: registers `/brokers/ids/N` in each new
/// session, runs the controller election through the ephemeral `/controller` node, and hands watch
/// events to the controller while this broker holds that role.
///
/// Owner: everything runs on the ZooKeeper queue; `controllerId` is also read by request handlers,
/// through its lock.
public final class ZkClusterAgent: @unchecked Sendable {
    let brokerId: Int32
    let advertised: HostPort
    let session: ZkSession
    let controller: Controller
    let metadata: MetadataCache
    let logger: Logger
    private let knownController = NIOLockedValueBox<Int32>(-1)
    /// Applies topic configs re-read after a `/config/changes` notification.
    let applyTopicConfigs: @Sendable ([String: [String: String]]) -> Void

    init(brokerId: Int32, advertised: HostPort, session: ZkSession, controller: Controller, metadata: MetadataCache, logger: Logger,
         applyTopicConfigs: @escaping @Sendable ([String: [String: String]]) -> Void) {
        self.applyTopicConfigs = applyTopicConfigs
        self.brokerId = brokerId
        self.advertised = advertised
        self.session = session
        self.controller = controller
        self.metadata = metadata
        self.logger = logger
    }

    public var controllerId: Int32 { knownController.withLockedValue { $0 } }
    var isController: Bool { controller.active }

    /// Called on the ZooKeeper queue for every session event.
    func handle(_ event: ZkSessionEvent) {
        do {
            switch event {
            case .newSession:
                try session.onQueue { zk in try self.register(zk) }
            case .expired:
                controller.resign(reason: "ZooKeeper session expired")
            case .disconnected, .reconnected:
                break
            case .watch(let watch):
                try session.onQueue { zk in
                    if watch.path == ZkPaths.controller {
                        try self.elect(zk)
                    } else if watch.path == ZkPaths.configChanges {
                        try self.rereadTopicConfigs(zk)
                    } else {
                        try self.controller.handle(watch, zk)
                    }
                }
            }
        } catch is ControllerFenced {
            controller.resign(reason: "fenced by a newer controller epoch")
            try? session.onQueue { zk in try self.elect(zk) }
        } catch {
            logger.error("ZooKeeper event \(event) failed: \(error)")
        }
    }

    /// Kafka's cluster id: the first broker of the ensemble creates `/cluster/id`, every broker
    /// (this one included, in every session) reports what the node holds.
    private func adoptClusterId(_ zk: any CoordinationClient) throws {
        try zk.createParents(of: ZkPaths.clusterId)
        let proposed = ZkClusterId(id: LocalControlPlane.newClusterId())
        let stored = try zk.createOrGet(ZkPaths.clusterId, data: ZkJSON.encode(proposed))
        let clusterId = try ZkJSON.decode(ZkClusterId.self, stored.data, path: ZkPaths.clusterId).id
        metadata.update { $0.clusterId = clusterId }
        if stored.created { logger.info("created cluster id \(clusterId)") }
    }

    private func register(_ zk: any CoordinationClient) throws {
        for path in ZkPaths.persistentParents { try zk.ensurePath(path) }
        try adoptClusterId(zk)
        let registration = ZkBrokerRegistration(host: advertised.host, port: advertised.port, timestampMs: BrokerClock.wallMs())
        let path = ZkPaths.broker(brokerId)
        let deadline = BrokerClock.monotonicMs() + Int64(session.sessionTimeoutMs) * 2
        while true {
            do {
                _ = try zk.create(path, data: ZkJSON.encode(registration), mode: .ephemeral)
                break
            } catch CoordinationError.nodeExists {
                // The previous session's node lingers until the server expires it.
                if let stat = try zk.exists(path, watch: false), stat.ephemeralOwner == zk.sessionId { break }
                guard BrokerClock.monotonicMs() < deadline else {
                    throw BrokerStartupError("broker id \(brokerId) is registered by another live session")
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        logger.info("registered as broker \(brokerId) at \(advertised)")
        try rereadTopicConfigs(zk)
        try elect(zk)
    }

    /// Re-arms the `/config/changes` watch and re-reads the config of every topic this broker or its
    /// controller knows: any notification may be about any of them, and older ones are trimmed.
    func rereadTopicConfigs(_ zk: any CoordinationClient) throws {
        _ = try zk.children(ZkPaths.configChanges, watch: true)
        let topics = Set(metadata.snapshot.topicNames).union(controller.active ? Array(controller.machine.assignments.keys) : [])
        var configs: [String: [String: String]] = [:]
        for topic in topics.sorted() {
            let path = ZkPaths.topicConfig(topic)
            do {
                configs[topic] = try ZkJSON.decode(ZkTopicConfig.self, try zk.get(path, watch: false).data, path: path).config
            } catch CoordinationError.noNode {
                configs[topic] = [:]
            }
        }
        if controller.active { controller.machine.onTopicConfigsRead(configs) }
        applyTopicConfigs(configs)
    }

    /// Kafka's election: whoever creates the ephemeral `/controller` is controller; everyone else
    /// watches it and tries again when it goes away.
    func elect(_ zk: any CoordinationClient) throws {
        let node = ZkControllerNode(brokerid: brokerId, timestamp: String(BrokerClock.wallMs()))
        do {
            _ = try zk.create(ZkPaths.controller, data: ZkJSON.encode(node), mode: .ephemeral)
            knownController.withLockedValue { $0 = brokerId }
            _ = try zk.exists(ZkPaths.controller, watch: true)
            do {
                try controller.activate(zk)
            } catch {
                controller.resign(reason: "activation failed: \(error)")
                try? zk.delete(ZkPaths.controller, expectedVersion: NodeStat.anyVersion)
                throw error
            }
        } catch CoordinationError.nodeExists {
            guard let stat = try zk.exists(ZkPaths.controller, watch: true) else { return try elect(zk) }
            let current: Int32
            do {
                let data = try zk.get(ZkPaths.controller, watch: false).data
                current = try ZkJSON.decode(ZkControllerNode.self, data, path: ZkPaths.controller).brokerid
            } catch CoordinationError.noNode {
                return try elect(zk)
            }
            knownController.withLockedValue { $0 = current }
            if current != brokerId || stat.ephemeralOwner != zk.sessionId {
                controller.resign(reason: "broker \(current) is controller")
            }
        }
    }
}
