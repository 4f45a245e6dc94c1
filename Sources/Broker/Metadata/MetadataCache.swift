import KafkaProtocol
import NIOConcurrencyHelpers

/// The broker's current `ClusterMetadata`, replaced atomically on each update and read as an
/// immutable snapshot. Owner: the lock; readers get a copy and never hold the lock while they work.
public final class MetadataCache: Sendable {
    private let box: NIOLockedValueBox<ClusterMetadata>

    public init(_ initial: ClusterMetadata) { box = NIOLockedValueBox(initial) }

    public var snapshot: ClusterMetadata { box.withLockedValue { $0 } }

    public func update(_ body: (inout ClusterMetadata) -> Void) {
        box.withLockedValue { body(&$0) }
    }
}
