import Foundation

extension LabSession {
    /// The record `start` writes once the lab is ready and `stop` removes (see `LabReadiness`).
    public var readiness: LabReadiness {
        LabReadiness(bootstrap: cluster.bootstrap,
                     brokers: cluster.brokers.map { LabReadiness.Broker(id: $0.id, port: $0.clientPort, pid: $0.pid) },
                     zookeeper: cluster.zookeeperConnect ?? "",
                     controlSocket: cluster.run.path + "/control.sock",
                     pid: getpid(), directory: cluster.run.path)
    }
}
