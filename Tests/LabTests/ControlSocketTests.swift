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
        // The client blocks in recv, so it gets a thread of its own, off the pool the server's handler runs on.
        let answer = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try ControlClient.send(ControlRequest(op: "status"), directory: directory, timeoutMs: 5_000) })
            }
        }
        #expect(answer.ok)
        #expect(answer.message == "heard status")
        await server.close()
        #expect(!FileManager.default.fileExists(atPath: path), "closing removes the socket file")
        try await group.shutdownGracefully()
    }
}
