import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol
import Lab

struct ConfigsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configs",
        abstract: "Describe and change topic configs (as kafka-configs --entity-type topics).",
        subcommands: [Describe.self, Alter.self]
    )

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every config of a topic: its value and where it comes from.")
        @OptionGroup var client: ClientOptions
        @Option(name: [.customLong("topic"), .customLong("entity-name")], help: "The topic.") var topic: String
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func run() async throws {
            try await client.run("configs describe") { cluster in
                let entries = try await KafkaAdmin(cluster: cluster).describeTopicConfigs(topic)
                if json {
                    try printJSON(TopicConfigs(topic: topic, configs: entries))
                    return
                }
                var table = TextTable(["NAME", "VALUE", "SOURCE"])
                for entry in entries { table.add([entry.name, entry.value ?? "-", entry.source]) }
                print(table.render())
            }
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set or remove topic config overrides (IncrementalAlterConfigs).",
            discussion: "A removed override falls back to the broker's value. Unknown keys and invalid values are refused with INVALID_CONFIG.")
        @OptionGroup var client: ClientOptions
        @Option(name: [.customLong("topic"), .customLong("entity-name")], help: "The topic.") var topic: String
        @Option(name: .long, help: "key=value to set. Repeatable.") var set: [String] = []
        @Option(name: .long, help: "As kafka-configs: k1=v1,k2=v2.") var addConfig: [String] = []
        @Option(name: .long, help: "A key whose override to remove. Repeatable.") var delete: [String] = []
        @Option(name: .long, help: "As kafka-configs: k1,k2.") var deleteConfig: [String] = []
        @Flag(name: .long, help: "Let the broker check the change without making it.") var validateOnly = false

        var settings: [(String, String)] {
            (set + addConfig.flatMap { $0.split(separator: ",").map(String.init) }).map { item in
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        }

        var deletions: [String] { delete + deleteConfig.flatMap { $0.split(separator: ",").map(String.init) } }

        func validate() throws {
            for item in set + addConfig.flatMap({ $0.split(separator: ",").map(String.init) }) where !item.contains("=") || item.hasPrefix("=") {
                throw ValidationError("'\(item)' is not key=value")
            }
            guard !settings.isEmpty || !deletions.isEmpty else { throw ValidationError("nothing to change: give --set key=value or --delete key") }
            let keys = settings.map(\.0) + deletions
            if let twice = keys.first(where: { key in keys.filter { $0 == key }.count > 1 }) {
                throw ValidationError("'\(twice)' is named more than once")
            }
        }

        func run() async throws {
            let values = Dictionary(settings, uniquingKeysWith: { _, b in b })
            try await client.run("configs alter") { cluster in
                try await KafkaAdmin(cluster: cluster).alterTopicConfigs(topic, set: values, delete: deletions, validateOnly: validateOnly)
                let changed = values.keys.sorted().map { "\($0)=\(values[$0]!)" } + deletions.map { "-\($0)" }
                print("\(validateOnly ? "Valid" : "Altered") configs of topic \(topic): \(changed.joined(separator: " ")).")
            }
        }
    }
}

/// `configs describe --json`: the topic and its configs.
struct TopicConfigs: Encodable {
    var topic: String
    var configs: [KafkaAdmin.ConfigEntry]
}
