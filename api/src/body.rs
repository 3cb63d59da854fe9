//! Reading a request body: at most `limit` bytes *after* inflating, within a deadline.
//!
//! actix-web's own extractors inflate a compressed chunk whole before they compare the size
//! with the limit, so one 510 KB gzip body of 500 MB JSON took the server from 43 to 321 MB
//! before it answered 413. Here the decoder writes into a sink that refuses the byte past the
//! limit: inflating stops there, and what a request can make the server hold is the limit
//! plus the decoder's window, whatever the ratio. `gzip` and `deflate` are read; any other
//! `Content-Encoding` is 415. A client that sends its body slower than the deadline allows
//! (1 byte a second holds a worker's connection open) is answered 408.
use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;
use futures_util::StreamExt;
use std::io::Write;
use std::time::Duration;

#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the limit, as sent or once inflated.
    TooLarge(usize),
    /// Not all of it arrived within the deadline.
    TooSlow(Duration),
    /// A `Content-Encoding` this server does not read, or a body that does not decode.
    Encoding(String),
    /// The connection failed while reading.
    Read(String),
}

impl BodyError {
    pub fn status(&self) -> actix_web::http::StatusCode {
        use actix_web::http::StatusCode;
        match self {
            BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TooSlow(_) => StatusCode::REQUEST_TIMEOUT,
            BodyError::Encoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyError::Read(_) => StatusCode::BAD_REQUEST,
        }
    }

    pub fn message(&self) -> String {
        match self {
            BodyError::TooLarge(limit) => {
                format!("the request body is larger than {limit} bytes (after decompression)")
            }
            BodyError::TooSlow(d) => {
                format!("the request body did not arrive within {} s", d.as_secs())
            }
            BodyError::Encoding(m) | BodyError::Read(m) => m.clone(),
        }
    }
}

/// A `Vec` that takes at most `limit` bytes; the write past it fails, which stops a decoder.
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

impl Write for Bounded {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + data.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("over the body limit"));
        }
        self.bytes.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Decoder {
    Identity(Bounded),
    Gzip(flate2::write::MultiGzDecoder<Bounded>),
    Deflate(flate2::write::ZlibDecoder<Bounded>),
}

impl Decoder {
    fn for_encoding(encoding: Option<&str>, limit: usize) -> Result<Decoder, BodyError> {
        let sink = Bounded {
            bytes: Vec::new(),
            limit,
            overflowed: false,
        };
        match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("identity") => Ok(Decoder::Identity(sink)),
            Some("gzip") | Some("x-gzip") => {
                Ok(Decoder::Gzip(flate2::write::MultiGzDecoder::new(sink)))
            }
            Some("deflate") => Ok(Decoder::Deflate(flate2::write::ZlibDecoder::new(sink))),
            Some(other) => Err(BodyError::Encoding(format!(
                "Content-Encoding {:?} is not accepted; send identity, gzip or deflate",
                other.chars().take(40).collect::<String>()
            ))),
        }
    }

    fn sink(&self) -> &Bounded {
        match self {
            Decoder::Identity(s) => s,
            Decoder::Gzip(d) => d.get_ref(),
            Decoder::Deflate(d) => d.get_ref(),
        }
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), BodyError> {
        let written = match self {
            Decoder::Identity(s) => s.write_all(chunk),
            Decoder::Gzip(d) => d.write_all(chunk),
            Decoder::Deflate(d) => d.write_all(chunk),
        };
        written.map_err(|e| self.failure(e))
    }

    fn finish(self) -> Result<Vec<u8>, BodyError> {
        let limit = self.sink().limit;
        let finished = match self {
            Decoder::Identity(s) => Ok(s),
            Decoder::Gzip(d) => d.finish(),
            Decoder::Deflate(d) => d.finish(),
        };
        match finished {
            Ok(sink) => Ok(sink.bytes),
            Err(e) if e.to_string() == "over the body limit" => Err(BodyError::TooLarge(limit)),
            Err(e) => Err(BodyError::Encoding(format!(
                "the compressed body does not decode: {e}"
            ))),
        }
    }

    fn failure(&self, e: std::io::Error) -> BodyError {
        if self.sink().overflowed {
            BodyError::TooLarge(self.sink().limit)
        } else {
            BodyError::Encoding(format!("the compressed body does not decode: {e}"))
        }
    }
}

/// The body of `req`, decoded, when it holds at most `limit` bytes and arrives within
/// `deadline`. The sent size is bounded by the same limit.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    deadline: Duration,
) -> Result<Vec<u8>, BodyError> {
    let headers = req.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(BodyError::TooLarge(limit));
    }
    let encodings: Vec<&str> = headers
        .get_all(header::CONTENT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"))
        .collect();
    if encodings.len() > 1 {
        return Err(BodyError::Encoding(
            "one Content-Encoding at most (gzip or deflate)".into(),
        ));
    }
    let mut decoder = Decoder::for_encoding(encodings.first().copied(), limit)?;
    let reading = async {
        let mut sent = 0usize;
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| BodyError::Read(format!("reading the body: {e}")))?;
            sent += chunk.len();
            if sent > limit {
                return Err(BodyError::TooLarge(limit));
            }
            decoder.write(&chunk)?;
        }
        Ok(())
    };
    match tokio::time::timeout(deadline, reading).await {
        Ok(Ok(())) => decoder.finish(),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(BodyError::TooSlow(deadline)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_stops_inflating_at_the_limit() {
        // 64 MiB of spaces in 65 KB: inflating stops at the 1 MiB limit, holding no more.
        let bomb = gzip(&vec![b' '; 64 << 20]);
        assert!(bomb.len() < 100_000, "{} bytes", bomb.len());
        let mut d = Decoder::for_encoding(Some("gzip"), 1 << 20).unwrap();
        let mut outcome = Ok(());
        for chunk in bomb.chunks(16 * 1024) {
            outcome = d.write(chunk);
            assert!(d.sink().bytes.len() <= 1 << 20);
            if outcome.is_err() {
                break;
            }
        }
        assert_eq!(outcome, Err(BodyError::TooLarge(1 << 20)));
        assert!(
            d.sink().bytes.capacity() <= 2 << 20,
            "held {}",
            d.sink().bytes.capacity()
        );
    }

    #[test]
    fn a_small_gzip_or_deflate_body_reads_back() {
        let body = br#"{"query":"{ me { kind } }"}"#;
        let mut d = Decoder::for_encoding(Some("gzip"), 1 << 20).unwrap();
        d.write(&gzip(body)).unwrap();
        assert_eq!(d.finish().unwrap(), body);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(body).unwrap();
        let mut d = Decoder::for_encoding(Some("deflate"), 1 << 20).unwrap();
        d.write(&z.finish().unwrap()).unwrap();
        assert_eq!(d.finish().unwrap(), body);
    }

    #[test]
    fn other_encodings_and_garbage_are_refused_as_such() {
        assert!(matches!(
            Decoder::for_encoding(Some("br"), 10),
            Err(BodyError::Encoding(_))
        ));
        let mut d = Decoder::for_encoding(Some("gzip"), 1 << 20).unwrap();
        let wrote = d.write(b"not gzip at all");
        assert!(matches!(wrote, Err(BodyError::Encoding(_))), "{wrote:?}");
    }
}
