import NIOCore
import RallyProtocol

/// The client's access to JSON text: RallyProtocol's parser and writer (key order and number
/// literals are kept, so what the server sent can be compared exactly).
enum ClientJSON {
    static func parse(_ buffer: ByteBuffer) throws -> JSON {
        try JSON(parsing: buffer)
    }

    static func write(_ value: JSON, into buffer: inout ByteBuffer) {
        JSONWriter.write(value, into: &buffer)
    }

    /// The compact serialization in a buffer sized exactly once.
    static func serialize(_ value: JSON) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(JSONWriter.byteCount(of: value))
        JSONWriter.write(value, into: &buffer)
        return buffer
    }
}
