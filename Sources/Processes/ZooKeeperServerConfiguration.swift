/// How a standalone ZooKeeper is laid out and started for tests and the lab. Everything lives in
/// `directory`: `zoo.cfg`, `log4j.properties`, `data/`, `zookeeper.log` (the server's log) and
/// `console.log` (the JVM's stdout and stderr, normally empty). Starting again on the same directory
/// and port keeps the data, which is how the lab restarts ZooKeeper.
public struct ZooKeeperServerConfiguration: Sendable {
    public var directory: String
    /// nil: pick a free port.
    public var clientPort: Int?
    /// ZooKeeper's time unit. Session timeouts are negotiated in multiples of it and its defaults
    /// clamp them to [2, 20] ticks, so a small tick lets the lab use short sessions.
    public var tickTimeMs = 200
    /// nil: 2 ticks (ZooKeeper's default).
    public var minSessionTimeoutMs: Int?
    /// Allows the 1–20 s sessions brokers and tests ask for, whatever the tick.
    public var maxSessionTimeoutMs = 20_000
    /// A lab ZooKeeper holds a few thousand small znodes; it starts with about 80 MB resident.
    public var maxHeapMegabytes = 256
    /// Bound on the wait until the server serves requests (usually under 2 s; the machine may be loaded).
    public var startTimeoutMs = 30_000
    /// How long `stop()` waits after SIGTERM before SIGKILL.
    public var stopGraceMs = 5_000
    /// fsync of the transaction log. Off by default: the lab kills processes, not machines, and a
    /// killed process's writes survive in the page cache; fsyncs only slow the shared disk.
    public var forceSync = false
    public var javaPath = "/usr/bin/java"
    /// `setpriv` (util-linux) sets the parent-death signal; see `ChildProcess`.
    public var setprivPath: String? = "/usr/bin/setpriv"
    /// Debian's `zookeeper` package: the server jar (its manifest names its other dependencies)
    /// plus log4j 1.2 and its SLF4J binding, which is the logging the package is configured for.
    /// Named one by one: `/usr/share/java/*` holds several SLF4J bindings and SLF4J would pick one
    /// at random, with a warning on stderr.
    public var classPath = [
        "/usr/share/java/zookeeper.jar",
        "/usr/share/java/slf4j-log4j12.jar",
        "/usr/share/java/log4j-1.2.jar",
    ]

    public init(directory: String, clientPort: Int? = nil) {
        self.directory = directory
        self.clientPort = clientPort
    }

    public var configPath: String { directory + "/zoo.cfg" }
    public var logPropertiesPath: String { directory + "/log4j.properties" }
    public var dataDirectory: String { directory + "/data" }
    public var logPath: String { directory + "/zookeeper.log" }
    public var consolePath: String { directory + "/console.log" }

    /// The server configuration. `maxClientCnxns=0` lifts the per-IP connection limit, since every
    /// broker and observer connects from 127.0.0.1; the admin server is off because each instance
    /// would want port 8080; the four-letter words allowed are the health checks the lab uses.
    public func zooCfg(port: Int) -> String {
        let minSession = minSessionTimeoutMs ?? 2 * tickTimeMs
        return """
            tickTime=\(tickTimeMs)
            dataDir=\(dataDirectory)
            clientPort=\(port)
            clientPortAddress=127.0.0.1
            minSessionTimeout=\(minSession)
            maxSessionTimeout=\(max(maxSessionTimeoutMs, minSession))
            maxClientCnxns=0
            admin.enableServer=false
            4lw.commands.whitelist=ruok,stat,mntr,srvr
            forceSync=\(forceSync ? "yes" : "no")
            preAllocSize=4096
            autopurge.snapRetainCount=3
            autopurge.purgeInterval=1

            """
    }

    /// log4j 1.2 configuration: everything at INFO to `zookeeper.log`, rolled at 10 MB with two
    /// backups so a long lab run cannot fill the disk.
    public var logProperties: String {
        """
        log4j.rootLogger=INFO, FILE
        log4j.appender.FILE=org.apache.log4j.RollingFileAppender
        log4j.appender.FILE.File=\(logPath)
        log4j.appender.FILE.MaxFileSize=10MB
        log4j.appender.FILE.MaxBackupIndex=2
        log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
        log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n

        """
    }

    /// The JVM command line after `java`. Serial GC and the C1 compiler only: the server is tiny and
    /// the machine's cores are shared with brokers, so start-up time and footprint matter, not
    /// throughput. No perf-data file in /tmp; exit at once on out-of-memory rather than limp on.
    public var javaArguments: [String] {
        [
            "-Xms32m", "-Xmx\(maxHeapMegabytes)m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
            "-Dzookeeper.log.dir=\(directory)", "-Dzookeeper.root.logger=INFO,FILE",
            "-Dlog4j.configuration=file:\(logPropertiesPath)",
            "-cp", classPath.joined(separator: ":"),
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", configPath,
        ]
    }
}
