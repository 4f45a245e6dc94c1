import ArgumentParser
import Foundation
import KafkaClient
import Lab

struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups",
        abstract: "List and describe consumer groups with their lag (as kafka-consumer-groups).",
        subcommands: [List.self, Describe.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every group known to the brokers' coordinators.")
        @OptionGroup var client: ClientOptions
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        struct Entry: Encodable { var group: String; var protocolType: String; var coordinator: Int32 }

        func run() async throws {
            try await client.run("groups list") { cluster in
                let groups = try await KafkaAdmin(cluster: cluster).listGroups()
                if json {
                    try printJSON(["groups": groups.map { Entry(group: $0.group, protocolType: $0.protocolType, coordinator: $0.coordinator) }])
                } else {
                    for group in groups { print(group.group) }
                }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Offsets and lag per partition, or members (--members), or state (--state).",
            discussion: """
            Default columns: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID. \
            LOG-END-OFFSET is the partition's high watermark (what consumers can read); LAG is its \
            distance from the committed offset.
            """)
        @OptionGroup var client: ClientOptions
        @Option(name: .long, help: "The group; every group when omitted.") var group: String?
        @Flag(name: .long, help: "Members: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS.") var members = false
        @Flag(name: .long, help: "State: GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS.") var state = false
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func validate() throws {
            guard !(members && state) else { throw ValidationError("--members and --state are different views; pick one") }
        }

        func run() async throws {
            try await client.run("groups describe") { cluster in
                let admin = KafkaAdmin(cluster: cluster)
                var names: [String] = []
                if let group { names = [group] } else { names = try await admin.listGroups().map(\.group) }
                var descriptions: [KafkaAdmin.GroupDescription] = []
                for name in names { descriptions.append(try await admin.describeGroup(name)) }
                if json {
                    try printJSON(["groups": descriptions])
                    return
                }
                if let group, let d = descriptions.first, GroupTables.isUnknown(d) {
                    StandardStreams.writeError("samsa groups describe: \(GroupTables.unknownMessage(group))\n")
                    throw ExitCode(1)
                }
                let metadata = cluster.cachedMetadata
                if state {
                    print(GroupTables.state(descriptions) { id in metadata?.brokers[id].map { "\($0.host):\($0.port)" } }.render())
                } else if members {
                    print(GroupTables.members(descriptions).render())
                } else {
                    print(GroupTables.offsets(descriptions).render())
                }
            }
        }
    }
}
