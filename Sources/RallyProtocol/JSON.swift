import NIOCore

/// A JSON value that keeps what a hub must echo exactly: object key order and the
/// literal text of numbers (refs such as `0` or `1.50` go back as they came).
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text as it appeared on the wire (validated by the parser).
    case number(String)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    public static func int(_ value: Int) -> JSON { .number(String(value)) }
}

/// An ordered JSON object. Lookups are linear: protocol objects have a handful of keys.
public struct JSONObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public var fields: [Field]

    public struct Field: Sendable, Hashable {
        public var key: String
        public var value: JSON
        public init(key: String, value: JSON) { self.key = key; self.value = value }
    }

    public init(_ fields: [Field] = []) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.fields = elements.map { Field(key: $0.0, value: $0.1) }
    }

    /// The value of the first field named `key`; assigning replaces it in place or appends.
    public subscript(key: String) -> JSON? {
        get { fields.first(where: { $0.key == key })?.value }
        set {
            let index = fields.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case let (index?, value?): fields[index].value = value
            case let (index?, nil): fields.remove(at: index)
            case let (nil, value?): fields.append(Field(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    public var isEmpty: Bool { fields.isEmpty }
}

extension JSON {
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var intValue: Int? { if case .number(let n) = self { return Int(n) } else { return nil } }
    public var doubleValue: Double? { if case .number(let n) = self { return Double(n) } else { return nil } }
    public subscript(key: String) -> JSON? { objectValue?[key] }
    public static let emptyObject = JSON.object(JSONObject())
}
