//! The JuiceFS engine (CONTRACT §6.1 step 3, §6.3; research/perf-anchors §1).
//!
//! In order:
//! (a) when `src` and the destination's parent are on the same JuiceFS mount, the mount's
//!     control file is there and the mount's version is known (its `.config`, readable by root
//!     or the mounting user), speak the clone protocol ourselves: one Clone message with
//!     PRESERVE_ATTR, umask 0 and 4 server threads (v1.4+), progress frames into the Ctx, the
//!     final errno. The fd stays open until the status byte: closing it is how the server is
//!     told to cancel, which is exactly what cancellation does.
//! (b) else `juicefs clone <src> <dst> -p` when the CLI is on PATH (its output to our stderr).
//! (c) else the copy engine, whose copy_file_range is a metadata clone on JuiceFS.
//! When (a) or (b) fails, whatever appeared at `dst` is removed and the copy engine does the
//! whole tree (`juicefs-clone-failed`).
//!
//! Reporting:
//! - (a) engine `juicefs`, nothing degraded but hard links (the server resets nlink: split).
//! - (b) engine `juicefs` as well: the CLI makes the very same server-side clone with the same
//!   metadata semantics, so no CONTRACT §6.2 reason applies and no warning is printed — the
//!   common case of a user who cannot read the root-owned `.config` would otherwise warn on
//!   every snapshot. It is still recorded, never silent: one fallback `{path ".", juicefs →
//!   juicefs, reason "juicefs CLI (<why the protocol was not used>)"}`.
//! - (c) engine `copy`, reason `not-on-juicefs` (src and dst are not on one JuiceFS mount) or
//!   `juicefs-not-available` (they are, but neither the protocol nor the CLI can be used),
//!   and a fallback `{".", juicefs → copy, reason}`.
//! - failure of (a)/(b): engine `copy`, `juicefs-clone-failed`, fallback `{".", juicefs → copy,
//!   errno name or exit status}`.
//!
//! The server clones the whole tree, so excluded entries (the root `.READY`) are removed from
//! `dst` afterwards and their parents' times restored.

pub(crate) mod mount;
pub(crate) mod proto;

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::local::{self, ROOT};
use super::plan::Plan;
use super::sys::{self, cpath};
use super::{local_report, parent_of, remove_tree, CloneReport, DegradeReason, Engine, Fallback};
use crate::ctx::{Ctx, Phase};
use crate::error::{errno_name, path_bytes, Error, Result};
use crate::walk::join_rel;

use mount::Mount;
use proto::{CloneRequest, Decoder, Frame};

/// Why a server-side clone did not produce the tree.
enum Failure {
    Cancelled,
    /// errno name or exit status.
    Failed(String),
}

/// A protocol clone can be cancelled by someone else: JuiceFS cancels an operation when any
/// duplicate of its control fd is closed, and a child forked by any thread of this process
/// closes its copy at exec (O_CLOEXEC cannot prevent that) — an agent spawning a tool while a
/// snapshot runs, or tests running in parallel. The server discards a cancelled clone's
/// detached tree, so a clone that failed as a foreign cancel reports — EIO, or EINTR when the
/// server's metadata engine notices the cancel itself (seen in CI) — is sent again, this many
/// times in all, before falling back to copying.
const PROTOCOL_ATTEMPTS: usize = 3;

/// The statuses a foreign cancel reports (see PROTOCOL_ATTEMPTS).
const CANCELLED: [&str; 2] = ["EIO", "EINTR"];

pub(crate) fn clone(src: &Path, dst: &Path, plan: &Plan, ctx: &Ctx) -> Result<CloneReport> {
    let src_c = fs::canonicalize(src).map_err(|e| Error::io("stat", path_bytes(src), &e))?;
    let parent = parent_of(dst);
    let parent_c = fs::canonicalize(parent).map_err(|e| Error::io("stat", path_bytes(parent), &e))?;
    let name = dst.file_name().map(|n| n.as_bytes()).unwrap_or_default();

    let mount = match (mount::juicefs_mount(&src_c), mount::juicefs_mount(&parent_c)) {
        (Some(a), Some(b)) if a == b => a,
        _ => return copy_instead(src, dst, plan, ctx, DegradeReason::NotOnJuicefs, "not-on-juicefs".into()),
    };
    ctx.begin(Phase::Clone, plan.total_entries(), plan.bytes);

    let why_not = match Session::prepare(&mount, &src_c, &parent_c, name) {
        Ok(session) => {
            let mut result = session.run(ctx);
            for _ in 1..PROTOCOL_ATTEMPTS {
                match &result {
                    Err(Failure::Failed(reason)) if CANCELLED.contains(&reason.as_str()) && !ctx.is_cancelled() => {
                        remove_tree(dst);
                        result = Session::prepare(&mount, &src_c, &parent_c, name).map_err(Failure::Failed).and_then(|s| s.run(ctx));
                    }
                    _ => break,
                }
            }
            return settle(result, src, dst, plan, ctx, None);
        }
        Err(why) => why,
    };
    match mount::cli() {
        Some(cli) => {
            let note = Fallback {
                path: ROOT.to_vec(),
                from: Engine::Juicefs,
                to: Engine::Juicefs,
                reason: format!("juicefs CLI ({why_not})"),
            };
            settle(run_cli(&cli, src, dst, ctx), src, dst, plan, ctx, Some(note))
        }
        None => {
            copy_instead(src, dst, plan, ctx, DegradeReason::JuicefsNotAvailable, format!("{why_not}; no juicefs CLI"))
        }
    }
}

/// After a server-side clone: finish it, or clean up and cancel / fall back to copying.
fn settle(
    r: std::result::Result<(), Failure>,
    src: &Path,
    dst: &Path,
    plan: &Plan,
    ctx: &Ctx,
    note: Option<Fallback>,
) -> Result<CloneReport> {
    match r {
        Ok(()) => finish(src, dst, plan, ctx, note),
        Err(Failure::Cancelled) => {
            remove_tree(dst);
            Err(Error::cancelled())
        }
        Err(Failure::Failed(reason)) => {
            // EEXIST: someone else created dst meanwhile; it is not ours to remove.
            if reason != "EEXIST" {
                remove_tree(dst);
            }
            copy_instead(src, dst, plan, ctx, DegradeReason::JuicefsCloneFailed, reason)
        }
    }
}

fn copy_instead(
    src: &Path,
    dst: &Path,
    plan: &Plan,
    ctx: &Ctx,
    why: DegradeReason,
    reason: String,
) -> Result<CloneReport> {
    let out = local::clone(src, dst, plan, Engine::Copy, None, ctx)?;
    let whole = Fallback { path: ROOT.to_vec(), from: Engine::Juicefs, to: Engine::Copy, reason };
    Ok(local_report(Engine::Juicefs, Engine::Copy, plan, out, Some((why, whole))))
}

/// A successful server-side clone: drop the excluded entries, complete the progress, report.
fn finish(src: &Path, dst: &Path, plan: &Plan, ctx: &Ctx, note: Option<Fallback>) -> Result<CloneReport> {
    if let Err(e) = drop_excluded(src, dst, plan) {
        remove_tree(dst);
        return Err(e);
    }
    let p = ctx.progress();
    ctx.add_entries(p.entries_total.saturating_sub(p.entries_done));
    ctx.add_bytes(plan.bytes);
    let mut r = CloneReport::new(Engine::Juicefs, Engine::Juicefs, plan);
    r.fallbacks.extend(note);
    r.degrade_per_file(plan);
    Ok(r)
}

/// Removes excluded entries the server cloned, then gives their parent directories back the
/// source's times (the removal bumped them; owner and mode the server already preserved).
fn drop_excluded(src: &Path, dst: &Path, plan: &Plan) -> Result<()> {
    for x in &plan.excluded {
        let target = join_rel(dst, x);
        let Ok(md) = fs::symlink_metadata(&target) else { continue };
        let removed = if md.is_dir() { fs::remove_dir_all(&target) } else { fs::remove_file(&target) };
        removed.map_err(|e| Error::io("remove", x, &e))?;
        let parent_rel = &x[..x.iter().rposition(|&c| c == b'/').unwrap_or(0)];
        let shown = if parent_rel.is_empty() { ROOT } else { parent_rel };
        let fail = |e: std::io::Error| Error::io("set times of", shown, &e);
        let s = cpath(&join_rel(src, parent_rel)).map_err(fail)?;
        let d = cpath(&join_rel(dst, parent_rel)).map_err(fail)?;
        // stat, not lstat: the root may be given as a symlink, which the walk followed.
        let st = sys::stat(&s).map_err(fail)?;
        let ts = [
            libc::timespec { tv_sec: st.st_atime, tv_nsec: st.st_atime_nsec as _ },
            libc::timespec { tv_sec: st.st_mtime, tv_nsec: st.st_mtime_nsec as _ },
        ];
        // SAFETY: NUL-terminated path, two timespecs.
        sys::cvt(unsafe { libc::utimensat(libc::AT_FDCWD, d.as_ptr(), ts.as_ptr(), 0) }).map_err(fail)?;
    }
    Ok(())
}

/// A Clone message ready to go to an open control file.
struct Session {
    control: File,
    message: Vec<u8>,
}

impl Session {
    /// Everything the protocol needs, or why it cannot be used (a short reason).
    fn prepare(mount: &Mount, src: &Path, dst_parent: &Path, name: &[u8]) -> std::result::Result<Session, String> {
        let (control, prefixed) = mount::control_file(&mount.root).ok_or("no control file")?;
        let version = read_version(&mount.root, prefixed)?;
        let layout = proto::layout_for(&version).ok_or_else(|| format!("clone layout of JuiceFS {version} unknown"))?;
        let ino = |p: &Path| -> std::result::Result<u64, String> {
            let c = cpath(p).map_err(|e| sys::reason(&e))?;
            sys::stat(&c).map(|st| st.st_ino).map_err(|e| format!("stat: {}", sys::reason(&e)))
        };
        let src_parent_ino = match src.parent() {
            // The mount root is its own parent in JuiceFS.
            Some(p) if src != mount.root => ino(p)?,
            _ => 1,
        };
        let req = CloneRequest { src_ino: ino(src)?, src_parent_ino, dst_parent_ino: ino(dst_parent)?, name };
        let message = proto::encode_clone(layout, &req).ok_or("destination name cannot be encoded")?;
        Ok(Session { control, message })
    }

    /// Sends the message and reads the reply until the status byte. Reads follow the writes on
    /// the same fd (the server keeps its own offset: never pread); a read of 0 bytes means
    /// "nothing yet", polled with backoff from 10 ms to 300 ms as the official client does.
    fn run(mut self, ctx: &Ctx) -> std::result::Result<(), Failure> {
        let io_fail = |e: std::io::Error| Failure::Failed(sys::reason(&e));
        self.control.write_all(&self.message).map_err(io_fail)?;
        let mut decoder = Decoder::default();
        let mut buf = vec![0u8; 128 << 10];
        let mut delay = Duration::from_millis(10);
        let mut reported = 0u64;
        let total = ctx.progress().entries_total;
        loop {
            if ctx.is_cancelled() {
                // Dropping the fd sends FLUSH: the server cancels and discards the detached tree.
                drop(self.control);
                return Err(Failure::Cancelled);
            }
            let n = match self.control.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_fail(e)),
            };
            if n == 0 {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(300));
                continue;
            }
            delay = (delay / 2).max(Duration::from_millis(10));
            decoder.push(&buf[..n]);
            while let Some(frame) = decoder.next_frame().map_err(Failure::Failed)? {
                match frame {
                    Frame::Progress { count, .. } => {
                        // The server counts the root too; ours does not: stay within our total.
                        let count = count.min(total);
                        ctx.add_entries(count.saturating_sub(reported));
                        reported = reported.max(count);
                    }
                    Frame::Status(0) => return Ok(()),
                    Frame::Status(errno) => {
                        let e = i32::from(errno);
                        return Err(Failure::Failed(
                            errno_name(e).map_or_else(|| format!("errno {e}"), str::to_string),
                        ));
                    }
                }
            }
        }
    }
}

/// The mount process's version from its `.config` (the prefixed name first when the control
/// file was prefixed). Mode 0400: only root or the mounting user can read it.
fn read_version(root: &Path, prefixed: bool) -> std::result::Result<String, String> {
    let names = if prefixed { [".jfs.config", ".config"] } else { [".config", ".jfs.config"] };
    let mut why = String::from("no .config");
    for name in names {
        match fs::read(root.join(name)) {
            Ok(json) => return proto::config_version(&json).ok_or_else(|| format!("no Version in {name}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => why = format!("cannot read {name}: {}", sys::reason(&e)),
        }
    }
    Err(why)
}

/// `juicefs clone <src> <dst> -p`, its stdout and stderr on our stderr; killed on cancel (its
/// exit closes its control fd, which cancels the server side).
fn run_cli(cli: &PathBuf, src: &Path, dst: &Path, ctx: &Ctx) -> std::result::Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::Failed(format!("juicefs CLI: {}", sys::reason(&e)));
    let stdout = std::os::fd::AsFd::as_fd(&std::io::stderr()).try_clone_to_owned().map_err(fail)?;
    let mut child = Command::new(cli)
        .arg("clone")
        .arg(src)
        .arg(dst)
        .arg("-p")
        .stdin(Stdio::null())
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(fail)?;
    loop {
        if ctx.is_cancelled() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Failure::Cancelled);
        }
        match child.try_wait().map_err(fail)? {
            Some(st) if st.success() => return Ok(()),
            Some(st) => return Err(Failure::Failed(format!("juicefs clone {st}"))),
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
