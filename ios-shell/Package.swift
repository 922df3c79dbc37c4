// swift-tools-version:6.0
// GridworkKit: the gridwork core for iOS. `GridworkFFI` is the Rust static library with its
// C header and module map (built by ./build-xcframework.sh); `GridworkKit` holds the
// uniffi-generated Swift (Sources/GridworkKit/Generated, written by the same script, never
// committed) and the thin wrappers. The generated code and the wrappers type-check cleanly in
// Swift 6 language mode (checked on CI's Linux Swift 6.0.3), so no Swift 5 fallback is set.
import PackageDescription

let package = Package(
    name: "GridworkKit",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "GridworkKit", targets: ["GridworkKit"]),
    ],
    targets: [
        .binaryTarget(name: "GridworkFFI", path: "GridworkFFI.xcframework"),
        .target(
            name: "GridworkKit",
            dependencies: ["GridworkFFI"],
            path: "Sources/GridworkKit"
        ),
    ]
)
