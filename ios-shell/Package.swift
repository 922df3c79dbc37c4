// swift-tools-version:6.0
// GridworkKit: the gridwork core for iOS. `GridworkFFI` is the Rust static library with its
// C header and module map (built by ./build-xcframework.sh); `GridworkKit` holds the
// uniffi-generated Swift (Sources/GridworkKit/Generated, written by the same script, never
// committed), the wrappers and the screens' state holders. CI compiles the generated code and the
// kit as this module in Swift 6 language mode (Linux Swift 6.0.3, .ci/run-binding-tests.sh), so no
// Swift 5 fallback is set. The app target (project.yml) needs iOS 17; the kit itself needs 15.
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
