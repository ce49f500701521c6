// swift-tools-version:6.0
// Rally: a realtime WebSocket hub (Supabase Realtime / Phoenix Channels protocol) on SwiftNIO.
// Targets are cut by concern; see README.md "Architecture".
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]

/// The Swift 6 language mode (strict concurrency checked by the compiler), set on every target (README
/// "Architecture", "Language modes").
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

// Two lists, so that the manifest type-checks quickly.
let libraryTargets: [Target] = [
    // zlib (Debian zlib1g-dev) for permessage-deflate: raw deflate with window bits and sync flush.
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    // glibc's mallinfo2 for the tests that bound what the process keeps allocated.
    .systemLibrary(name: "CMallocStats", path: "Tests/CMallocStats"),
    // hiredis 0.14 (Debian libhiredis-dev): its RESP2 reply reader and command formatter.
    .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", providers: [.apt(["libhiredis-dev"])]),
    // Pure wire protocol: JSON, Phoenix v1/v2 serializers, binary kinds 3/4, join config. No I/O.
    .target(name: "RallyProtocol", dependencies: [
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
    ], swiftSettings: swift6),
    // RFC 6455 server transport: HTTP routing and upgrade, message assembly, UTF-8, permessage-deflate,
    // bounded outbound queue, shared pre-encoded frames, TLS.
    .target(name: "RallyWebSocket", dependencies: nio + [
        "CZlib",
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    // Identity: JWT verification (HS*, RS*/ES* via JWKS) and Supabase's error mapping.
    .target(name: "RallyAuth", dependencies: [
        "RallyProtocol",  // its strict JSON parser reads token headers and claims
        .product(name: "JWTKit", package: "jwt-kit"),
    ], swiftSettings: swift6),
    // The bus between nodes: the Broker seam (bytes to channels), the message formats between nodes and from
    // backend services, and the in-process bus. No I/O of its own.
    .target(name: "RallyBus", dependencies: [
        "RallyProtocol",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
    ], swiftSettings: swift6),
    // The bus on Redis: the Broker seam over the hiredis client (PUBLISH / SUBSCRIBE, reconnects, resubscribes).
    .target(name: "RallyBusRedis", dependencies: [
        "RallyBus", "RallyRedis",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
    ], swiftSettings: swift6),
    // Hub core: sharded topic tables, fanout, presence, per-connection channel state machine, limits, and the
    // hub's side of the bus (cluster broadcast, cluster-wide presence, node liveness).
    .target(name: "RallyHub", dependencies: [
        "RallyProtocol", "RallyWebSocket", "RallyAuth", "RallyBus", "RallyPrivacy",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
    ], swiftSettings: swift6),
    // The privacy rules applied to the hub: a TopicAuthorizer over a Directory, and live revocation.
    .target(name: "RallyAccess", dependencies: [
        "RallyHub", "RallyDirectory", "RallyPrivacy", "RallyAuth",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    // Server assembly: configuration, HTTP routes, metrics, drain, demo page.
    .target(name: "RallyServer", dependencies: nio + [
        "RallyProtocol", "RallyWebSocket", "RallyAuth", "RallyHub", "RallyAccess", "RallyDirectory", "RallyLive",
        "RallyPrivacy", "RallyBus", "RallyBusRedis", "RallyRedis",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
    ], resources: [.copy("Resources")], swiftSettings: swift6),
    // Swift client speaking Rally's protocol (v1 and v2 with binary broadcasts); used by tests and loadtest.
    .target(name: "RallyClient", dependencies: nio + [
        "RallyProtocol",
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
    ], swiftSettings: swift6),
    // Who may see what: the privacy rules as pure functions (topic kinds, join and item decisions). No I/O.
    .target(name: "RallyPrivacy", swiftSettings: swift6),
    // The directory behind the rules (friendships, groups, plans, events): a protocol with an in-memory and a
    // Postgres implementation, the SQL migrations and their NOTIFY triggers.
    .target(name: "RallyDirectory", dependencies: [
        "RallyPrivacy",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    // Live data (capacity, chat with history, notifications, plans, friend activity) fed by the directory's
    // change feed and served to the hub's joins.
    .target(name: "RallyLive", dependencies: [
        "RallyHub", "RallyDirectory", "RallyPrivacy", "RallyProtocol", "RallyAuth",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    // Redis client with no Rally logic: RESP2 via hiredis, pipelined command connection, subscriber with a
    // desired channel set, reconnect with backoff, TLS/AUTH URLs, cluster slot routing.
    .target(name: "RallyRedis", dependencies: nio + [
        "CHiredis",
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
]

let executableAndTestTargets: [Target] = [
    .executableTarget(name: "rally", dependencies: [
        "RallyServer",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    .executableTarget(name: "RallyLoadTest", dependencies: nio + [
        "RallyClient", "RallyProtocol", "RallyRedis",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], path: "loadtest/Sources/RallyLoadTest", swiftSettings: swift6),
    // The least a SwiftNIO hub does per message (no Rally code): the NIO reference in the benchmarks.
    .executableTarget(name: "RallyNIOFloor", dependencies: nio + [
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Crypto", package: "swift-crypto"),
    ], path: "loadtest/Sources/RallyNIOFloor", swiftSettings: swift6),
    // What the test targets share: a fresh PostgreSQL database per test on the server scripts/services.sh starts,
    // the demo and fixture seeds written into it (PostgresSeeder), Redis, and the recorder tests wait on.
    .target(name: "RallyTestSupport", dependencies: [
        "RallyDirectory", "RallyRedis",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], path: "Tests/RallyTestSupport", swiftSettings: swift6),
    // A hub on real event loops with fake sockets (RecordingTransport), for the hub and access tests.
    .target(name: "RallyHubTestSupport", dependencies: nio + [
        "RallyHub", "RallyAuth", "RallyBus", "RallyProtocol", "RallyWebSocket", "RallyTestSupport",
        .product(name: "NIOWebSocket", package: "swift-nio"),
    ], path: "Tests/RallyHubTestSupport", swiftSettings: swift6),
    .testTarget(name: "RallyProtocolTests", dependencies: [
        "RallyProtocol", "RallyTestSupport", .product(name: "NIOCore", package: "swift-nio"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyWebSocketTests", dependencies: nio + [
        "RallyWebSocket", "CZlib",
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOWebSocket", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyAuthTests", dependencies: [
        "RallyAuth",
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyBusTests", dependencies: nio + [
        "RallyBus", "RallyBusRedis", "RallyRedis", "RallyProtocol", "RallyTestSupport",
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
    ], swiftSettings: swift6),
    // The hub alone: no PostgreSQL needed.
    .testTarget(name: "RallyHubTests", dependencies: nio + [
        "RallyHub", "RallyHubTestSupport", "RallyAuth", "RallyBus", "RallyPrivacy", "RallyProtocol", "RallyWebSocket",
        "CMallocStats",
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
    ], swiftSettings: swift6),
    // The privacy rules on the hub: authorizer, revocation, change pipeline (in memory and on PostgreSQL).
    .testTarget(name: "RallyAccessTests", dependencies: [
        "RallyAccess", "RallyHub", "RallyHubTestSupport", "RallyAuth", "RallyDirectory", "RallyPrivacy",
        "RallyProtocol", "RallyTestSupport",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyLiveTests", dependencies: [
        "RallyLive", "RallyHub", "RallyDirectory", "RallyPrivacy", "RallyProtocol",
        .product(name: "NIOEmbedded", package: "swift-nio"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyServerTests", dependencies: nio + [
        "RallyServer", "RallyClient", "RallyDirectory", "RallyLive", "RallyPrivacy", "RallyProtocol",
        "RallyTestSupport", "RallyBusRedis",
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyPrivacyTests", dependencies: ["RallyPrivacy"], swiftSettings: swift6),
    .testTarget(name: "RallyRedisTests", dependencies: nio + [
        "RallyRedis", "RallyTestSupport",
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
    ], swiftSettings: swift6),
    .testTarget(name: "RallyDirectoryTests", dependencies: [
        "RallyDirectory", "RallyPrivacy", "RallyTestSupport",
        .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "Logging", package: "swift-log"),
    ], swiftSettings: swift6),
]

let package = Package(
    name: "Rally",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rally", targets: ["rally"]),
        .executable(name: "rally-loadtest", targets: ["RallyLoadTest"]),
        .executable(name: "rally-nio-floor", targets: ["RallyNIOFloor"]),
        .library(name: "RallyClient", targets: ["RallyClient"]),
        // For the fuzz harnesses in Fuzz/ (a separate package that depends on this one by path).
        .library(name: "RallyProtocol", targets: ["RallyProtocol"]),
        .library(name: "RallyWebSocket", targets: ["RallyWebSocket"]),
        .library(name: "RallyAuth", targets: ["RallyAuth"]),
        .library(name: "RallyBus", targets: ["RallyBus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // Already a dependency of jwt-kit; named here because the auth tests forge tokens with it directly.
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: libraryTargets + executableAndTestTargets,
    swiftLanguageModes: [.v5]
)
