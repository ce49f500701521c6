/// `application/x-www-form-urlencoded` query parsing for request targets (`/path?apikey=…&vsn=2.0.0`).
struct RequestTarget: Sendable {
    let path: String
    let query: [String: String]

    /// Splits on the bytes `?`, `&` and `=` (ASCII, so every split falls on a character boundary) rather than on
    /// `Character`s: the target of every upgrade is parsed here, a long token included.
    init(_ uri: String) {
        let bytes = uri.utf8
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else {
            path = uri
            query = [:]
            return
        }
        path = String(uri[..<mark])
        var query: [String: String] = [:]
        var start = bytes.index(after: mark)
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.endIndex
            if start < end {
                let pair = uri[start..<end]
                let equals = pair.utf8.firstIndex(of: UInt8(ascii: "="))
                let key = Self.decode(equals.map { pair[..<$0] } ?? pair)
                if query[key] == nil {
                    query[key] = equals.map { Self.decode(pair[pair.utf8.index(after: $0)...]) } ?? ""
                }
            }
            start = end < bytes.endIndex ? bytes.index(after: end) : end
        }
        self.query = query
    }

    /// Percent-decoding with `+` as space; malformed escapes are kept literally.
    static func decode(_ text: Substring) -> String {
        // Nothing escaped (a token, a version): the text as it is, without the byte-by-byte copy.
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                      let high = hexValue(iterator[iterator.startIndex]),
                      let low = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
