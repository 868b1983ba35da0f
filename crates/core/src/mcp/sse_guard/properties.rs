//! Property tests of the SSE guard in front of `sse-stream` (issue 11): however a server's bytes
//! are cut into network chunks, the guard hands the parser exactly those bytes, and the parser
//! then reads the same events (up to the first error, where the legacy transport stops) as from
//! the stream in one piece. (Without the guard it does not: `sse-stream` drops the events that
//! precede an invalid line in the same chunk, so what a client saw depended on the network.)

use std::io::Cursor;

use bytes::Bytes;
use futures::{StreamExt, stream};
use proptest::prelude::*;

use super::Guarded;

fn chunked(input: &[u8], cuts: &[usize]) -> Vec<Bytes> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (input.len() + 1)).collect();
    points.push(0);
    points.push(input.len());
    points.sort_unstable();
    points.dedup();
    points
        .windows(2)
        .map(|pair| Bytes::copy_from_slice(&input[pair[0]..pair[1]]))
        .collect()
}

fn body(chunks: Vec<Bytes>) -> impl futures::Stream<Item = Result<Bytes, reqwest::Error>> {
    stream::iter(chunks.into_iter().map(Ok))
}

fn guarded_pieces(chunks: Vec<Bytes>) -> Vec<Vec<u8>> {
    futures::executor::block_on(
        Guarded::new(body(chunks))
            .map(|piece| piece.map(Cursor::into_inner).unwrap_or_default())
            .collect(),
    )
}

/// The events up to the first error: the legacy transport stops reading there.
fn events(
    stream: impl futures::Stream<Item = Result<sse_stream::Sse, sse_stream::Error>>,
) -> Vec<sse_stream::Sse> {
    futures::executor::block_on(
        stream
            .take_while(|event| std::future::ready(event.is_ok()))
            .filter_map(|event| async { event.ok() })
            .collect(),
    )
}

/// SSE-looking text: fields, comments and junk, with every kind of line ending.
fn sse_text() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        "data: [a-z{}\":,0-9 ]{0,24}",
        "event: [a-z]{0,6}",
        "id: [0-9]{0,4}",
        "retry: [0-9]{0,4}",
        ": [a-z ]{0,10}",
        "[a-z: ]{0,12}",
        Just(String::new()),
    ];
    let ending = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    prop::collection::vec((line, ending), 0..40).prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(line, ending)| format!("{line}{ending}").into_bytes())
            .collect()
    })
}

proptest! {
    #[test]
    fn the_guard_hands_over_exactly_the_bytes_it_got(
        input in prop::collection::vec(any::<u8>(), 0..4096),
        cuts in prop::collection::vec(any::<usize>(), 0..32),
    ) {
        let pieces = guarded_pieces(chunked(&input, &cuts));
        prop_assert_eq!(pieces.concat(), input);
    }

    #[test]
    fn events_do_not_depend_on_how_the_bytes_were_cut(
        input in sse_text(),
        cuts in prop::collection::vec(any::<usize>(), 0..32),
    ) {
        let whole = events(sse_stream::SseStream::from_bytes_stream(Guarded::new(body(vec![
            Bytes::from(input.clone()),
        ]))));
        let cut = events(sse_stream::SseStream::from_bytes_stream(Guarded::new(body(
            chunked(&input, &cuts),
        ))));
        prop_assert_eq!(cut, whole);
    }
}
