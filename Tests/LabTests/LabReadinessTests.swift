import Processes
import Foundation
import Testing
@testable import Lab

/// The readiness record a lab writes and `LabLauncher` reads: every refusal, and the launcher's bounds.
struct LabReadinessTests {
    let record = LabReadiness(bootstrap: "127.0.0.1:19092,127.0.0.1:19093",
                              brokers: [.init(id: 1, port: 19092, pid: 101), .init(id: 2, port: 19093, pid: 102)],
                              zookeeper: "127.0.0.1:2181", controlSocket: "/tmp/lab/control.sock", pid: 100, directory: "/tmp/lab")

    @Test func recordRoundTripsThroughOneLine() throws {
        let line = record.encodedLine()
        #expect(line.last == 0x0A)
        #expect(line.dropLast().contains(0x0A) == false)
        #expect(try LabReadiness.parse(line) == record)
    }

    @Test func truncatedRecordIsRefused() {
        let line = record.encodedLine()
        #expect(throws: LabReadiness.ParseError.truncated) { try LabReadiness.parse(line.prefix(line.count / 2)) }
        #expect(throws: LabReadiness.ParseError.truncated) { try LabReadiness.parse(line.dropLast()) }
    }

    @Test func otherVersionIsRefusedInWords() {
        var other = record
        other.version = 2
        #expect(throws: LabReadiness.ParseError.unsupportedVersion(2)) { try LabReadiness.parse(other.encodedLine()) }
        #expect(throws: LabReadiness.ParseError.unsupportedVersion(nil)) { try LabReadiness.parse(Data("{\"bootstrap\":\"x\"}\n".utf8)) }
        #expect(LabReadiness.ParseError.unsupportedVersion(2).description.contains("version 2"))
    }

    @Test func garbageAndEmptyAreRefused() {
        #expect(throws: LabReadiness.ParseError.notJSON) { try LabReadiness.parse(Data("READY bootstrap=127.0.0.1:19092\n".utf8)) }
        #expect(throws: LabReadiness.ParseError.notJSON) { try LabReadiness.parse(Data("[1,2]\n".utf8)) }
        #expect(throws: LabReadiness.ParseError.empty) { try LabReadiness.parse(Data()) }
        #expect(throws: LabReadiness.ParseError.empty) { try LabReadiness.parse(Data(" \n".utf8)) }
    }

    @Test func missingFieldIsNamed() {
        let text = "{\"version\":1,\"bootstrap\":\"127.0.0.1:1\",\"brokers\":[],\"zookeeper\":\"z\",\"pid\":1,\"directory\":\"d\"}\n"
        #expect(throws: LabReadiness.ParseError.missingField("controlSocket")) { try LabReadiness.parse(Data(text.utf8)) }
    }

    @Test func writtenRecordIsReadBack() throws {
        let directory = NSTemporaryDirectory() + "samsa-ready-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try LabReadiness.read(directory: directory) == nil)
        var mine = record
        mine.directory = directory
        try mine.write()
        #expect(try LabReadiness.read(directory: directory) == mine)
    }

    // MARK: the launcher's wait

    func spawn(_ script: String, output: String) throws -> pid_t {
        var options = ChildProcess.Options(outputPath: output)
        options.setprivPath = nil
        return try ChildProcess.spawn(executable: "/bin/sh", arguments: ["-c", script], options: options)
    }

    @Test func waitEndsAtItsBoundAndStopsTheProcess() throws {
        let directory = NSTemporaryDirectory() + "samsa-ready-" + UUID().uuidString
        let pid = try spawn("exec sleep 30", output: directory + ".out")
        defer { try? FileManager.default.removeItem(atPath: directory + ".out") }
        let started = ContinuousClock.now
        #expect {
            try LabLauncher.awaitReadiness(pid: pid, directory: directory, outputPath: directory + ".out", timeoutMs: 300)
        } throws: { error in
            guard case LabLauncher.Failure.timedOut(let seconds, _) = error else { return false }
            return seconds == 0.3
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(kill(pid, 0) != 0)
    }

    @Test func processThatExitsIsReportedWithItsStatusAndLastLines() throws {
        let directory = NSTemporaryDirectory() + "samsa-ready-" + UUID().uuidString
        let pid = try spawn("echo first; echo 'cannot bind 19092'; exit 3", output: directory + ".out")
        defer { try? FileManager.default.removeItem(atPath: directory + ".out") }
        do {
            _ = try LabLauncher.awaitReadiness(pid: pid, directory: directory, outputPath: directory + ".out", timeoutMs: 10_000)
            Issue.record("a lab that exited was taken for ready")
        } catch let failure as LabLauncher.Failure {
            #expect(failure.description.contains("exited with 3"))
            #expect(failure.description.contains("cannot bind 19092"))
        }
    }

    @Test func staleRecordOfAnotherProcessIsNotTakenForReady() throws {
        let directory = NSTemporaryDirectory() + "samsa-ready-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var stale = record
        stale.directory = directory
        try stale.write()
        let pid = try spawn("exec sleep 30", output: directory + "/out")
        #expect(throws: LabLauncher.Failure.self) {
            try LabLauncher.awaitReadiness(pid: pid, directory: directory, outputPath: directory + "/out", timeoutMs: 200)
        }
    }

    @Test func recordOfTheProcessEndsTheWait() throws {
        let directory = NSTemporaryDirectory() + "samsa-ready-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pid = try spawn("exec sleep 30", output: directory + "/out")
        defer { _ = ChildProcess.terminate(pid, graceMs: 1000) }
        var mine = record
        mine.directory = directory
        mine.pid = pid
        try mine.write()
        #expect(try LabLauncher.awaitReadiness(pid: pid, directory: directory, outputPath: directory + "/out", timeoutMs: 5000) == mine)
    }
}
