import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses a document as XML and counts elements, so tests can assert a report is well-formed
/// and has what it should. A parse error is kept, not thrown, for `#expect` to show.
final class XMLCounter: NSObject, XMLParserDelegate {
    private(set) var counts: [String: Int] = [:]
    /// Elements by name and their `class` attribute ("rect.fault-band").
    private(set) var classCounts: [String: Int] = [:]
    private(set) var error: String?
    private(set) var text = ""

    init(_ document: String) {
        super.init()
        let parser = XMLParser(data: Data(document.utf8))
        parser.delegate = self
        if !parser.parse() {
            error = parser.parserError.map { "\($0)" } ?? "parse failed at line \(parser.lineNumber)"
        }
    }

    func count(_ name: String) -> Int { counts[name] ?? 0 }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        counts[elementName, default: 0] += 1
        if let classes = attributes["class"] {
            for name in classes.split(separator: " ") { classCounts["\(elementName).\(name)", default: 0] += 1 }
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        error = "line \(parser.lineNumber) column \(parser.columnNumber): \(parseError)"
    }
}
