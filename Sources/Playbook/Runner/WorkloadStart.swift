import Foundation
import Lab

/// Starting a plan's workload processes and waiting for them, the same for a lab run and an
/// external one: process names (`producer-1-2`) are what the checkers' parameters and reports use.
enum WorkloadStart {
    /// The process names of the `index`th (0-based) producer or consumer entry's instances; a
    /// transactional producer's or transform's name is also its `transactional.id`.
    static func producerNames(_ index: Int, _ producer: RunPlan.Producer) -> [String] {
        (1...max(1, producer.instances)).map { "producer-\(index + 1)-\($0)" }
    }

    static func consumerNames(_ index: Int, _ consumer: RunPlan.Consumer) -> [String] {
        (1...max(1, consumer.instances)).map { "consumer-\(index + 1)-\($0)" }
    }

    static func start(_ workloads: Workloads, plan: RunPlan) throws {
        let seconds = Double(plan.durationMs) / 1000
        for (index, producer) in plan.producers.enumerated() {
            for name in producerNames(index, producer) {
                try workloads.startProducer(name, producer.settings, durationSeconds: seconds)
            }
        }
        for (index, consumer) in plan.consumers.enumerated() {
            for name in consumerNames(index, consumer) {
                var spec = ConsumerSpec(topic: consumer.topic, group: consumer.group)
                spec.assign = consumer.assign
                spec.commit = consumer.commit
                spec.isolation = consumer.isolation ?? .readUncommitted
                spec.transform = consumer.transform
                spec.drainSeconds = Double(min(plan.settleMs, 30_000)) / 1000
                try workloads.startConsumer(name, spec, durationSeconds: seconds)
            }
        }
    }

    /// Waits (bounded by `timeoutMs`) for the workload processes to end by themselves, giving up
    /// early when the run is asked to stop.
    static func waitForWorkloads(_ workloads: Workloads, timeoutMs: Int, stopRequest: RunStopRequest) async {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        while ContinuousClock.now < deadline, stopRequest.signal == nil, !Task.isCancelled {
            if workloads.running.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(200))
        }
        if stopRequest.signal != nil || Task.isCancelled { return }
        let left = max(0, Int((deadline - ContinuousClock.now).components.seconds * 1000))
        await Blocking.run { workloads.waitAll(timeoutMs: left) }
    }
}
