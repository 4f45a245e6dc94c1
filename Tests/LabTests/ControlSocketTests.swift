import Foundation
import Logging
import NIOPosix
import Testing
@testable import Lab

/// The control socket in a run directory too deep for a Unix socket address (suite runs nest
/// `.build/suite-…/bug/case/`), served and reached on real sockets.
@Suite struct ControlSocketTests {
    @Test func aDirectoryDeeperThanTheSocketAddressLimitIsServedAndReached() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-control-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: base) }
        let directory = base.appendingPathComponent(String(repeating: "deep-directory-name/", count: 8)).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = ControlClient.socketPath(directory: directory)
        #expect(path.utf8.count > SocketPath.limit, "the path must not fit a socket address for this test to mean anything")

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ControlServer.start(path: path, group: group, logger: Logger(label: "test")) { request in
            ControlResponse(ok: true, message: "heard \(request.op)", error: nil, fault: nil, ended: nil, status: nil)
        }
        #expect(FileManager.default.fileExists(atPath: path), "the socket file is in the run directory itself")
        let answer = try await Task.detached { try ControlClient.send(ControlRequest(op: "status"), directory: directory, timeoutMs: 5_000) }.value
        #expect(answer.ok)
        #expect(answer.message == "heard status")
        await server.close()
        #expect(!FileManager.default.fileExists(atPath: path), "closing removes the socket file")
        try await group.shutdownGracefully()
    }
}
