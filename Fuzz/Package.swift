// swift-tools-version:6.0
// libFuzzer harnesses for Rally's parsers of untrusted bytes; one executable per target, built with
// `-sanitize=fuzzer,address` by scripts/fuzz.sh. Kept out of the main package so its build is unaffected.
import PackageDescription

let targets: [(name: String, module: String)] = [
    ("FrameReader", "RallyWebSocket"),
    ("Deflate", "RallyWebSocket"),
    ("HTTPRequest", "RallyWebSocket"),
    ("JSON", "RallyProtocol"),
    ("Decoder", "RallyProtocol"),
    ("Token", "RallyAuth"),
    ("Bus", "RallyBus"),
]

let package = Package(
    name: "RallyFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Rally", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CFuzzerDriver", path: "CFuzzerDriver"),
        .target(name: "FuzzSupport", dependencies: [
            "CFuzzerDriver", .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Support"),
    ] + targets.map { target in
        .executableTarget(
            name: "Fuzz\(target.name)",
            dependencies: [
                .product(name: target.module, package: "Rally"),
                .product(name: "RallyProtocol", package: "Rally"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "FuzzSupport",
            ],
            path: target.name
        )
    },
    swiftLanguageModes: [.v5]
)
