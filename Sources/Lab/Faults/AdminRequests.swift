import FaultModel
import KafkaClient
import KafkaProtocol
import Logging
import Verification

/// Sends the fault grammar's admin requests (`elect-leaders`, `reassign`) with the lab's own
/// client, over the Kafka protocol only, so a local lab and an external cluster run them alike.
///
/// Each is one request to the controller, answered once: the wait is bounded by the client's
/// timeouts (a Metadata refresh to find the controller, the connect, then the request with its
/// own timeout plus 5 s). The answer is recorded on the timeline as an `AdminRecord` (`kind:
/// "admin"`) with the partition's error code as `outcome`. A code other than NONE, or no answer,
/// is a refusal: the response fails with the code, as a fault the engine cannot apply fails, so a
/// schedule's step is `refused`, never fatal. A reassignment's answer means the controller took the
/// new replica set; the move itself (copying, then the ISR catching up) goes on after it.
public enum AdminRequests {
    public static func send(_ command: FaultCommand, client: KafkaCluster, timeline: TimelineLog, logger: Logger) async -> ControlResponse {
        guard let (topic, partition) = command.adminPartition else { return .failure("'\(command.name)' is not an admin request") }
        let started = ContinuousClock.now
        let answer = await self.answer(command, TopicPartition(topic, partition), admin: KafkaAdmin(cluster: client))
        let tookMs = (ContinuousClock.now - started).milliseconds
        let record = AdminRecord(command: command, topic: topic, partition: partition, outcome: answer.outcome, message: answer.message,
                                 error: answer.error, tookMs: tookMs)
        timeline.append(.admin(record))
        let detail = answer.message.map { " (\($0))" } ?? ""
        guard let outcome = answer.outcome else {
            logger.warning("\(command): no answer: \(answer.error ?? "")")
            return .failure("\(command): no answer from the cluster: \(answer.error ?? "unknown")")
        }
        logger.info("\(command): \(outcome)\(detail) in \(tookMs) ms")
        guard record.accepted else { return .failure("\(command): the cluster refused it: \(outcome)\(detail)") }
        let what: String
        switch command {
        case .reassign(_, _, nil): what = "reassignment cancelled"
        case .reassign: what = "reassignment started"
        default: what = "leader elected"
        }
        return ControlResponse(ok: true, message: "\(command): \(outcome), \(what)", error: nil, fault: nil, ended: nil, status: nil)
    }

    /// The partition's error code by name and the broker's message; or, when no answer came, why.
    static func answer(_ command: FaultCommand, _ tp: TopicPartition, admin: KafkaAdmin) async -> (outcome: String?, message: String?, error: String?) {
        do {
            switch command {
            case .electLeaders(_, _, let election):
                let results = try await admin.electLeaders([tp], type: election == .unclean ? .unclean : .preferred)
                guard let code = results[tp] else { return (nil, nil, "ElectLeaders answered nothing for \(tp.topic)/\(tp.partition)") }
                return (code, nil, nil)
            case .reassign(_, _, let replicas):
                try await admin.reassignPartition(tp, replicas: replicas)
                return (ErrorCode.none.name, nil, nil)
            default:
                return (nil, nil, "'\(command.name)' is not an admin request")
            }
        } catch KafkaClientError.broker(let code, let message) {
            return (code.name, message.flatMap { $0.isEmpty ? nil : $0 }, nil)
        } catch {
            return (nil, nil, "\(error)")
        }
    }
}
