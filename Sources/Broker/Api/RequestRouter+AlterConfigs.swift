import KafkaProtocol
import NIOCore

extension RequestRouter {
    /// AlterConfigs: replaces each topic's overrides with the given set (null values dropped).
    func handleAlterConfigs(_ request: AlterConfigsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let changes = request.resources.map { resource in
            ConfigResourceChange(type: resource.resourceType, name: resource.resourceName,
                                 change: .replace(Dictionary(resource.configs.compactMap { config in config.value.map { (config.name, $0) } },
                                                             uniquingKeysWith: { _, b in b })),
                                 duplicateKey: Self.firstDuplicate(resource.configs.map(\.name)))
        }
        return alterConfigs(changes, validateOnly: request.validateOnly, context) { AlterConfigsResponse(responses: $0) }
    }

    /// IncrementalAlterConfigs: sets, deletes, appends to or subtracts from single topic overrides.
    func handleIncrementalAlterConfigs(_ request: IncrementalAlterConfigsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let changes = request.resources.map { resource in
            ConfigResourceChange(type: resource.resourceType, name: resource.resourceName,
                                 change: .incremental(resource.configs.map { .init(name: $0.name, operation: $0.operation, value: $0.value) }),
                                 duplicateKey: nil)
        }
        return alterConfigs(changes, validateOnly: request.validateOnly, context) { IncrementalAlterConfigsResponse(responses: $0) }
    }

    struct ConfigResourceChange: Sendable {
        var type: Int8
        var name: String
        var change: TopicConfigChange
        /// A key the request names twice for this resource (AlterConfigs; the incremental change checks its own).
        var duplicateKey: String?
    }

    static func firstDuplicate(_ names: [String]) -> String? {
        var seen: Set<String> = []
        return names.first { !seen.insert($0).inserted }
    }

    /// Topics go to the control plane one by one; broker configs are static in Samsa (they come from
    /// server.properties), so a broker resource is refused with INVALID_REQUEST, as Kafka refuses a
    /// config it cannot change dynamically; a resource named twice is refused as Kafka does.
    private func alterConfigs(_ changes: [ConfigResourceChange], validateOnly: Bool, _ context: RequestContext,
                              _ respond: @escaping @Sendable ([AlterConfigsResourceResult]) -> any KafkaMessage) -> EventLoopFuture<(any KafkaMessage)?> {
        let controlPlane = broker.controlPlane
        let repeated = Set(changes.map { "\($0.type)/\($0.name)" }.filter { key in changes.filter { "\($0.type)/\($0.name)" == key }.count > 1 })
        let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            var results: [AlterConfigsResourceResult] = []
            for change in changes {
                func answer(_ code: ErrorCode, _ message: String?) {
                    results.append(AlterConfigsResourceResult(errorCode: code.rawValue, errorMessage: message, resourceType: change.type, resourceName: change.name))
                }
                if repeated.contains("\(change.type)/\(change.name)") {
                    answer(.invalidRequest, "resource '\(change.name)' appears more than once in the request")
                    continue
                }
                switch ResourceType(rawValue: change.type) {
                case .topic:
                    if let key = change.duplicateKey {
                        answer(.invalidRequest, "config '\(key)' appears more than once")
                        continue
                    }
                    let result = await controlPlane.alterTopicConfigs(change.name, change.change, validateOnly: validateOnly)
                    answer(result.errorCode, result.errorCode == .none ? nil : result.message)
                case .broker:
                    answer(.invalidRequest, "broker configs cannot be changed at run time: set them in server.properties and restart the broker")
                case nil:
                    answer(.invalidRequest, "resource type \(change.type) is not supported")
                }
            }
            return respond(results)
        }
        return promise.futureResult
    }
}
