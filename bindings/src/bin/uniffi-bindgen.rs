//! The workspace's own `uniffi-bindgen`, pinned to the same uniffi version as the library,
//! so generated Kotlin, Swift and Python always match the scaffolding. See `generate.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
