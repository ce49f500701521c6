import NIOCore
import RallyProtocol

/// The client's access to JSON text. Delegates to RallyProtocol's parser and writer.
enum ClientJSON {
    static func parse(_ buffer: ByteBuffer) throws -> JSON {
        try TemporaryJSONParser.parse(buffer)
    }

    static func write(_ value: JSON, into buffer: inout ByteBuffer) {
        TemporaryJSONWriter.write(value, into: &buffer)
    }

    static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        TemporaryJSONWriter.writeString(text, into: &buffer)
    }

    static func serialize(_ value: JSON) -> ByteBuffer {
        var buffer = ByteBuffer()
        write(value, into: &buffer)
        return buffer
    }
}
