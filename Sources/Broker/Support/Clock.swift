#if canImport(Glibc)
import Glibc
#endif

/// The broker's two clocks. Wall-clock milliseconds stamp records and events; monotonic milliseconds
/// drive every timeout and lag computation, so a wall-clock step never expires a follower.
public enum BrokerClock {
    public static func wallMs() -> Int64 { wallNs() / 1_000_000 }

    public static func wallNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public static func monotonicMs() -> Int64 { monotonicNs() / 1_000_000 }

    public static func monotonicNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
