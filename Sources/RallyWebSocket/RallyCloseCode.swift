// The close codes Rally sends, in one place: the transport's own (protocol violations, idle, slow consumer) and
// the ones the hub asks for (drain, abuse). README "Limits and close codes" is their table.
import NIOWebSocket

/// Close codes Rally sends. Every client reconnects on 1011/1012/1013 (ANCHORS §3.5); 1008 is used only where a
/// reconnect would be refused again anyway. Rally never sends 1000/1001 (realtime-py would not reconnect) or
/// 4xxx (supabase-swift would not).
public enum RallyCloseCode {
    /// An invalid frame (unmasked, bad opcode, RSV bits, bad close code, fragmented control frame): 1002.
    public static let protocolError = WebSocketErrorCode.protocolError
    /// Invalid UTF-8 in a text message or close reason, or compressed data that does not inflate: 1007.
    public static let invalidData = WebSocketErrorCode.dataInconsistentWithMessage
    /// Protocol abuse the socket cannot recover from (e.g. flooding past the hard limit): "Policy Violation".
    public static let policyViolation = WebSocketErrorCode.policyViolation
    /// A frame or message over its size bound: 1009.
    public static let messageTooLarge = WebSocketErrorCode.messageTooLarge
    /// No frame from the client within the idle timeout, or the server failed (no compressor): 1011.
    public static let unexpectedCondition = WebSocketErrorCode.unexpectedServerError
    /// Graceful drain on shutdown: "Service Restart" (1012).
    public static let serviceRestart = WebSocketErrorCode(codeNumber: 1012)
    /// Slow consumer (outbound queue over its byte bound), or the server is over capacity: "Try Again Later" (1013).
    public static let tryAgainLater = WebSocketErrorCode(codeNumber: 1013)
}

extension WebSocketErrorCode {
    /// The code as it goes on the wire.
    var wireValue: UInt16 { UInt16(webSocketErrorCode: self) }
}
