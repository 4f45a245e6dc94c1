/// Builds well-formed XML, XHTML and SVG text: every text and attribute value goes through
/// `Escape`, and every element opened is closed in order (a precondition says which was not).
/// Pages come out parseable as XML, which the tests rely on, and as HTML by browsers.
struct MarkupWriter {
    private(set) var output = ""
    private var open: [String] = []

    /// HTML elements that have no end tag; written as `<br/>`, which both parsers accept. Every
    /// other element gets an explicit end tag, since an HTML parser ignores `<div/>`'s slash.
    static let voidElements: Set<String> = ["meta", "br", "hr", "img", "col", "link", "input", "wbr"]

    /// Whether empty elements may be written self-closing: true inside SVG, where the browser
    /// parses them as XML.
    var selfClosing = false

    init(selfClosing: Bool = false) { self.selfClosing = selfClosing }

    mutating func start(_ name: String, _ attributes: [(String, String)] = []) {
        output += "<" + name + Self.attributes(attributes) + ">"
        open.append(name)
    }

    mutating func end(_ name: String) {
        precondition(open.last == name, "closing <\(name)> while <\(open.last ?? "nothing")> is open")
        open.removeLast()
        output += "</" + name + ">"
    }

    /// An element holding only text (possibly empty).
    mutating func element(_ name: String, _ attributes: [(String, String)] = [], text: String = "") {
        if text.isEmpty, selfClosing || Self.voidElements.contains(name) {
            output += "<" + name + Self.attributes(attributes) + "/>"
            return
        }
        output += "<" + name + Self.attributes(attributes) + ">" + Escape.xmlText(text) + "</" + name + ">"
    }

    /// `start`, the body, `end`.
    mutating func within(_ name: String, _ attributes: [(String, String)] = [], _ body: (inout MarkupWriter) -> Void) {
        start(name, attributes)
        body(&self)
        end(name)
    }

    mutating func text(_ text: String) { output += Escape.xmlText(text) }

    mutating func newline() { output += "\n" }

    /// The finished text; every element must be closed.
    var finished: String {
        precondition(open.isEmpty, "markup ends with <\(open.joined(separator: "><"))> still open")
        return output
    }

    private static func attributes(_ attributes: [(String, String)]) -> String {
        attributes.map { " " + $0.0 + "=\"" + Escape.xmlAttribute($0.1) + "\"" }.joined()
    }
}
