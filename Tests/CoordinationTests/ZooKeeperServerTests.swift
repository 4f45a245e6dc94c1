import Coordination
import Processes
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The launcher the lab uses: configuration, readiness, process hygiene, restarts. Each test that
/// needs a server starts its own in a temporary directory.
@Suite(.serialized)
struct ZooKeeperServerTests {
    private func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("samsa-zk-\(UUID().uuidString.prefix(8))").path
    }

    @Test func configurationHasTheLabSettings() {
        var configuration = ZooKeeperServerConfiguration(directory: "/run/zk")
        configuration.tickTimeMs = 100
        let cfg = configuration.zooCfg(port: 2999).split(separator: "\n").map(String.init)
        for line in [
            "tickTime=100", "dataDir=/run/zk/data", "clientPort=2999", "clientPortAddress=127.0.0.1",
            "minSessionTimeout=200", "maxSessionTimeout=20000", "maxClientCnxns=0",
            "admin.enableServer=false", "4lw.commands.whitelist=ruok,stat,mntr,srvr",
        ] {
            #expect(cfg.contains(line), "zoo.cfg lacks \(line)")
        }
        let arguments = configuration.javaArguments
        #expect(arguments.contains("-Xmx256m"))
        #expect(arguments.contains("-Dlog4j.configuration=file:/run/zk/log4j.properties"))
        #expect(arguments.suffix(2) == ["org.apache.zookeeper.server.quorum.QuorumPeerMain", "/run/zk/zoo.cfg"])
        #expect(configuration.logProperties.contains("log4j.appender.FILE.File=/run/zk/zookeeper.log"))
    }

    @Test func serverAnswersFourLetterWordsFromItsOwnProcessGroupAndStops() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ZooKeeperServer.start(ZooKeeperServerConfiguration(directory: directory))
        defer { server.stop() }
        #expect(try server.fourLetterWord("ruok") == "imok")
        #expect(try server.fourLetterWord("srvr").contains("Mode: standalone"))
        #expect(try server.fourLetterWord("mntr").contains("zk_server_state\tstandalone"))
        #expect(getpgid(server.pid) == server.pid, "its own process group, away from the terminal's Ctrl-C")
        #expect(FileManager.default.fileExists(atPath: directory + "/zookeeper.log"))
        #expect(try String(contentsOfFile: directory + "/console.log", encoding: .utf8).isEmpty, "logs go to zookeeper.log")

        let outcome = server.stop()
        #expect(outcome.hasPrefix("exited") || outcome.hasPrefix("killed"))
        #expect(!server.isRunning)
        #expect(kill(server.pid, 0) == -1 && errno == ESRCH, "reaped, not a zombie")
        #expect(throws: ZooKeeperServer.Failure.self) { try server.fourLetterWord("ruok", timeoutMs: 500) }
    }

    @Test func restartOnTheSameDirectoryKeepsDataAndTheSession() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try ZooKeeperServer.start(ZooKeeperServerConfiguration(directory: directory))
        defer { first.stop() }
        let events = EventRecorder()
        let client = try ZooKeeperClient.connect(
            connectString: first.connectString, sessionTimeoutMs: 15_000, logger: testLogger, onEvent: events.handler)
        defer { client.close() }
        try client.create("/brokers", data: bytes("kept"), mode: .persistent)
        try client.create("/brokers/1", data: [], mode: .ephemeral)

        first.stop()
        #expect(events.waitFor(.session(.disconnected)))
        #expect(throws: CoordinationError.connectionLoss(path: "/brokers")) { try client.get("/brokers") }

        let second = try ZooKeeperServer.start(ZooKeeperServerConfiguration(directory: directory, clientPort: first.port))
        defer { second.stop() }
        // A JVM start on a loaded machine (tests run in parallel) can take most of the default wait.
        #expect(events.waitFor(.session(.connected(sessionId: client.sessionId)), occurrences: 2, timeoutMs: 40_000))
        #expect(try client.get("/brokers").data == bytes("kept"))
        #expect(try client.exists("/brokers/1")?.ephemeralOwner == client.sessionId, "the session survived the restart")
    }

    @Test func serverThatCannotStartFailsWithItsOutput() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ZooKeeperServerConfiguration(directory: directory)
        configuration.javaPath = "/nonexistent/java"
        let error = try #require(throws: ZooKeeperServer.Failure.self) { try ZooKeeperServer.start(configuration) }
        #expect(error.description.contains("exited with"))
        #expect(error.description.contains("/nonexistent/java"), "the tail of console.log names the cause")
    }

    @Test func connectingWhereNothingListensTimesOut() throws {
        let port = try ZooKeeperServer.freeLoopbackPort()
        let started = Date()
        #expect(throws: CoordinationError.connectTimeout(connectString: "127.0.0.1:\(port)", timeoutMs: 1_000)) {
            try ZooKeeperClient.connect(
                connectString: "127.0.0.1:\(port)", connectTimeoutMs: 1_000, logger: testLogger)
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func childrenGetTheParentDeathSignal() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/out.txt"
        let script = "import ctypes; s = ctypes.c_int(); ctypes.CDLL(None).prctl(2, ctypes.byref(s)); print(s.value)"
        let pid = try ChildProcess.spawn(
            executable: "/usr/bin/python3", arguments: ["-c", script], options: ChildProcess.Options(outputPath: output))
        let status = try #require(ChildProcess.waitForExit(pid, timeoutMs: EventRecorder.waitLimitMs))
        #expect(ChildProcess.describe(waitStatus: status) == "exited with 0")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "\(SIGKILL)\n")
    }
}
