//! The JuiceFS control-file clone message and its reply stream (research/perf-anchors §1.2–1.4),
//! as pure encoding/decoding so it can be tested without a mount.
//!
//! Request: big-endian `u32 cmd`, `u32 body_len`, body. Clone (1006) bodies differ by the
//! *mount's* version and the server does not validate them: a wrong layout is silently
//! misparsed (srcParentIno taken for the destination parent, …). So the layout is only chosen
//! from a known version; anything else is "unknown" and the caller must not send a Clone.
//!
//! Reply: any number of progress frames `0xFE u64 count u64 total`, then one status byte
//! (errno, 0 = success).

/// Clone command code (pkg/meta/interface.go).
pub(crate) const CMD_CLONE: u32 = 1006;
/// cmode bit: copy uid/gid/mode/times instead of taking the caller's and now.
pub(crate) const PRESERVE_ATTR: u8 = 0x02;
/// Server-side concurrency for v1.4+ (its default, CLONE_DEFAULT_CONCURRENCY).
pub(crate) const THREADS: u8 = 4;
const PROGRESS: u8 = 0xFE;
const PROGRESS_LEN: usize = 17;
const DATA: u8 = 0xFF;

/// Clone body layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// v1.1.0–v1.2.x: srcIno, dstParentIno, nameLen, name, umask, cmode (20 + n bytes).
    V1_1,
    /// v1.3.x: srcIno, srcParentIno, dstParentIno, nameLen, name, umask, cmode (28 + n).
    V1_3,
    /// v1.4.x: the v1.3 body + threads (29 + n).
    V1_4,
}

/// The layout for a mount's version string (`1.2.1+2024-08-30.4e4a8a9`, `1.4.0-beta1+…`).
/// Versions before 1.1 have no clone; versions after 1.4 are not known yet, and guessing is
/// what the protocol punishes.
pub(crate) fn layout_for(version: &str) -> Option<Layout> {
    let v = version.strip_prefix('v').unwrap_or(version);
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    match (major, minor) {
        (1, 1 | 2) => Some(Layout::V1_1),
        (1, 3) => Some(Layout::V1_3),
        (1, 4) => Some(Layout::V1_4),
        _ => None,
    }
}

/// The top-level string field `Version` of the mount's `.config` JSON. A small scanner rather
/// than a JSON dependency: it tracks nesting and strings so a nested or differently named key
/// (`MinClientVersion`, `Meta.*`) never matches.
pub(crate) fn config_version(json: &[u8]) -> Option<String> {
    let mut depth = 0usize;
    let mut i = 0;
    // The last string seen at depth 1 and whether a ':' followed it (then it was a key).
    let mut key: Option<String> = None;
    while i < json.len() {
        match json[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let (s, next) = json_string(json, i)?;
                i = next;
                if depth == 1 {
                    if key.as_deref() == Some("Version") {
                        return Some(s);
                    }
                    let mut j = i;
                    while j < json.len() && json[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    key = (json.get(j) == Some(&b':')).then_some(s);
                }
                continue;
            }
            b',' => key = None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The string starting at the quote at `start`, and the index after its closing quote.
/// Escapes are kept verbatim except `\"` and `\\` (a version string has neither).
fn json_string(json: &[u8], start: usize) -> Option<(String, usize)> {
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < json.len() {
        match json[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                out.push(*json.get(i + 1)?);
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}

/// What a Clone request names: the source inode, its parent's inode (the server uses it to
/// skip trash), the destination's parent inode (must exist) and the new name (must not).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CloneRequest<'a> {
    pub src_ino: u64,
    pub src_parent_ino: u64,
    pub dst_parent_ino: u64,
    pub name: &'a [u8],
}

/// The full message (header + body) in `layout`, with PRESERVE_ATTR, umask 0 and (v1.4)
/// [`THREADS`]. None when the name cannot be encoded (empty or over 255 bytes).
pub(crate) fn encode_clone(layout: Layout, r: &CloneRequest<'_>) -> Option<Vec<u8>> {
    let name_len = u8::try_from(r.name.len()).ok().filter(|&n| n > 0)?;
    let mut body = Vec::with_capacity(29 + r.name.len());
    body.extend_from_slice(&r.src_ino.to_be_bytes());
    if layout != Layout::V1_1 {
        body.extend_from_slice(&r.src_parent_ino.to_be_bytes());
    }
    body.extend_from_slice(&r.dst_parent_ino.to_be_bytes());
    body.push(name_len);
    body.extend_from_slice(r.name);
    body.extend_from_slice(&0u16.to_be_bytes());
    body.push(PRESERVE_ATTR);
    if layout == Layout::V1_4 {
        body.push(THREADS);
    }
    let mut msg = Vec::with_capacity(8 + body.len());
    msg.extend_from_slice(&CMD_CLONE.to_be_bytes());
    msg.extend_from_slice(&(body.len() as u32).to_be_bytes());
    msg.extend_from_slice(&body);
    Some(msg)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// Entries cloned so far, of `total` (files + dirs of the source).
    Progress { count: u64, total: u64 },
    /// The final errno; 0 is success.
    Status(u8),
}

/// Reassembles frames from whatever the reads return; keeps an incomplete tail for the next.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete frame, None when more bytes are needed, Err on bytes the clone reply
    /// can never contain.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, String> {
        let Some(&first) = self.buf.first() else { return Ok(None) };
        match first {
            // Also a lone 0xFE: 254 is no errno, so it is the start of a progress frame.
            PROGRESS if self.buf.len() < PROGRESS_LEN => Ok(None),
            PROGRESS => {
                let count = u64::from_be_bytes(self.buf[1..9].try_into().unwrap());
                let total = u64::from_be_bytes(self.buf[9..17].try_into().unwrap());
                self.buf.drain(..PROGRESS_LEN);
                Ok(Some(Frame::Progress { count, total }))
            }
            DATA => Err("unexpected data frame in a clone reply".into()),
            // The status byte is the last thing the server writes.
            status if self.buf.len() == 1 => {
                self.buf.clear();
                Ok(Some(Frame::Status(status)))
            }
            _ => Err(format!("unexpected reply bytes {:02x?}", &self.buf[..self.buf.len().min(8)])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: CloneRequest<'static> =
        CloneRequest { src_ino: 0x0102030405060708, src_parent_ino: 1, dst_parent_ino: 0x1122, name: b"snap.tmp" };

    #[rustfmt::skip]
    const HEAD_V1_1: [u8; 8] = [0, 0, 0x03, 0xEE, 0, 0, 0, 28]; // 1006, 20 + 8

    #[test]
    fn v1_1_body_has_no_source_parent() {
        let m = encode_clone(Layout::V1_1, &REQ).unwrap();
        let mut want = HEAD_V1_1.to_vec();
        want.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]); // srcIno
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x11, 0x22]); // dstParentIno
        want.push(8);
        want.extend_from_slice(b"snap.tmp");
        want.extend_from_slice(&[0, 0, 0x02]); // umask 0, PRESERVE_ATTR
        assert_eq!(m, want);
    }

    #[test]
    fn v1_3_and_v1_4_bodies() {
        let m3 = encode_clone(Layout::V1_3, &REQ).unwrap();
        assert_eq!(&m3[..8], &[0, 0, 0x03, 0xEE, 0, 0, 0, 36]); // 28 + 8
        assert_eq!(&m3[8..16], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&m3[16..24], &[0, 0, 0, 0, 0, 0, 0, 1]); // srcParentIno
        assert_eq!(&m3[24..32], &[0, 0, 0, 0, 0, 0, 0x11, 0x22]);
        assert_eq!(m3[32], 8);
        assert_eq!(&m3[33..41], b"snap.tmp");
        assert_eq!(&m3[41..], &[0, 0, 0x02]);
        let m4 = encode_clone(Layout::V1_4, &REQ).unwrap();
        assert_eq!(&m4[..8], &[0, 0, 0x03, 0xEE, 0, 0, 0, 37]); // 29 + 8
        assert_eq!(&m4[8..m4.len() - 1], &m3[8..]);
        assert_eq!(*m4.last().unwrap(), 4);
    }

    #[test]
    fn names_that_cannot_be_encoded() {
        let long = [b'a'; 256];
        assert!(encode_clone(Layout::V1_4, &CloneRequest { name: &long, ..REQ }).is_none());
        assert!(encode_clone(Layout::V1_4, &CloneRequest { name: b"", ..REQ }).is_none());
        assert!(encode_clone(Layout::V1_4, &CloneRequest { name: &long[..255], ..REQ }).is_some());
    }

    #[test]
    fn layouts_by_version() {
        assert_eq!(layout_for("1.1.0+2023-09-04.08c4ae6"), Some(Layout::V1_1));
        assert_eq!(layout_for("1.2.5+2024-08-30.4e4a8a9"), Some(Layout::V1_1));
        assert_eq!(layout_for("1.3.0+2025-07-03.30190ca"), Some(Layout::V1_3));
        assert_eq!(layout_for("v1.3.1"), Some(Layout::V1_3));
        assert_eq!(layout_for("1.4.0-beta1+2025-10-01.abcdef0"), Some(Layout::V1_4));
        assert_eq!(layout_for("1.4.1"), Some(Layout::V1_4));
        for unknown in ["1.0.4", "1.5.0", "2.0.0", "", "dev", "1"] {
            assert_eq!(layout_for(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn version_is_the_top_level_field_only() {
        let json = br#"{
 "Meta": {"Version": "nested", "Strict": true},
 "Format": {"Name": "v", "MinClientVersion": "1.1.0", "MaxClientVersion": ""},
 "Chunk": {"Dirs": ["Version"]},
 "Version": "1.2.1+2024-08-30.4e4a8a9",
 "AttrTimeout": 1000000000
}"#;
        assert_eq!(config_version(json).as_deref(), Some("1.2.1+2024-08-30.4e4a8a9"));
        assert_eq!(config_version(br#"{"Meta":{"Version":"x"}}"#), None);
        assert_eq!(config_version(br#"{"Name":"Version","Other":1}"#), None);
        assert_eq!(config_version(br#"{"Version":"#), None);
    }

    fn progress(count: u64, total: u64) -> Vec<u8> {
        let mut f = vec![0xFE];
        f.extend_from_slice(&count.to_be_bytes());
        f.extend_from_slice(&total.to_be_bytes());
        f
    }

    #[test]
    fn progress_frames_then_status() {
        let mut d = Decoder::default();
        let mut bytes = progress(3, 10);
        bytes.extend(progress(10, 10));
        bytes.push(0);
        d.push(&bytes);
        assert_eq!(d.next_frame(), Ok(Some(Frame::Progress { count: 3, total: 10 })));
        assert_eq!(d.next_frame(), Ok(Some(Frame::Progress { count: 10, total: 10 })));
        assert_eq!(d.next_frame(), Ok(Some(Frame::Status(0))));
        assert_eq!(d.next_frame(), Ok(None));
    }

    #[test]
    fn frames_split_across_reads_and_error_status() {
        let mut d = Decoder::default();
        let f = progress(0x0102, 0x0304);
        d.push(&f[..1]);
        assert_eq!(d.next_frame(), Ok(None), "a lone 0xFE is not a status");
        d.push(&f[1..9]);
        assert_eq!(d.next_frame(), Ok(None));
        d.push(&f[9..]);
        assert_eq!(d.next_frame(), Ok(Some(Frame::Progress { count: 0x0102, total: 0x0304 })));
        d.push(&[libc::EEXIST as u8]);
        assert_eq!(d.next_frame(), Ok(Some(Frame::Status(17))));
    }

    #[test]
    fn bytes_a_clone_reply_never_has() {
        let mut d = Decoder::default();
        d.push(&[0xFF, 0, 0, 0, 2, b'{', b'}']);
        assert!(d.next_frame().is_err());
        let mut d = Decoder::default();
        d.push(&[0, 1]);
        assert!(d.next_frame().is_err());
    }
}
