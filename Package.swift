// swift-tools-version:6.1
import PackageDescription

// One list for every target, as Hummingbird does: Swift 6 mode everywhere, existentials spelled out.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "prescient",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prescient", targets: ["prescient"]),
        .library(name: "Models", targets: ["Models"]),
        // For the fuzz targets in Fuzz/, a separate package built with sanitizers.
        .library(name: "RemoteAdapter", targets: ["RemoteAdapter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        // bcrypt for web-config's basic_auth_users (its CBcrypt is the OpenBSD C code; no swift-crypto built).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),  // already Hummingbird's, for TLS settings
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),  // already Hummingbird's, for NIOThreadPool
    ],
    targets: [
        // libsnappy from Debian's libsnappy-dev, through its C API (snappy-c.h).
        .systemLibrary(
            name: "CSnappy",
            pkgConfig: "snappy",
            providers: [.apt(["libsnappy-dev"])]
        ),
        // xxHash from Debian's libxxhash-dev: the series key hash at ingest (XXH3, seeded).
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        // zlib, for gzip-compressed scrapes.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // protoc-c output for proto/*.proto (scripts/generate-proto.sh), linked to libprotobuf-c.
        .target(
            name: "CPrompb",
            linkerSettings: [.linkedLibrary("protobuf-c")]
        ),
        // A prefetch hint for the ingest path (a compiler builtin, so no library).
        .target(name: "CPrefetch"),
        // glibc's malloc_trim, to hand dropped series' memory back (Glibc does not export it).
        .target(name: "CMalloc"),
        // Forecasters and detectors: pure Swift, no I/O, no server code.
        .target(name: "Models", swiftSettings: swiftSettings),
        .target(
            name: "RemoteAdapter",
            dependencies: [
                "CSnappy", "CPrompb", "CZlib", "CXXHash", "CPrefetch", "CMalloc", "Models",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Thin @main: everything is assembled by RemoteAdapter so tests build the same app.
        .executableTarget(
            name: "prescient",
            dependencies: ["RemoteAdapter"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ModelsTests", dependencies: ["Models"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "RemoteAdapterTests",
            dependencies: [
                "RemoteAdapter", "CSnappy", "CPrompb",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            // Read from the source tree (the test can rewrite it), so not a bundled resource.
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
    ]
)
