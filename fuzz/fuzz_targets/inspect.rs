//! Fuzzes the disk-format inspector: any bytes, fed as a stream in chunk sizes the input picks
//! and through the random-access path the browser uses, must never panic and must give the same
//! answer both ways.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../src/domain/inspect/mod.rs"]
mod inspect;

fuzz_target!(|input: &[u8]| {
    let Some((&chunk, data)) = input.split_first() else {
        return;
    };
    let whole = inspect::inspect_bytes(data);

    let mut streamed = inspect::Inspector::new();
    let step = usize::from(chunk).max(1) * 97;
    let mut at = 0;
    while at < data.len() {
        let end = (at + step).min(data.len());
        streamed.provide(at as u64, &data[at..end]);
        at = end;
    }
    assert_eq!(streamed.finish(data.len() as u64), whole);

    let read = |a: u64, b: u64| std::future::ready(Ok::<_, ()>(data[a as usize..b as usize].to_vec()));
    let mut run = std::pin::pin!(inspect::inspect_random_access(data.len() as u64, read));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::future::Future::poll(run.as_mut(), &mut cx) {
        std::task::Poll::Ready(Ok((found, _))) => assert_eq!(found, whole),
        _ => unreachable!("reads from memory are ready at once"),
    }
});
