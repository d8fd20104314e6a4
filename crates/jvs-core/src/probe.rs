//! Which clone engines work inside a directory (CONTRACT §6.1 steps 3–5).
//!
//! The reflink and copy probes work in a scratch directory `<dir>/.jvs-probe-<pid>-<random>`
//! that is always removed: copy works when a file can be created and written there; reflink
//! when that file can be cloned (FICLONE on Linux, clonefile on macOS), the reason being the
//! errno name otherwise. juicefs works when `dir` is on a JuiceFS mount (mount type contains
//! `juicefs`, mount point a path-component prefix of the canonical `dir`) and either the mount's
//! control file answers to its fixed inode or the `juicefs` CLI is on PATH; otherwise the
//! reason is `not-on-juicefs` or `juicefs-not-available` (the CONTRACT §6.2 names).

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::clone::juicefs::mount;
use crate::clone::sys;
use crate::clone::{DegradeReason, Engine};
use crate::ctx::{Ctx, Phase};
use crate::error::{path_bytes, Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineProbe {
    pub engine: Engine,
    pub ok: bool,
    /// Why the engine does not work there (errno name or reason name), when `ok` is false.
    pub reason: Option<String>,
}

impl EngineProbe {
    fn new(engine: Engine, r: std::result::Result<(), String>) -> EngineProbe {
        let (ok, reason) = match r {
            Ok(()) => (true, None),
            Err(why) => (false, Some(why)),
        };
        EngineProbe { engine, ok, reason }
    }
}

/// One probe per engine, in the order reflink, copy, juicefs.
pub fn probe(dir: &Path, ctx: &Ctx) -> Result<Vec<EngineProbe>> {
    let md = fs::metadata(dir).map_err(|e| Error::io("stat", path_bytes(dir), &e))?;
    if !md.is_dir() {
        return Err(Error::io("probe", path_bytes(dir), &io::Error::from_raw_os_error(libc::ENOTDIR)));
    }
    ctx.begin(Phase::Probe, Engine::ALL.len() as u64, 0);
    let (reflink, copy) = match Scratch::create(dir) {
        Ok(s) => {
            let copy = s.write_file();
            let reflink = match &copy {
                Ok(()) => s.clone_file(),
                Err(e) => Err(e.clone()),
            };
            (reflink, copy)
        }
        Err(e) => (Err(sys::reason(&e)), Err(sys::reason(&e))),
    };
    ctx.add_entries(2);
    ctx.check()?;
    let juicefs = juicefs(dir);
    ctx.add_entries(1);
    Ok(vec![
        EngineProbe::new(Engine::Reflink, reflink),
        EngineProbe::new(Engine::Copy, copy),
        EngineProbe::new(Engine::Juicefs, juicefs),
    ])
}

fn juicefs(dir: &Path) -> std::result::Result<(), String> {
    let canonical = fs::canonicalize(dir).map_err(|e| sys::reason(&e))?;
    if mount::juicefs_mount(&canonical).is_none() {
        return Err(DegradeReason::NotOnJuicefs.as_str().into());
    }
    if mount::control_file(&canonical).is_some() || mount::cli().is_some() {
        Ok(())
    } else {
        Err(DegradeReason::JuicefsNotAvailable.as_str().into())
    }
}

/// The scratch directory; removed on drop, whatever happened inside.
struct Scratch {
    path: PathBuf,
}

const SOURCE: &str = "a";
const CLONE: &str = "b";

impl Scratch {
    fn create(dir: &Path) -> io::Result<Scratch> {
        let pid = std::process::id();
        let mut attempt = 0;
        loop {
            let mut h = RandomState::new().build_hasher();
            h.write_u32(attempt);
            let path = dir.join(format!(".jvs-probe-{pid}-{:016x}", h.finish()));
            match fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Scratch { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// The copy probe, and the source of the reflink probe: one block of data.
    fn write_file(&self) -> std::result::Result<(), String> {
        let mut f = fs::File::create_new(self.path.join(SOURCE)).map_err(|e| sys::reason(&e))?;
        f.write_all(&[b'j'; 4096]).map_err(|e| sys::reason(&e))
    }

    fn clone_file(&self) -> std::result::Result<(), String> {
        let src = fs::File::open(self.path.join(SOURCE)).map_err(|e| sys::reason(&e))?;
        clone_into(&src, &self.path.join(CLONE)).map_err(|e| sys::reason(&e))
    }
}

#[cfg(target_os = "linux")]
fn clone_into(src: &fs::File, dst: &Path) -> io::Result<()> {
    use std::os::fd::AsFd;
    let out = fs::File::create_new(dst)?;
    crate::clone::reflink(src.as_fd(), out.as_fd())
}

#[cfg(target_os = "macos")]
fn clone_into(src: &fs::File, dst: &Path) -> io::Result<()> {
    use std::os::fd::AsFd;
    let dir = fs::File::open(dst.parent().expect("inside the scratch directory"))?;
    let name = sys::cpath(Path::new(dst.file_name().expect("a file name")))?;
    crate::clone::reflink_at(src.as_fd(), dir.as_fd(), &name)
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
