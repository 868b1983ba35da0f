//! A guard in front of the SSE parser (`sse-stream` 0.2.4) for the streams Patchbay reads itself
//! (the legacy HTTP+SSE transport). That parser calls itself once per chunk the body has ready
//! and copies the whole unfinished line again with every chunk, so a hostile server streaming
//! one endless `data:` line overflowed the stack (SIGABRT at ~18 MB) or, paced, grew memory
//! without bound. This adapter, between the HTTP body and the parser:
//!
//! - fails the stream once an event (the bytes since the last blank line) passes [`MAX_EVENT`],
//!   the 16 MiB rmcp allows on its own streams;
//! - hands the parser whole lines (or at least [`MIN_PIECE`] of an unfinished one), so a long
//!   line is copied a bounded number of times, not once per network chunk;
//! - answers `Pending` (after waking itself) every [`READY_BUDGET`] pieces in a row, which ends
//!   the parser's recursion at that depth and lets timeouts and other tasks run.

use std::io::Cursor;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

/// The largest event accepted (as rmcp's own SSE limit).
pub const MAX_EVENT: usize = 16 * 1024 * 1024;
/// An unfinished line is passed on once this much of it has arrived.
pub const MIN_PIECE: usize = 1024 * 1024;
/// Pieces handed over in a row before the guard yields.
pub const READY_BUDGET: u8 = 8;

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("the server sent an event larger than {} MiB", MAX_EVENT / (1024 * 1024))]
    EventTooLarge,
}

/// The guarded body: pieces for `sse_stream::SseStream::from_bytes_stream`.
pub struct Guarded {
    body: BoxStream<'static, Result<Bytes, reqwest::Error>>,
    /// Bytes not yet handed to the parser.
    pending: Vec<u8>,
    /// Bytes since the last blank line.
    event: usize,
    /// Length of the line being read.
    line: usize,
    previous: u8,
    ready_in_a_row: u8,
    /// The body ended: what is pending goes over as it is.
    ended: bool,
    finished: bool,
    /// The last piece ended inside a line (a long one): the next line ending ends that line.
    mid_line: bool,
}

impl Guarded {
    pub fn new(body: impl Stream<Item = Result<Bytes, reqwest::Error>> + Send + 'static) -> Self {
        Self {
            body: body.boxed(),
            pending: Vec::new(),
            event: 0,
            line: 0,
            previous: 0,
            ready_in_a_row: 0,
            ended: false,
            finished: false,
            mid_line: false,
        }
    }

    /// Counts `chunk` into the current event; false once the event is too large.
    fn count(&mut self, chunk: &[u8]) -> bool {
        for &byte in chunk {
            let crlf = byte == b'\n' && self.previous == b'\r';
            self.previous = byte;
            if crlf {
                continue;
            }
            if byte == b'\n' || byte == b'\r' {
                if self.line == 0 {
                    // A blank line ends the event.
                    self.event = 0;
                }
                self.line = 0;
            } else {
                self.line += 1;
            }
            self.event += 1;
            if self.event > MAX_EVENT {
                return false;
            }
        }
        true
    }

    /// The next piece to hand over: the first event (through its blank line) if a whole one is
    /// pending, else the whole lines pending, else a long unfinished line; at the end of the
    /// body, whatever is left. One event per piece: `sse-stream` drops the events before an
    /// invalid line in the same piece, so what a client saw would depend on how the network cut
    /// the bytes. A `\r` last in what is pending waits for the next byte (it may be a `\r\n`).
    fn piece(&mut self, at_end: bool) -> Option<Vec<u8>> {
        let pending = &self.pending;
        let mut line_start = 0;
        let mut index = 0;
        let mut last_line_end = None;
        let mut event_end = None;
        let mut continues_a_line = self.mid_line;
        while index < pending.len() {
            let byte = pending[index];
            if byte != b'\n' && byte != b'\r' {
                index += 1;
                continue;
            }
            if byte == b'\r' && index + 1 == pending.len() && !at_end {
                break;
            }
            let end = if byte == b'\r' && pending.get(index + 1) == Some(&b'\n') {
                index + 2
            } else {
                index + 1
            };
            if index == line_start && !continues_a_line {
                event_end = Some(end);
                break;
            }
            continues_a_line = false;
            last_line_end = Some(end);
            line_start = end;
            index = end;
        }
        let end = match event_end.or(last_line_end) {
            Some(end) => end,
            None if pending.is_empty() => return None,
            None if at_end || pending.len() >= MIN_PIECE => pending.len(),
            None => return None,
        };
        let rest = self.pending.split_off(end);
        let piece = std::mem::replace(&mut self.pending, rest);
        self.mid_line = !matches!(piece.last(), Some(b'\n' | b'\r'));
        Some(piece)
    }

    /// Hands `piece` over; at the end of the budget, also asks to be polled again (the next
    /// poll yields).
    fn hand_over(
        &mut self,
        piece: Vec<u8>,
        cx: &Context<'_>,
    ) -> Poll<Option<<Self as Stream>::Item>> {
        self.ready_in_a_row += 1;
        if self.ready_in_a_row >= READY_BUDGET {
            cx.waker().wake_by_ref();
        }
        Poll::Ready(Some(Ok(Cursor::new(piece))))
    }
}

impl Stream for Guarded {
    type Item = Result<Cursor<Vec<u8>>, GuardError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        if this.ready_in_a_row >= READY_BUDGET {
            // Unwinds the parser's recursion; the waker set by `hand_over` polls again.
            this.ready_in_a_row = 0;
            return Poll::Pending;
        }
        loop {
            if let Some(piece) = this.piece(this.ended) {
                return this.hand_over(piece, cx);
            }
            if this.ended {
                this.finished = true;
                return Poll::Ready(None);
            }
            match this.body.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    if !this.count(&chunk) {
                        this.finished = true;
                        this.pending = Vec::new();
                        return Poll::Ready(Some(Err(GuardError::EventTooLarge)));
                    }
                    this.pending.extend_from_slice(&chunk);
                }
                Poll::Ready(Some(Err(error))) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(error.into())));
                }
                Poll::Ready(None) => this.ended = true,
                Poll::Pending => {
                    this.ready_in_a_row = 0;
                    return Poll::Pending;
                }
            }
        }
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use futures::stream;

    use super::*;

    fn pieces(chunks: Vec<&'static [u8]>) -> Vec<Result<Vec<u8>, String>> {
        let body = stream::iter(
            chunks
                .into_iter()
                .map(|chunk| Ok::<_, reqwest::Error>(Bytes::from_static(chunk))),
        );
        futures::executor::block_on(
            Guarded::new(body)
                .map(|piece| {
                    piece
                        .map(Cursor::into_inner)
                        .map_err(|error| error.to_string())
                })
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn whole_lines_are_handed_over_and_the_rest_waits() {
        assert_eq!(
            pieces(vec![b"data: {\"a\"", b":1}\n\nda", b"ta: 2\n\n"]),
            vec![
                Ok(b"data: {\"a\":1}\n\n".to_vec()),
                Ok(b"data: 2\n\n".to_vec())
            ]
        );
    }

    #[test]
    fn an_event_past_the_limit_ends_the_stream() {
        static LINE: [u8; 1024 * 1024] = [b'x'; 1024 * 1024];
        let mut chunks: Vec<&'static [u8]> = vec![b"data: "];
        chunks.extend(std::iter::repeat_n(&LINE[..], 17));
        let out = pieces(chunks);
        assert_eq!(
            out.last(),
            Some(&Err(
                "the server sent an event larger than 16 MiB".to_owned()
            ))
        );
        assert!(
            out.len() <= 17,
            "an unfinished line goes over in large pieces"
        );
    }

    #[test]
    fn blank_lines_start_a_new_event_whatever_the_line_endings() {
        static LINE: [u8; 1024 * 1024] = [b'x'; 1024 * 1024];
        // 40 MiB in all, but no event is larger than 1 MiB.
        let mut chunks: Vec<&'static [u8]> = Vec::new();
        for ending in [&b"\r\n\r\n"[..], b"\n\n", b"\r\r"]
            .into_iter()
            .cycle()
            .take(40)
        {
            chunks.push(b"data: ");
            chunks.push(&LINE[..]);
            chunks.push(ending);
        }
        assert!(pieces(chunks).iter().all(Result::is_ok));
    }
}
