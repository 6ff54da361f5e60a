//! actix-http's HTTP/1 dispatcher answers a request it cannot read by itself, below the
//! app where no middleware runs: a malformed head (400), a head too large (431), a head
//! not sent in time (408). It writes those with an empty body and no content type, and
//! offers no hook to change them. `ProblemStream` sits between the socket and the
//! dispatcher and replaces exactly those answers with problem+json as they are written;
//! every other byte passes through untouched.
//!
//! They are recognisable: each is the last thing the dispatcher writes before it closes
//! (so the head ends the buffer it writes), with `content-length: 0` and no header but
//! `connection` and `date`. The app never writes such an answer: its own 400, 408 and
//! 431 are problems with a body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::ApiError;
use crate::http::problem::{PROBLEM_JSON, Problem, problem_type};

/// The headers a dispatcher answer may have; anything else means it is not one.
const DISPATCHER_HEADERS: [&str; 3] = ["content-length", "connection", "date"];

/// The longest dispatcher answer head (with its date) looked for at a buffer's end.
const LONGEST_HEAD: usize = 160;

/// A stream whose dispatcher answers go out as problems.
pub struct ProblemStream<S> {
    inner: S,
    replacing: Option<Replacement>,
}

/// A replacement being written: its bytes, how many are out, and how many bytes of
/// the dispatcher's buffer it stands for.
struct Replacement {
    bytes: Vec<u8>,
    written: usize,
    stands_for: usize,
}

impl<S> ProblemStream<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            replacing: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> ProblemStream<S> {
    /// Writes what is left of a replacement; ready with how much of the dispatcher's
    /// buffer it stood for once it is all out.
    fn poll_replacement(
        &mut self,
        cx: &mut Context<'_>,
        buf_len: usize,
    ) -> Poll<io::Result<usize>> {
        let Some(replacement) = self.replacing.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while replacement.written < replacement.bytes.len() {
            let rest = &replacement.bytes[replacement.written..];
            match ready!(Pin::new(&mut self.inner).poll_write(cx, rest)) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => replacement.written += n,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        let stands_for = replacement.stands_for;
        self.replacing = None;
        Poll::Ready(Ok(stands_for.min(buf_len)))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.replacing.is_some() {
            // The dispatcher offers the same buffer again until it hears it was written.
            return self.poll_replacement(cx, buf.len());
        }
        match dispatcher_answer_at(buf) {
            None => Pin::new(&mut self.inner).poll_write(cx, buf),
            // What comes before it goes out as it is, first.
            Some((start, _)) if start > 0 => {
                Pin::new(&mut self.inner).poll_write(cx, &buf[..start])
            }
            Some((start, status)) => {
                self.replacing = Some(Replacement {
                    bytes: problem_answer(status, date_of(&buf[start..])),
                    written: 0,
                    stands_for: buf.len(),
                });
                self.poll_replacement(cx, buf.len())
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx, usize::MAX))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx, usize::MAX))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Where a dispatcher answer starts in `buf`, and its status, when `buf` ends with one.
fn dispatcher_answer_at(buf: &[u8]) -> Option<(usize, u16)> {
    if !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let from = buf.len().saturating_sub(LONGEST_HEAD);
    let start = from + find_last(&buf[from..], b"HTTP/1.")?;
    let mut headers = [httparse::EMPTY_HEADER; 4];
    let mut head = httparse::Response::new(&mut headers);
    match head.parse(&buf[start..]) {
        Ok(httparse::Status::Complete(len)) if start + len == buf.len() => {}
        _ => return None,
    }
    let status = head.code.filter(|code| matches!(code, 400 | 408 | 431))?;
    let only_dispatcher_headers = head.headers.iter().all(|h| {
        DISPATCHER_HEADERS
            .iter()
            .any(|name| h.name.eq_ignore_ascii_case(name))
    });
    let empty = head
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("content-length") && h.value == b"0");
    (only_dispatcher_headers && empty).then_some((start, status))
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The `date` header line of a dispatcher answer at the end of `buf`, to keep.
fn date_of(buf: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(buf).ok()?;
    text.split("\r\n")
        .find(|line| line.to_ascii_lowercase().starts_with("date:"))
        .map(str::to_string)
}

/// The problem+json answer for a request the dispatcher could not read; the connection
/// closes after it, as it did after the bare answer.
fn problem_answer(status: u16, date: Option<String>) -> Vec<u8> {
    let (reason, problem) = match status {
        408 => (
            "Request Timeout",
            ApiError::RequestTimeout(
                "The request head did not arrive in time; the connection is closed.".into(),
            )
            .problem(),
        ),
        431 => (
            "Request Header Fields Too Large",
            Problem {
                problem_type: problem_type("request-header-fields-too-large"),
                title: "The request head is too large".into(),
                status: 431,
                detail: "The request line and headers must be under 128 KiB, with at most 96 headers.".into(),
                errors: None,
                request_id: None,
            },
        ),
        _ => (
            "Bad Request",
            ApiError::BadRequest(
                "The request could not be read as HTTP/1.1 (its request line or a header is malformed); the connection is closed.".into(),
            )
            .problem(),
        ),
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\nx-content-type-options: nosniff\r\ncontent-security-policy: default-src 'none'; frame-ancestors 'none'\r\nreferrer-policy: no-referrer\r\n",
        body.len()
    );
    if let Some(date) = date {
        head.push_str(&date);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut answer = head.into_bytes();
    answer.extend_from_slice(&body);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &str = "date: Mon, 07 Dec 2026 23:21:06 GMT";

    fn bare(status_line: &str, close: bool) -> String {
        let connection = if close { "connection: close\r\n" } else { "" };
        format!("{status_line}\r\ncontent-length: 0\r\n{connection}{DATE}\r\n\r\n")
    }

    #[test]
    fn the_dispatchers_answers_are_found_at_the_end_of_what_it_writes() {
        for (line, status) in [
            ("HTTP/1.1 400 Bad Request", 400),
            ("HTTP/1.1 408 Request Timeout", 408),
            ("HTTP/1.1 431 Request Header Fields Too Large", 431),
        ] {
            assert_eq!(
                dispatcher_answer_at(bare(line, true).as_bytes()),
                Some((0, status))
            );
        }
        // After an answer to an earlier pipelined request, in the same buffer.
        let earlier = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        let both = format!("{earlier}{}", bare("HTTP/1.1 400 Bad Request", false));
        assert_eq!(
            dispatcher_answer_at(both.as_bytes()),
            Some((earlier.len(), 400))
        );
    }

    #[test]
    fn the_apps_own_answers_pass_untouched() {
        let problem = "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\ncontent-type: application/problem+json\r\n\r\n{}";
        let empty_ok = bare("HTTP/1.1 204 No Content", false);
        let with_headers =
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-request-id: 1\r\n\r\n".to_string();
        let body_ending_in_a_blank_line = "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\na\r\n\r\n";
        for buf in [
            problem,
            empty_ok.as_str(),
            with_headers.as_str(),
            body_ending_in_a_blank_line,
            "",
        ] {
            assert_eq!(dispatcher_answer_at(buf.as_bytes()), None, "{buf:?}");
        }
    }

    #[test]
    fn the_replacement_is_a_problem_that_closes_the_connection_and_keeps_the_date() {
        let answer = problem_answer(431, date_of(bare("HTTP/1.1 431 x", true).as_bytes()));
        let text = String::from_utf8(answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("content-type: application/problem+json\r\n"));
        assert!(head.contains("connection: close\r\n"));
        assert!(head.ends_with(DATE));
        assert!(head.contains(&format!("content-length: {}\r\n", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 431);
        assert_eq!(problem["type"], "/problems/request-header-fields-too-large");
    }
}
