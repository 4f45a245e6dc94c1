import Lab
import NIOCore
import Testing

extension SocketTests {
    /// `limit-data`, `slice` and `timeout` on a real proxied connection: what the server receives
    /// and when each side sees the connection close.
    @Suite struct ToxicSocketTests {
        let link = NetworkFixture.link

        @Test func aByteLimitDeliversExactlyThatManyBytesThenClosesBothSides() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                try await fixture.network.setCondition(.limitData(bytes: 10, directions: .forward), for: link)
                let client = try await fixture.connect()
                client.send(Array("0123456789abcdefghij".utf8))
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.received.wait { $0.eof || $0.closed })
                #expect(server.received.value.bytes == Array("0123456789".utf8))
                #expect(await client.received.wait { $0.eof || $0.closed })
            }
        }

        @Test func slicedBytesArriveWholeAndInOrderButSpreadOverTheDelays() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                try await fixture.network.setCondition(.slice(.init(averageSize: 10, delay: .milliseconds(20)), directions: .forward), for: link)
                let client = try await fixture.connect()
                let message = Array("0123456789".utf8) + Array("abcdefghij".utf8) + Array("ABCDEFGHIJ".utf8) + Array("klmnopqrst".utf8)
                let start = ContinuousClock.now
                client.send(message)
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForBytes(message.count))
                #expect(ContinuousClock.now - start >= .milliseconds(60), "four pieces, three delays")
                #expect(server.received.value.bytes == message)
            }
        }

        @Test func aTimeoutWithADelayClosesTheConnectionAfterItAndPassesNothing() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                let start = ContinuousClock.now
                try await fixture.network.setCondition(.timeout(closeAfter: .milliseconds(300)), for: link)
                client.send("silenced;")
                #expect(await client.received.wait { $0.eof || $0.closed })
                #expect(ContinuousClock.now - start >= .milliseconds(300))
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.received.wait { $0.eof || $0.closed })
                #expect(server.received.value.bytes.isEmpty, "nothing passed the timeout")
                #expect(try await fixture.network.statistics(of: link).connectionsTimedOut == 1)
            }
        }

        @Test func aTimeoutWithoutADelayHoldsTheBytesUntilHealed() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                try await fixture.network.setCondition(.timeout(closeAfter: nil), for: link)
                let client = try await fixture.connect()
                client.send("held;")
                let server = try #require(await fixture.server.peer(0))
                try await Task.sleep(for: .milliseconds(300))
                #expect(server.received.value.bytes.isEmpty)
                #expect(!client.received.value.closed)
                try await fixture.network.heal(link)
                #expect(await server.waitForBytes(5))
                #expect(server.received.value.bytes == Array("held;".utf8))
            }
        }
    }
}
