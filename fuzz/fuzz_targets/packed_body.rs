//! The packed wire form (core/src/sync/packed.rs) as a device or the server receives it:
//! arbitrary bytes unpacked as a pull page and as a push body, bounded in size, must give
//! an error or a value, never a panic or an unbounded allocation; a page that unpacks
//! packs again to a body that unpacks to the same page.
#![no_main]

use gridwork_core::sync::packed;
use libfuzzer_sys::fuzz_target;

const MAX: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    // Raw bytes, and the same bytes as the JSON inside a frame with the dictionary, so
    // the fuzzer reaches the prev_hash restoring past the decompressor.
    let framed = packed::compress(data).expect("compress");
    for body in [data, framed.as_slice()] {
        let _ = packed::unpack_push_value(body, MAX);
        if let Ok(page) = packed::unpack_pull(body, MAX) {
            let again = packed::pack_pull(&page).expect("pack");
            assert_eq!(packed::unpack_pull(&again, usize::MAX).expect("unpack"), page);
        }
    }
});
