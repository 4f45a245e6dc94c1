import Lab
import NIOCore
import Testing

extension SocketTests {
    /// Delay, bandwidth and lossy links measured through real sockets, and the network's bookkeeping.
    @Suite struct ConditionTests {
        let link = NetworkFixture.link

        /// Smallest of a few round trips: the least disturbed by other work on the machine.
        func fastestRoundTrip(_ peer: Peer, samples: Int = 5) async -> Duration? {
            var fastest: Duration?
            for index in 0..<samples {
                guard let time = await roundTrip(peer, [UInt8(index)]) else { return nil }
                fastest = min(fastest ?? time, time)
            }
            return fastest
        }

        @Test func delayAddsItsLatencyEachWayWhileAnUndelayedLinkStaysFast() async throws {
            try await NetworkFixture.run { fixture in
                let other = LinkID(from: .client, to: .broker(2))
                try await fixture.network.addLink(other, target: LinkTarget(port: fixture.server.port))
                let delayed = try await fixture.connect()
                let direct = try await fixture.connect(other)
                try await fixture.network.setCondition(.delay(latency: .milliseconds(60)), for: link)
                let slow = try #require(await fastestRoundTrip(delayed, samples: 3))
                let fast = try #require(await fastestRoundTrip(direct))
                #expect(slow >= .milliseconds(120), "both directions are delayed")
                #expect(fast < .milliseconds(30))
                try await fixture.network.heal(link)
                let healed = try #require(await fastestRoundTrip(delayed))
                #expect(healed < .milliseconds(30))
            }
        }

        @Test func oneWayDelayDelaysOnlyThatDirection() async throws {
            try await NetworkFixture.run { fixture in
                let client = try await fixture.connect()
                try await fixture.network.setCondition(.delay(latency: .milliseconds(80), directions: .backward), for: link)
                let time = try #require(await fastestRoundTrip(client, samples: 3))
                #expect(time >= .milliseconds(80) && time < .milliseconds(160))
            }
        }

        @Test func jitteredDelayKeepsEveryByteInOrder() async throws {
            try await NetworkFixture.run { fixture in
                let client = try await fixture.connect()
                try await fixture.network.setCondition(.delay(latency: .milliseconds(20), jitter: .milliseconds(15)), for: link)
                var expected: [UInt8] = []
                let start = ContinuousClock.now
                for index in 0..<200 {
                    let message = Array("message \(index);".utf8)
                    expected += message
                    client.send(message)
                    if index % 20 == 0 { try await Task.sleep(for: .milliseconds(2)) }
                }
                #expect(await client.waitForBytes(expected.count))
                let inOrder = client.received.value.bytes == expected
                #expect(inOrder, "every message, in order")
                #expect(ContinuousClock.now - start >= .milliseconds(10), "at least latency - jitter each way")
            }
        }

        @Test func bandwidthCapMakesATransferTakeAtLeastSizeOverRate() async throws {
            try await NetworkFixture.run(echo: false) { fixture in
                let rate = 400_000
                let size = 300_000
                try await fixture.network.setCondition(.bandwidth(bytesPerSecond: rate), for: link)
                let client = try await fixture.connect()
                let start = ContinuousClock.now
                client.send([UInt8](repeating: 1, count: size))
                let server = try #require(await fixture.server.peer(0))
                #expect(await server.waitForBytes(size, timeout: .seconds(20)))
                let elapsed = ContinuousClock.now - start
                let burst = rate / 100
                #expect(elapsed >= .milliseconds((size - burst) * 1000 / rate))
                // Generous: a loaded machine (CI runs builds beside tests) must not fail the upper bound.
                #expect(elapsed < .milliseconds(size * 1000 / rate + 10_000), "the cap does not slow far below the rate")
            }
        }

        @Test func lossyLinkWithProbabilityOneResetsOpenAndNewConnections() async throws {
            try await NetworkFixture.run { fixture in
                let client = try await fixture.connect()
                #expect(await roundTrip(client, Array("ok;".utf8)) != nil)
                let server = try #require(await fixture.server.peer(0))
                try await fixture.network.setCondition(.lossy(resetProbability: 1), for: link)
                client.send("doomed;")
                #expect(await client.received.wait { $0.closed })
                #expect(await server.received.wait { $0.closed })
                // The reset may come before the client's connect completes or after.
                if let late = try? await fixture.connect() {
                    #expect(await late.received.wait { $0.closed })
                }
                let network = fixture.network
                #expect(await eventually { try await network.statistics(of: NetworkFixture.link).connectionsAccepted == 2 })
                #expect(try await fixture.network.statistics(of: link).connectionsReset == 2)
                #expect(fixture.server.peers.value.count == 1, "the new connection never reached the server")
            }
        }

        @Test func lossyLinkWithProbabilityZeroNeverResets() async throws {
            try await NetworkFixture.run { fixture in
                try await fixture.network.setCondition(.lossy(resetProbability: 0), for: link)
                let client = try await fixture.connect()
                for index in 0..<200 {
                    #expect(await roundTrip(client, [UInt8(index % 256)]) != nil)
                }
                #expect(!client.received.value.closed)
                #expect(try await fixture.network.statistics(of: link).connectionsReset == 0)
            }
        }

        @Test func aConditionOnOneLinkLeavesTheOthersAlone() async throws {
            try await NetworkFixture.run { fixture in
                let other = LinkID(from: .broker(2), to: .broker(1))
                try await fixture.network.addLink(other, target: LinkTarget(port: fixture.server.port))
                let cut = try await fixture.connect()
                let free = try await fixture.connect(other)
                try await fixture.network.setCondition(.blackhole(), for: link)
                cut.send("held;")
                #expect(await roundTrip(free, Array("still flows;".utf8)) != nil)
                #expect(cut.received.value.bytes.isEmpty)
                #expect(try await fixture.network.condition(of: other) == .connected)
                #expect(try await fixture.network.condition(of: link) == .blackhole())
            }
        }

        @Test func networkListsLinksRejectsDuplicatesAndHealsAll() async throws {
            try await NetworkFixture.run { fixture in
                let network = fixture.network
                let zookeeperLink = LinkID(from: .broker(1), to: .zookeeper)
                try await network.addLink(zookeeperLink, target: LinkTarget(port: fixture.server.port))
                await #expect(throws: ProxyNetwork.Failure.self) {
                    try await network.addLink(zookeeperLink, target: LinkTarget(port: fixture.server.port))
                }
                await #expect(throws: InvalidLinkCondition.self) {
                    try await network.setCondition(.lossy(resetProbability: 2), for: zookeeperLink)
                }
                #expect(await network.links == [link, zookeeperLink])
                try await network.setCondition(.blackhole(.backward), for: link)
                try await network.setCondition(.delay(latency: .milliseconds(5)), for: zookeeperLink)
                try await network.healAll()
                #expect(try await network.condition(of: link) == .connected)
                #expect(try await network.condition(of: zookeeperLink) == .connected)
            }
        }

        @Test func shutdownLeavesNoListeningSockets() async throws {
            try await NetworkFixture.run { fixture in
                let network = fixture.network
                let extra = LinkID(from: .broker(3), to: .broker(1))
                try await network.addLink(extra, target: LinkTarget(port: fixture.server.port))
                let open = try await fixture.connect(extra)
                let ports = [try await network.port(of: link), try await network.port(of: extra)]
                await network.shutdown()
                #expect(await open.received.wait { $0.eof || $0.closed }, "open connections are closed")
                for port in ports {
                    await #expect(throws: (any Error).self, "nothing listens on \(port)") {
                        _ = try await Peer.connect(to: port, group: fixture.group)
                    }
                }
                await #expect(throws: ProxyNetwork.Failure.self) { try await network.heal(link) }
            }
        }
    }
}
