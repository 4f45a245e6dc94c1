import Lab
import NIOCore
import Testing

extension SocketTests {
    /// Cuts, closes and pass-through on real sockets: clients → proxy → test server.
    @Suite struct LinkProxyTests {
        let link = NetworkFixture.link
        /// How long a held request must stay unanswered to count as hanging.
        let hang: TimeAmount = .milliseconds(300)

        @Test func largeRandomPayloadPassesThroughByteExact() async throws {
            try await NetworkFixture.run { fixture in
                let client = try await fixture.connect()
                let payload = pattern(4 * 1024 * 1024 + 3, seed: 7)
                client.send(payload)
                #expect(await client.waitForBytes(payload.count, timeout: .seconds(10)))
                let intact = client.received.value.bytes == payload
                #expect(intact, "the echo is byte for byte the payload")
                let statistics = try await fixture.network.statistics(of: link)
                #expect(statistics.forward.bytesDelivered == payload.count)
                #expect(statistics.backward.bytesDelivered == payload.count)
                #expect(statistics.connectionsEstablished == 1)
            }
        }

        @Test func blackholeHoldsARequestUntilHealThenDeliversAndAnswersItInOrder() async throws {
            try await NetworkFixture.run { fixture in
                let client = try await fixture.connect()
                #expect(await roundTrip(client, Array("ping;".utf8)) != nil)
                let server = try #require(await fixture.server.peer(0))
                try await fixture.network.setCondition(.blackhole(), for: link)
                client.send("request-1;")
                client.send("request-2;")
                #expect(!(await client.waitForBytes(6, timeout: hang)), "no reply through a cut link")
                #expect(server.text == "ping;", "nothing crosses a cut link")
                #expect(try await fixture.network.statistics(of: link).forward.bytesDelivered == 5)
                try await fixture.network.heal(link)
                #expect(await client.waitForText("ping;request-1;request-2;"))
                #expect(server.text == "ping;request-1;request-2;")
            }
        }

        @Test func forwardCutHoldsClientBytesWhileServerPushesStillArrive() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("hello;")
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForText("hello;"))
                try await fixture.network.setCondition(.blackhole(.forward), for: link)
                client.send("held;")
                server.send("pushed;")
                #expect(await client.waitForText("pushed;"), "the backward direction still flows")
                #expect(!(await server.waitForBytes(7, timeout: hang)), "the forward direction is held")
                try await fixture.network.heal(link)
                #expect(await server.waitForText("hello;held;"))
            }
        }

        @Test func backwardCutHoldsServerBytesWhileClientBytesStillArrive() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("hello;")
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForText("hello;"))
                try await fixture.network.setCondition(.blackhole(.backward), for: link)
                server.send("held;")
                client.send("sent;")
                #expect(await server.waitForText("hello;sent;"), "the forward direction still flows")
                #expect(!(await client.waitForBytes(1, timeout: hang)), "the backward direction is held")
                try await fixture.network.heal(link)
                #expect(await client.waitForText("held;"))
            }
        }

        @Test func newConnectionDuringACutHangsThenCompletesAfterHeal() async throws {
            try await NetworkFixture.run { fixture in
                try await fixture.network.setCondition(.blackhole(.forward), for: link)
                let client = try await fixture.connect()
                client.send("first request;")
                #expect(await fixture.server.peer(0, timeout: hang) == nil, "not connected upstream while cut")
                #expect(!(await client.waitForBytes(1, timeout: .milliseconds(50))))
                let held = try await fixture.network.statistics(of: link)
                #expect(held.connectionsAccepted == 1 && held.connectionsHeld == 1 && held.connectionsEstablished == 0)
                try await fixture.network.heal(link)
                #expect(await client.waitForText("first request;"))
                #expect(try await fixture.network.statistics(of: link).connectionsHeld == 0)
            }
        }

        @Test func requestAndCloseSentOnAHeldConnectionArriveAfterHeal() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                try await fixture.network.setCondition(.blackhole(), for: link)
                let client = try await fixture.connect()
                client.send("request then FIN;")
                try await client.shutdownOutput()
                #expect(await fixture.server.peer(0, timeout: hang) == nil)
                try await fixture.network.heal(link)
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.received.wait { $0.eof })
                #expect(server.text == "request then FIN;")
            }
        }

        @Test func eofInACutDirectionWaitsForHealBehindTheHeldBytes() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("a;")
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForText("a;"))
                try await fixture.network.setCondition(.blackhole(.forward), for: link)
                client.send("b;")
                try await client.shutdownOutput()
                #expect(!(await server.received.wait(timeout: hang) { $0.eof || $0.bytes.count > 2 }))
                try await fixture.network.heal(link)
                #expect(await server.received.wait { $0.eof })
                #expect(server.text == "a;b;")
            }
        }

        @Test func halfCloseReachesTheServerAndTheServersCloseReachesTheClient() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("last request;")
                try await client.shutdownOutput()
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.received.wait { $0.eof })
                #expect(server.text == "last request;")
                server.send("answer after the client's EOF;")
                try await server.shutdownOutput()
                #expect(await client.received.wait { $0.eof || $0.closed })
                #expect(client.text == "answer after the client's EOF;")
                let network = fixture.network
                #expect(await eventually { try await network.statistics(of: NetworkFixture.link).connectionsOpen == 0 })
            }
        }

        @Test func serverCloseDeliversPendingBytesFirstAndClosesTheClient() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("hi;")
                let server = try #require(await fixture.server.peer(0))
                // Closing with unread input would make the server's kernel send RST, not FIN.
                #expect(await server.waitForText("hi;"))
                let reply = [UInt8](repeating: 0x5A, count: 256 * 1024)
                try await server.channel.writeAndFlush(ByteBuffer(bytes: reply))
                await server.close()
                #expect(await client.received.wait { $0.eof || $0.closed })
                #expect(client.received.value.bytes.count == reply.count)
                let intact = client.received.value.bytes == reply
                #expect(intact, "all bytes arrive before the close")
                // The server's FIN reads as a half-close; the connection ends when the client closes too.
                #expect(try await fixture.network.statistics(of: link).connectionsOpen == 1)
                await client.close()
                let network = fixture.network
                #expect(await eventually { try await network.statistics(of: NetworkFixture.link).connectionsOpen == 0 })
            }
        }

        @Test func clientCloseClosesTheServerSide() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let client = try await fixture.connect()
                client.send("bye;")
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForText("bye;"))
                await client.close()
                #expect(await server.received.wait { $0.eof || $0.closed })
            }
        }

        @Test func refusedTargetClosesTheClientConnection() async throws {
            try await NetworkFixture.run { fixture in
                let refused = LinkID(from: .broker(1), to: .broker(9))
                let server = try await TestServer.start(group: fixture.group, echo: true)
                let deadPort = server.port
                await server.close()
                try await fixture.network.addLink(refused, target: LinkTarget(port: deadPort))
                // The reset may come before the client's connect completes or after.
                if let client = try? await fixture.connect(refused) {
                    #expect(await client.received.wait { $0.closed })
                }
                let network = fixture.network
                #expect(await eventually { try await network.statistics(of: refused).connectionsRefused == 1 })
            }
        }
    }
}
