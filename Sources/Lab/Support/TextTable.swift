/// Aligned text tables for the terminal, in the style of kafka-topics and kafka-consumer-groups:
/// a header row of upper-case column names, columns padded to their widest cell, two spaces apart.
public struct TextTable: Sendable {
    public var columns: [String]
    public var rows: [[String]] = []

    public init(_ columns: [String]) { self.columns = columns }

    public mutating func add(_ cells: [String]) {
        precondition(cells.count == columns.count, "row has \(cells.count) cells for \(columns.count) columns")
        rows.append(cells)
    }

    public func render() -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }
        return ([line(columns)] + rows.map(line)).joined(separator: "\n")
    }
}
