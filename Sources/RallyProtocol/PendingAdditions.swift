// TEMPORARY: declarations the hub uses that the protocol work provides under its own names; reconciled at merge.
import NIOCore

extension JSON {
    public static func parse(_ bytes: ByteBuffer) throws -> JSON { fatalError("protocol work") }
    public func write(to buffer: inout ByteBuffer) { fatalError("protocol work") }
    public var encodedByteCount: Int { fatalError("protocol work") }
}

extension Replies {
    public static func errorWithoutReason() -> JSON { fatalError("protocol work") }
}

public enum PhxRef {
    public static func next() -> String { fatalError("protocol work") }
}
