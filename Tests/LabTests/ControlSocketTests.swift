import Foundation
import Logging
import NIOPosix
import Testing
@testable import Lab

/// The control socket in a run directory too deep for a Unix socket address (suite runs nest
/// `.build/suite-…/bug/case/`), served and reached on real sockets.
@Suite struct ControlSocketTests {
    /// 105 bytes fit a socket address but not SwiftNIO's limit of 103; 180 fit neither.
    @Test(arguments: [105, 180])
    func aPathLongerThanTheSocketAddressLimitIsServedAndReached(length: Int) async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-control-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: base) }
        let fill = length - base.path.utf8.count - "/".utf8.count - "/control.sock".utf8.count
        try #require(fill > 0)
        let directory = base.path + "/" + String(repeating: "d", count: fill)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = ControlClient.socketPath(directory: directory)
        #expect(path.utf8.count == length)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ControlServer.start(path: path, group: group, logger: Logger(label: "test")) { request in
            ControlResponse(ok: true, message: "heard \(request.op)", error: nil, fault: nil, ended: nil, status: nil)
        }
        #expect(FileManager.default.fileExists(atPath: path), "the socket file is in the run directory itself")
        // The client blocks in recv, so it gets a thread of its own, off the pool the server's handler
        // runs on. Its bound is generous: the handler needs a thread of that pool, which the other
        // tests running alongside may hold for seconds on a two-core machine.
        let answer = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try ControlClient.send(.status, directory: directory, timeoutMs: 30_000) })
            }
        }
        #expect(answer.ok)
        #expect(answer.message == "heard status")
        await server.close()
        #expect(!FileManager.default.fileExists(atPath: path), "closing removes the socket file")
        try await group.shutdownGracefully()
    }

    /// A line the lab cannot read as a request is answered with what is wrong with it, on the same
    /// connection, and never reaches the handler; a well-formed one after it still does.
    @Test func aMalformedRequestIsAnsweredWithAClearErrorAndNeverHandled() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-ctl-\(getpid())-\(UInt16.random(in: 0...UInt16.max))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ControlServer.start(path: ControlClient.socketPath(directory: directory), group: group, logger: Logger(label: "test")) { request in
            ControlResponse(ok: true, message: "handled \(request)", error: nil, fault: nil, ended: nil, status: nil)
        }
        func exchange(_ line: String) async throws -> ControlResponse {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(with: Result { try ControlClient.exchange(line: Data(line.utf8), directory: directory, timeoutMs: 30_000) })
                }
            }
        }
        let text = try await exchange(#"{"op": "fault", "command": "crash 2"}"#)
        #expect(!text.ok)
        #expect(text.error?.hasPrefix("malformed request at command: the command 'crash 2' is text") == true, "\(text.error ?? "")")
        let bad = try await exchange(#"{"op": "fault", "command": {"fault": "crash", "target": {"kind": "broker", "broker": 0}}}"#)
        #expect(!bad.ok)
        #expect(bad.error?.contains("broker ids start at 1, got 0") == true, "\(bad.error ?? "")")
        let good = try await exchange(#"{"op": "fault", "command": {"fault": "crash", "target": {"kind": "broker", "broker": 2}}}"#)
        #expect(good.ok)
        #expect(good.message == "handled \(ControlRequest.fault(.crash(.broker(2))))")
        await server.close()
        try await group.shutdownGracefully()
    }
}
