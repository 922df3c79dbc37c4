// The `gridwork` Android library: the Rust core (libgridwork_ffi.so, built by cargo-ndk for
// arm64-v8a, armeabi-v7a and x86_64 with 16 KB page alignment), its uniffi-generated Kotlin
// (generated at build time into build/generated, never committed) and the thin Kotlin
// wrappers in src/main/kotlin (org.gridwork.kit: platform-independent, also run on CI's JVM;
// org.gridwork.android: Keystore).
import org.gradle.api.tasks.Exec

plugins {
    alias(libs.plugins.android.library)
    alias(libs.plugins.kotlin.android)
}

val repoRoot = rootProject.projectDir.parentFile
val jniOut = layout.buildDirectory.dir("generated/jniLibs")
val kotlinOut = layout.buildDirectory.dir("generated/uniffi/kotlin")
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")

android {
    namespace = "org.gridwork"
    compileSdk = 35
    // The NDK version cargo-ndk uses; r27+ is needed for 16 KB page support tooling.
    ndkVersion = "27.2.12479018"

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += abis }
    }

    sourceSets["main"].apply {
        jniLibs.srcDir(jniOut)
        java.srcDir(kotlinOut)
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
}

// cargo-ndk builds the cdylib for each ABI into build/generated/jniLibs/<abi>/, with the
// workspace's `mobile` profile (release, optimised for size: see Cargo.toml) and without
// the built-in HTTP client (`builtin-http`): the app's UrlConnectionTransport does sync.
// `-z max-page-size=16384` aligns the ELF segments to 16 KB (required for Android 15+
// devices with 16 KB pages; harmless on 4 KB devices).
val cargoNdk by tasks.registering(Exec::class) {
    group = "gridwork"
    description = "Builds libgridwork_ffi.so for ${abis.joinToString()} with cargo-ndk."
    workingDir = repoRoot
    environment("RUSTFLAGS", "-C link-arg=-Wl,-z,max-page-size=16384")
    commandLine(
        listOf("cargo", "ndk") + abis.flatMap { listOf("-t", it) } + listOf(
            "--platform", "24",
            "-o", jniOut.get().asFile.path,
            "build", "--profile", "mobile", "-p", "gridwork-ffi", "--lib", "--no-default-features",
        ),
    )
    inputs.dir(File(repoRoot, "core/src"))
    inputs.dir(File(repoRoot, "bindings/src"))
    inputs.dir(File(repoRoot, "sqlcipher"))
    outputs.dir(jniOut)
}

// uniffi-bindgen in library mode reads the interface from the built library (any ABI).
val generateBindings by tasks.registering(Exec::class) {
    group = "gridwork"
    description = "Generates the Kotlin bindings from the built library."
    dependsOn(cargoNdk)
    workingDir = repoRoot
    val lib = jniOut.get().file("arm64-v8a/libgridwork_ffi.so").asFile
    commandLine(
        "cargo", "run", "-q", "-p", "gridwork-ffi", "--features", "cli", "--bin", "uniffi-bindgen", "--",
        "generate", "--no-format", "--library", lib.path,
        "--language", "kotlin", "--out-dir", kotlinOut.get().asFile.path,
    )
    outputs.dir(kotlinOut)
}

tasks.named("preBuild") { dependsOn(generateBindings) }

dependencies {
    // @aar: the Android JNA, with libjnidispatch.so for each ABI.
    implementation(libs.jna) { artifact { type = "aar" } }
    // The kit's suspend wrappers, Flows and StateFlow state holders (exposed to the app).
    api(libs.coroutines.core)
}
