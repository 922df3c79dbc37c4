// The Android shell of gridwork: a library module wrapping the Rust core (`gridwork`) and a
// thin Compose app (`app`). Build from this folder: ./gradlew :app:assembleDebug
// (see ../docs/mobile.md for the NDK and cargo-ndk prerequisites).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "gridwork-android"
include(":gridwork", ":app")
