import Foundation

/// Output without `print`: stdout carries machine-readable lines only, stderr the human text.
enum Console {
    private static let lock = NSLock()

    static func out(_ line: String) {
        write(line, to: FileHandle.standardOutput)
    }

    static func err(_ line: String) {
        write(line, to: FileHandle.standardError)
    }

    private static func write(_ line: String, to handle: FileHandle) {
        let data = Data((line + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        handle.write(data)
    }

    /// Encodes a value as one compact JSON line (keys sorted, so lines diff well).
    static func jsonLine<T: Encodable>(_ value: T, snakeCase: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// A failure that ends the run with a message for the user.
struct LoadTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
