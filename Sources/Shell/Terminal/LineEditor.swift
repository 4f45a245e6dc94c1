import CReadline
import Foundation

/// Where the shell's commands come from.
public protocol LineSource: AnyObject {
    /// The next line without its newline; nil at end of input (Ctrl-D).
    func next(prompt: String) -> String?
}

/// Commands piped or redirected into the shell: no prompt, no echo. Reads the descriptor a byte
/// at a time, so nothing beyond the line is taken from it (a child may read the rest).
public final class StreamLineSource: LineSource {
    let fd: Int32
    public init(fd: Int32 = STDIN_FILENO) { self.fd = fd }

    public func next(prompt: String) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let got = read(fd, &byte, 1)
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == 0x0A { break }
            bytes.append(byte)
        }
        if bytes.last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// GNU readline on a terminal: Emacs keys, history persisted to a file, tab completion from
/// `complete`. Uses readline's callback interface so Ctrl-C (announced on the interrupt pipe)
/// clears the line being edited at once, like bash.
public final class ReadlineSource: LineSource {
    /// Readline calls plain C functions; they reach the shell through these, set on the one thread
    /// that runs readline.
    nonisolated(unsafe) static var complete: (String) -> [String] = { _ in [] }
    nonisolated(unsafe) static var received: String?? = .none

    let historyPath: String
    let historyLimit: Int32 = 2000

    public init(historyPath: String, complete: @escaping (String) -> [String]) {
        self.historyPath = historyPath
        Self.complete = complete
        using_history()
        stifle_history(historyLimit)
        _ = read_history(historyPath)
        samsa_rl_setup(nil, { text, start, end in ReadlineSource.completions(text, start, end) })
    }

    public func next(prompt: String) -> String? {
        Self.received = .none
        rl_callback_handler_install(prompt) { line in
            ReadlineSource.received = .some(line.map { String(cString: $0) })
            free(line)
            rl_callback_handler_remove()
        }
        defer { if Self.received == nil { rl_callback_handler_remove() } }
        while Self.received == nil {
            var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: Interrupts.readFd, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, -1)
            if ready < 0 { continue }  // EINTR: the pipe says why
            if fds[1].revents != 0 {
                Interrupts.reset()
                // Ctrl-C: drop the line, show a fresh prompt.
                rl_replace_line("", 0)
                rl_crlf()
                rl_on_new_line()
                rl_redisplay()
                continue
            }
            if fds[0].revents != 0 { rl_callback_read_char() }
        }
        guard let line = Self.received!, !line.isEmpty else {
            if Self.received! == nil { print("") }  // Ctrl-D: end the prompt's line
            return Self.received!
        }
        if line.trimmingCharacters(in: .whitespaces).isEmpty == false {
            add_history(line)
            // append_history needs the file to exist; the first line writes it whole.
            if append_history(1, historyPath) != 0 { _ = write_history(historyPath) }
            _ = history_truncate_file(historyPath, historyLimit)
        }
        return line
    }

    /// The completion hook: the candidates for the word being typed, as readline's array (common
    /// prefix first, then each match, NULL-terminated, all malloc'ed).
    static func completions(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        samsa_rl_completion_over()
        let buffer = samsa_rl_line_buffer().map { String(cString: $0) } ?? ""
        let upToCursor = String(buffer.utf8.prefix(Int(end))) ?? buffer
        let matches = complete(upToCursor)
        guard !matches.isEmpty else { return nil }
        // Keep typing after `leader_of orders/` or `KEY=` without a space.
        samsa_rl_completion_append(matches.count == 1 && (matches[0].hasSuffix("=") || matches[0].hasSuffix("/")) ? 0 : 32)
        var prefix = matches[0]
        for match in matches.dropFirst() {
            while !match.hasPrefix(prefix) { prefix.removeLast() }
        }
        let words = matches.count == 1 ? matches : [prefix] + matches
        let size = MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (words.count + 1)
        let array = malloc(size)!.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: words.count + 1)
        for (index, word) in words.enumerated() { array[index] = strdup(word) }
        array[words.count] = nil
        return array
    }
}
