//! The team's recordings in S3 (`[team] recordings = "s3://bucket/prefix/"`):
//! uploaded once finished, never over another (a conditional put, `If-None-
//! Match: *`, also on a multipart upload's completion), each part
//! checksummed (SHA-256, checked by S3 before it keeps a byte); listed; and
//! read back in ranges, so a replay streams one without downloading it
//! whole first.

use crate::errors::failed;
use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use flightdeck_core::provider::ProviderError;
pub use flightdeck_core::s3::Location;
use flightdeck_model::Timestamp;
use std::io::Read;
use std::path::Path;

/// A recording larger than this goes up in parts of this size (S3's
/// smallest part is 5 MiB; a 500 MB recording is 60 parts).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// A replay reads an object in ranges of this size.
pub const RANGE_BYTES: u64 = 1024 * 1024;
/// The most objects `list` reads (a thousand a page).
const MAX_LISTED: usize = 10_000;

/// How an upload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploaded {
    /// Now in the bucket, at this address.
    Sent {
        url: String,
        bytes: u64,
        parts: usize,
    },
    /// An object of that name was already there (sent before): left as it was.
    AlreadyThere { url: String },
}

/// One of the team's recordings in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SharedRecording {
    pub url: String,
    /// The key's folder under the prefix: who recorded it.
    pub operator: String,
    /// The file's name.
    pub name: String,
    pub bytes: u64,
    pub uploaded: Option<Timestamp>,
}

/// The team's bucket, under its prefix, with the credentials of the
/// environment that holds it.
pub struct Bucket {
    config: SdkConfig,
    client: Client,
    at: Location,
}

impl Bucket {
    /// The bucket at `at`, reached with `settings` (the team's environment).
    pub async fn connect(settings: &crate::Settings, at: Location) -> Bucket {
        Bucket::with_config(&crate::sdk::load(settings).await, at)
    }

    /// The bucket with a configuration of the caller's (the tests' moto
    /// account).
    pub fn with_config(config: &SdkConfig, at: Location) -> Bucket {
        Bucket {
            config: config.clone(),
            client: client(config),
            at,
        }
    }

    pub fn location(&self) -> &Location {
        &self.at
    }

    /// See [`upload`].
    pub async fn upload(&self, key: &str, path: &Path) -> Result<Uploaded, ProviderError> {
        upload(&self.client, &self.at, key, path).await
    }

    /// See [`list`].
    pub async fn list(&self) -> Result<Vec<SharedRecording>, ProviderError> {
        list(&self.client, &self.at).await
    }

    /// The object `key`, to be read in ranges (see [`ObjectReader`]).
    pub fn open(&self, key: &str) -> Result<ObjectReader, ProviderError> {
        ObjectReader::open(&self.config, &self.at.bucket, key)
    }
}

/// The S3 client for `config`: path-style addresses when the endpoint is
/// another one (moto, a VPC endpoint by address), where a bucket's own
/// host name would not resolve.
fn client(config: &SdkConfig) -> Client {
    let path_style = config.endpoint_url().is_some();
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build(),
    )
}

/// Whether an S3 error is a failed `If-None-Match: *`: the object exists.
fn exists<E: ProvideErrorMetadata>(
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> bool {
    e.code() == Some("PreconditionFailed")
        || e.raw_response().is_some_and(|r| r.status().as_u16() == 412)
}

/// Uploads the file at `path` as `key` unless an object of that name is
/// there: in one put when small, in checksummed parts when large (an
/// upload that fails is aborted, leaving nothing behind).
async fn upload(
    client: &Client,
    at: &Location,
    key: &str,
    path: &Path,
) -> Result<Uploaded, ProviderError> {
    let io = |e: std::io::Error| ProviderError::Other(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let url = at.url(key);
    if len <= PART_BYTES as u64 {
        let mut body = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut body).map_err(io)?;
        let bytes = body.len() as u64;
        let put = client
            .put_object()
            .bucket(&at.bucket)
            .key(key)
            .if_none_match("*")
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .content_type("application/x-ndjson")
            .body(ByteStream::from(body))
            .send()
            .await;
        return match put {
            Ok(_) => Ok(Uploaded::Sent {
                url,
                bytes,
                parts: 1,
            }),
            Err(e) if exists(&e) => Ok(Uploaded::AlreadyThere { url }),
            Err(e) => Err(failed(e, "s3:PutObject")),
        };
    }
    let started = client
        .create_multipart_upload()
        .bucket(&at.bucket)
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .content_type("application/x-ndjson")
        .send()
        .await
        .map_err(|e| failed(e, "s3:CreateMultipartUpload"))?;
    let upload_id = started
        .upload_id
        .ok_or_else(|| ProviderError::Other("S3 gave the upload no id".into()))?;
    let sent = send_parts(client, at, key, &upload_id, &mut file, path).await;
    let outcome = match sent {
        Ok((parts, bytes)) => {
            let count = parts.len();
            let done = client
                .complete_multipart_upload()
                .bucket(&at.bucket)
                .key(key)
                .upload_id(&upload_id)
                .if_none_match("*")
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await;
            match done {
                Ok(_) => {
                    return Ok(Uploaded::Sent {
                        url,
                        bytes,
                        parts: count,
                    });
                }
                Err(e) if exists(&e) => Ok(Uploaded::AlreadyThere { url }),
                Err(e) => Err(failed(e, "s3:CompleteMultipartUpload")),
            }
        }
        Err(e) => Err(e),
    };
    // Not completed: its parts are let go, not left to be paid for.
    let _ = client
        .abort_multipart_upload()
        .bucket(&at.bucket)
        .key(key)
        .upload_id(&upload_id)
        .send()
        .await;
    outcome
}

/// Sends the file in parts of [`PART_BYTES`], each with its SHA-256.
async fn send_parts(
    client: &Client,
    at: &Location,
    key: &str,
    upload_id: &str,
    file: &mut std::fs::File,
    path: &Path,
) -> Result<(Vec<CompletedPart>, u64), ProviderError> {
    let io = |e: std::io::Error| ProviderError::Other(format!("{}: {e}", path.display()));
    let mut parts = vec![];
    let mut bytes = 0u64;
    for number in 1.. {
        let mut chunk = Vec::with_capacity(PART_BYTES);
        file.by_ref()
            .take(PART_BYTES as u64)
            .read_to_end(&mut chunk)
            .map_err(io)?;
        if chunk.is_empty() {
            break;
        }
        bytes += chunk.len() as u64;
        let sent = client
            .upload_part()
            .bucket(&at.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(ByteStream::from(chunk))
            .send()
            .await
            .map_err(|e| failed(e, "s3:UploadPart"))?;
        parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag)
                .set_checksum_sha256(sent.checksum_sha256)
                .build(),
        );
    }
    Ok((parts, bytes))
}

/// The team's recordings under the prefix, the newest upload first:
/// `prefix/operator/name`.
async fn list(client: &Client, at: &Location) -> Result<Vec<SharedRecording>, ProviderError> {
    let mut out = vec![];
    let mut pages = client
        .list_objects_v2()
        .bucket(&at.bucket)
        .prefix(&at.prefix)
        // A key may hold characters XML 1.0 cannot carry (control
        // characters): S3 then sends them URL-encoded.
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed(e, "s3:ListObjectsV2"))?;
        for object in page.contents.unwrap_or_default() {
            let Some(key) = object.key else { continue };
            let key = percent_encoding::percent_decode_str(&key)
                .decode_utf8_lossy()
                .to_string();
            let rest = key.strip_prefix(&at.prefix).unwrap_or(&key);
            let Some((operator, name)) = rest.rsplit_once('/') else {
                continue;
            };
            if !name.ends_with(".jsonl") {
                continue;
            }
            out.push(SharedRecording {
                url: at.url(&key),
                operator: operator.to_string(),
                name: name.to_string(),
                bytes: object.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                uploaded: object
                    .last_modified
                    .and_then(|t| chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())),
            });
        }
        if out.len() >= MAX_LISTED {
            break;
        }
    }
    // Newest upload first (a leftover goes up after later sessions did).
    out.sort_by(|a, b| {
        b.uploaded
            .cmp(&a.uploaded)
            .then_with(|| b.name.cmp(&a.name))
            .then_with(|| a.operator.cmp(&b.operator))
    });
    Ok(out)
}

/// A request to the reader's thread: a range, and where to answer.
type RangeRequest = (u64, u64, std::sync::mpsc::Sender<Result<Vec<u8>, String>>);

/// An object read in ranges ([`RANGE_BYTES`]) as a plain `Read + Seek`,
/// for a replay that reads a line at a time and seeks back to its marks.
/// Its calls run on a thread of their own with its own runtime, so it
/// blocks no async runtime it is read under.
pub struct ObjectReader {
    len: u64,
    pos: u64,
    /// The range last fetched: where it starts, and its bytes.
    chunk: Option<(u64, Vec<u8>)>,
    requests: std::sync::mpsc::Sender<RangeRequest>,
    name: String,
}

impl ObjectReader {
    /// Opens `key` (HeadObject for its size); its reads block on GetObject.
    /// Every call, the first included, is made on the reader's own thread,
    /// so no connection outlives the runtime it was made in.
    fn open(config: &SdkConfig, bucket: &str, key: &str) -> Result<ObjectReader, ProviderError> {
        let name = format!("s3://{bucket}/{key}");
        let (requests, incoming) = std::sync::mpsc::channel::<RangeRequest>();
        let (sized, size) = std::sync::mpsc::channel::<Result<u64, ProviderError>>();
        let (config, bucket, key) = (config.clone(), bucket.to_string(), key.to_string());
        std::thread::Builder::new()
            .name("s3-range".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = sized.send(Err(ProviderError::Other(e.to_string())));
                        return;
                    }
                };
                // Connections of its own: a pooled connection made under
                // another runtime hangs when that runtime is not running.
                let config = config
                    .into_builder()
                    .http_client(crate::http::https_client())
                    .build();
                let client = client(&config);
                let len = runtime.block_on(head(&client, &bucket, &key));
                let opened = len.is_ok();
                let _ = sized.send(len);
                if !opened {
                    return;
                }
                for (start, end, answer) in incoming {
                    let got = runtime.block_on(range(&client, &bucket, &key, start, end));
                    let _ = answer.send(got);
                }
            })
            .map_err(|e| ProviderError::Other(format!("cannot start the reader: {e}")))?;
        let len = size
            .recv()
            .map_err(|_| ProviderError::Other(format!("{name}: the reader stopped")))??;
        Ok(ObjectReader {
            len,
            pos: 0,
            chunk: None,
            requests,
            name,
        })
    }

    /// The object's size.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn fetch(&mut self, start: u64) -> std::io::Result<()> {
        let end = (start + RANGE_BYTES).min(self.len) - 1;
        let (tx, rx) = std::sync::mpsc::channel();
        self.requests
            .send((start, end, tx))
            .map_err(|_| std::io::Error::other(format!("{}: the reader stopped", self.name)))?;
        let bytes = rx
            .recv()
            .map_err(|_| std::io::Error::other(format!("{}: the reader stopped", self.name)))?
            .map_err(|e| std::io::Error::other(format!("{}: {e}", self.name)))?;
        self.chunk = Some((start, bytes));
        Ok(())
    }
}

/// The object's size (HeadObject).
async fn head(client: &Client, bucket: &str, key: &str) -> Result<u64, ProviderError> {
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
            Some(404) => ProviderError::NotFound(format!("s3://{bucket}/{key}")),
            _ => failed(e, "s3:HeadObject"),
        })?;
    Ok(head
        .content_length
        .and_then(|l| u64::try_from(l).ok())
        .unwrap_or(0))
}

async fn range(
    client: &Client,
    bucket: &str,
    key: &str,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, String> {
    let got = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(format!("bytes={start}-{end}"))
        .send()
        .await
        .map_err(|e| failed(e, "s3:GetObject").to_string())?;
    let body = got.body.collect().await.map_err(|e| e.to_string())?;
    Ok(body.into_bytes().to_vec())
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let inside = |chunk: &Option<(u64, Vec<u8>)>, pos: u64| {
            chunk
                .as_ref()
                .is_some_and(|(start, bytes)| pos >= *start && pos < start + bytes.len() as u64)
        };
        if !inside(&self.chunk, self.pos) {
            self.fetch(self.pos)?;
        }
        let Some((start, bytes)) = &self.chunk else {
            return Ok(0);
        };
        let from = usize::try_from(self.pos - start).unwrap_or(usize::MAX);
        let Some(available) = bytes.get(from..) else {
            return Ok(0);
        };
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for ObjectReader {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            std::io::SeekFrom::Start(n) => Some(n),
            std::io::SeekFrom::End(d) => self.len.checked_add_signed(d),
            std::io::SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}
