import Foundation
import RallyPrivacy
import RallyProtocol

/// How a column's values compare: numbers as numbers, timestamps as instants, uuids without regard to case,
/// text byte-wise, booleans by truth.
enum ValueKind: Sendable, Hashable {
    case number, timestamp, uuid, text, bool

    init(postgresType type: String) {
        switch type {
        case "int2", "int4", "int8", "numeric", "float4", "float8": self = .number
        case "timestamp", "timestamptz", "date": self = .timestamp
        case "uuid": self = .uuid
        case "bool": self = .bool
        default: self = .text
        }
    }

    func canParse(_ literal: String) -> Bool {
        switch self {
        case .number: return Double(literal) != nil
        case .timestamp: return Self.instant(literal) != nil
        case .uuid: return UUIDText.parse(literal) != nil
        case .bool: return Self.truth(literal) != nil
        case .text: return true
        }
    }

    /// The cell against a filter literal; nil when the cell cannot be read as this kind.
    func compare(_ cell: String, _ literal: String) -> ComparisonResult? {
        switch self {
        case .number:
            guard let a = Double(cell), let b = Double(literal) else { return nil }
            return Self.order(a, b)
        case .timestamp:
            guard let a = Self.instant(cell), let b = Self.instant(literal) else { return nil }
            return Self.order(a, b)
        case .uuid:
            return Self.order(cell.lowercased(), literal.lowercased())
        case .bool:
            guard let a = Self.truth(cell), let b = Self.truth(literal) else { return nil }
            return a == b ? .orderedSame : (a ? .orderedDescending : .orderedAscending)
        case .text:
            let (a, b) = (Array(cell.utf8), Array(literal.utf8))
            return a == b ? .orderedSame : (a.lexicographicallyPrecedes(b) ? .orderedAscending : .orderedDescending)
        }
    }

    private static func order<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult {
        a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
    }

    /// A JSON cell as text (strings as they are, numbers as written, booleans as true/false); nil for null,
    /// objects and arrays.
    static func text(of value: JSON) -> String? {
        switch value {
        case .string(let text): return text
        case .number(let literal): return literal
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    static func truth(_ literal: String) -> Bool? {
        switch literal.lowercased() {
        case "true", "t": return true
        case "false", "f": return false
        default: return nil
        }
    }

    /// Seconds since the Unix epoch of `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:MM]]`; a time without a
    /// zone is UTC (as Rally reads a TIMESTAMP).
    static func instant(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, !range.isEmpty else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = Double(daysFromCivil(year, month, day)) * 86_400
        var index = 10
        if index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ") {
            guard let hour = number(index + 1..<index + 3), bytes.count > index + 3,
                  bytes[index + 3] == UInt8(ascii: ":"), let minute = number(index + 4..<index + 6),
                  hour < 24, minute < 60 else { return nil }
            seconds += Double(hour * 3600 + minute * 60)
            index += 6
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                guard let second = number(index + 1..<index + 3), second < 61 else { return nil }
                seconds += Double(second)
                index += 3
                if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                    var end = index + 1
                    while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
                    let digits = String(decoding: bytes[index..<end], as: UTF8.self)
                    guard end > index + 1, let fraction = Double("0" + digits) else { return nil }
                    seconds += fraction
                    index = end
                }
            }
        }
        guard let offset = zoneOffset(bytes[index...]) else { return nil }
        return seconds - Double(offset)
    }

    /// `""`, `Z`, `±HH`, `±HH:MM` or `±HHMM` → seconds east of UTC.
    private static func zoneOffset(_ zone: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: zone, as: UTF8.self)
        if text.isEmpty || text == "Z" { return 0 }
        guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
        let digits = text.dropFirst().filter { $0 != ":" }
        guard digits.count == 2 || digits.count == 4, let value = Int(digits) else { return nil }
        let (hours, minutes) = digits.count == 2 ? (value, 0) : (value / 100, value % 100)
        return (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// Days from 1970-01-01 to the civil date (proleptic Gregorian).
    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
