import NIOCore

extension EnvironmentSetting {
    static let limits: [EnvironmentSetting] = [
        .init("RALLY_MAX_MESSAGE_BYTES", Default.int(\.limits.maxMessageBytes), "largest client message on a hub socket → close 1009") {
            $0.limits.maxMessageBytes = try Parse.int($1)
        },
        .init("RALLY_MAX_PAYLOAD_BYTES", Default.int(\.limits.maxBroadcastPayloadBytes), "largest broadcast → error reply PayloadTooLarge") {
            $0.limits.maxBroadcastPayloadBytes = try Parse.int($1)
        },
        .init("RALLY_MAX_OUTBOUND_BYTES", Default.int(\.server.maxOutboundBytes), "bytes queued to one socket before it is closed with 1013") {
            $0.server.maxOutboundBytes = try Parse.int($1)
        },
        .init("RALLY_MAX_CONNECTIONS", Default.int(\.maxConnections), "sockets per node → HTTP 503 at upgrade") {
            $0.maxConnections = try Parse.int($1)
        },
        .init("RALLY_MAX_CONNECTIONS_PER_IP", Default.int(\.maxConnectionsPerIP), "sockets per client address → HTTP 429 at upgrade") {
            $0.maxConnectionsPerIP = try Parse.int($1)
        },
        .init("RALLY_DESCRIPTOR_RESERVE", Default.int(\.server.descriptorReserve), "descriptors kept from accepted connections: accepting pauses while every number below ulimit -n minus this is in use") {
            $0.server.descriptorReserve = try Parse.int($1)
        },
        .init("RALLY_MAX_CHANNELS", Default.int(\.limits.maxChannelsPerSocket), "channels joined per socket → ChannelRateLimitReached") {
            $0.limits.maxChannelsPerSocket = try Parse.int($1)
        },
        .init("RALLY_JOINS_PER_SECOND", Default.int(\.limits.joinsPerSecond), "joins per second per socket → ClientJoinRateLimitReached") {
            $0.limits.joinsPerSecond = try Parse.int($1)
        },
        .init("RALLY_MESSAGES_PER_SECOND", Default.int(\.limits.messagesPerSecond), "client messages per second per socket, sustained → RateLimited") {
            $0.limits.messagesPerSecond = try Parse.int($1)
        },
        .init("RALLY_MESSAGE_BURST", Default.int(\.limits.messageBurst), "burst allowance over RALLY_MESSAGES_PER_SECOND") {
            $0.limits.messageBurst = try Parse.int($1)
        },
        .init("RALLY_PRESENCE_CALLS", Default.int(\.limits.presenceCallsPerWindow), "presence track/untrack calls per window per socket") {
            $0.limits.presenceCallsPerWindow = try Parse.int($1)
        },
        .init("RALLY_PRESENCE_WINDOW_MS", Default.milliseconds(\.limits.presenceWindow), "window of RALLY_PRESENCE_CALLS") {
            $0.limits.presenceWindow = try Parse.milliseconds($1)
        },
        .init("RALLY_MAX_PRESENCE_BYTES", Default.int(\.limits.maxPresenceMetaBytes), "largest presence meta (encoded JSON)") {
            $0.limits.maxPresenceMetaBytes = try Parse.int($1)
        },
        .init("RALLY_MAX_TOPIC_BYTES", Default.int(\.limits.maxTopicBytes), "longest topic name after realtime: → TopicNameTooLong") {
            $0.limits.maxTopicBytes = try Parse.int($1)
        },
        .init("RALLY_MAX_JOIN_BYTES", Default.int(\.limits.maxJoinBytes), "largest phx_join message (config and token) → JoinPayloadTooLarge") {
            $0.limits.maxJoinBytes = try Parse.int($1)
        },
        .init("RALLY_MAX_PRESENCE_KEY_BYTES", Default.int(\.limits.maxPresenceKeyBytes), "longest presence key → PresenceKeyTooLong") {
            $0.limits.maxPresenceKeyBytes = try Parse.int($1)
        },
        .init("RALLY_HANDSHAKE_TIMEOUT_MS", Default.milliseconds(\.server.handshakeTimeout), "TCP accept → complete HTTP request (head and body), else closed") {
            $0.server.handshakeTimeout = try Parse.milliseconds($1)
        },
        .init("RALLY_IDLE_TIMEOUT_MS", Default.milliseconds(\.server.idleTimeout), "no frame from the client for this long → close 1011") {
            $0.server.idleTimeout = try Parse.milliseconds($1)
        },
    ]

    static let operations: [EnvironmentSetting] = [
        .init("RALLY_CONNECT_ERROR_DELAY_MS", Default.milliseconds(\.connectErrorDelay), "delay before a refused upgrade is answered") {
            $0.connectErrorDelay = try Parse.milliseconds($1)
        },
        .init("RALLY_JOIN_ERROR_DELAY_MS", Default.milliseconds(\.limits.joinErrorDelay), "delay before a join error reply") {
            $0.limits.joinErrorDelay = try Parse.milliseconds($1)
        },
        .init("RALLY_DRAIN_BATCH", Default.int(\.limits.drainBatchSize), "sockets closed (1012) per drain batch and event loop") {
            $0.limits.drainBatchSize = try Parse.int($1)
        },
        .init("RALLY_DRAIN_INTERVAL_MS", Default.milliseconds(\.limits.drainBatchInterval), "pause between drain batches") {
            $0.limits.drainBatchInterval = try Parse.milliseconds($1)
        },
        .init("RALLY_DRAIN_TIMEOUT_MS", Default.milliseconds(\.drainTimeout), "longest a drain may take before the rest is cut") {
            $0.drainTimeout = try Parse.milliseconds($1)
        },
        .init("RALLY_MALLOC_TRIM_IDLE_MS", Default.milliseconds(\.mallocTrimIdle),
              "open sockets down by RALLY_MALLOC_TRIM_MIN_DROP from their high for this long → freed heap returned to the kernel (malloc_trim); 0: never") {
            let idle = try Parse.milliseconds($1)
            $0.mallocTrimIdle = idle.nanoseconds > 0 ? idle : nil
        },
        .init("RALLY_MALLOC_TRIM_MIN_DROP", Default.int(\.mallocTrimMinimumDrop), "fall in open sockets (or half their high, if less) that makes a node trim after RALLY_MALLOC_TRIM_IDLE_MS") {
            $0.mallocTrimMinimumDrop = max(1, try Parse.int($1))
        },
        .init("RALLY_LOG_LEVEL", Default.node.logLevel, "trace, debug, info, notice, warning, error, critical") {
            $0.logLevel = try Parse.nonEmpty($1)
        },
    ]
}
