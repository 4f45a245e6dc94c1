import NIOCore
import Testing

@testable import Lab

extension SocketTests {
    /// A cut or slow direction holds bounded memory in the proxy and pushes back on the sender, and
    /// loses nothing once it heals.
    @Suite struct BackpressureTests {
        let link = NetworkFixture.link

        @Test func cutDirectionPushesBackOnTheSenderAndLosesNothingOnHeal() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("start;")
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForText("start;"))
                try await fixture.network.setCondition(.blackhole(.forward), for: link)
                let bulk = pattern(16 * 1024 * 1024, seed: 3)
                client.send(bulk)
                try await Task.sleep(for: .milliseconds(300))
                let statistics = try await fixture.network.statistics(of: link)
                #expect(statistics.forward.bytesQueued <= DirectionQueue.holdLimitBytes)
                #expect(server.received.value.bytes.count == 6)
                let senderBlocked = try await client.channel.eventLoop.submit { !client.channel.isWritable }.get()
                #expect(senderBlocked, "the sender's own buffer fills up")
                try await fixture.network.heal(link)
                #expect(await server.waitForBytes(6 + bulk.count, timeout: .seconds(10)))
                let intact = server.received.value.bytes == Array("start;".utf8) + bulk
                #expect(intact, "every byte, in order")
            }
        }

        @Test func slowDirectionHoldsAtMostItsLimitAndLosesNothing() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                try await fixture.network.setCondition(.bandwidth(bytesPerSecond: 100_000, directions: .forward), for: link)
                let client = try await fixture.connect()
                let bulk = pattern(12 * 1024 * 1024, seed: 4)
                client.send(bulk)
                let network = fixture.network
                let filled = await eventually {
                    try await network.statistics(of: NetworkFixture.link).forward.bytesQueued >= DirectionQueue.holdLimitBytes / 2
                }
                #expect(filled, "the proxy reads ahead of the slow receiver")
                try await Task.sleep(for: .milliseconds(200))
                let queued = try await network.statistics(of: link).forward.bytesQueued
                // One read batch may land past the limit before the proxy stops reading.
                #expect(queued <= DirectionQueue.holdLimitBytes + 512 * 1024)
                try await network.heal(link)
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForBytes(bulk.count, timeout: .seconds(10)))
                let intact = server.received.value.bytes == bulk
                #expect(intact, "every byte, in order")
            }
        }
    }
}
