//! An S3 folder as the config names it (`s3://bucket/prefix/`): the
//! team's shared recordings.

/// `s3://bucket/prefix/` taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    /// The key prefix, ending in `/` unless empty.
    pub prefix: String,
}

impl Location {
    /// Parses `s3://bucket[/prefix]`; the prefix is made to end in `/`.
    pub fn parse(url: &str) -> Result<Location, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{url}` is not an s3:// address"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return Err(format!("`{url}` names no valid bucket"));
        }
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        Ok(Location {
            bucket: bucket.into(),
            prefix,
        })
    }

    /// `s3://bucket/key` of one object: a key that names no folder.
    pub fn object(url: &str) -> Result<(Location, String), String> {
        let at = Location::parse(url)?;
        let key = at.prefix.trim_end_matches('/').to_string();
        if key.is_empty() || url.ends_with('/') {
            return Err(format!("`{url}` names a folder, not a recording"));
        }
        Ok((
            Location {
                bucket: at.bucket,
                prefix: String::new(),
            },
            key,
        ))
    }

    /// Whether `text` is an `s3://` address rather than a file's path.
    pub fn is_s3(text: &str) -> bool {
        text.starts_with("s3://")
    }

    pub fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_names_a_bucket_and_a_folder() {
        assert_eq!(
            Location::parse("s3://team-recordings/flightdeck").unwrap(),
            Location {
                bucket: "team-recordings".into(),
                prefix: "flightdeck/".into()
            }
        );
        assert_eq!(Location::parse("s3://team-recordings").unwrap().prefix, "");
        assert!(Location::parse("https://x/y").is_err());
        assert!(Location::parse("s3://Bad_Bucket/x").is_err());
        assert!(Location::parse("s3:///x").is_err());
        let (at, key) = Location::object("s3://team-recordings/alice/session-1.jsonl").unwrap();
        assert_eq!(
            (at.bucket.as_str(), key.as_str()),
            ("team-recordings", "alice/session-1.jsonl")
        );
        assert!(Location::object("s3://team-recordings/alice/").is_err());
        assert!(Location::object("s3://team-recordings").is_err());
    }
}
