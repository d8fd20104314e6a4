//! Cancellation and progress shared between the caller and the worker threads.
//!
//! Workers only bump atomic counters (cheap, lock-free); whoever wants progress polls
//! [`Ctx::progress`] on its own schedule. That keeps throttling out of the hot loops and
//! means a slow consumer can never stall hashing or cloning.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering::Relaxed};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    Walk = 0,
    Hash = 1,
    Clone = 2,
    Probe = 3,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Walk => "walk",
            Phase::Hash => "hash",
            Phase::Clone => "clone",
            Phase::Probe => "probe",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressSnapshot {
    pub phase: Phase,
    pub entries_done: u64,
    pub entries_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

#[derive(Debug, Default)]
pub struct Ctx {
    cancelled: AtomicBool,
    phase: AtomicU8,
    entries_done: AtomicU64,
    entries_total: AtomicU64,
    bytes_done: AtomicU64,
    bytes_total: AtomicU64,
}

impl Ctx {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }

    /// Err(Cancelled) once cancel() was called; workers call it between entries.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::cancelled())
        } else {
            Ok(())
        }
    }

    /// Starts a phase with known totals (0 when unknown) and resets the done counters.
    pub fn begin(&self, phase: Phase, entries_total: u64, bytes_total: u64) {
        self.phase.store(phase as u8, Relaxed);
        self.entries_done.store(0, Relaxed);
        self.bytes_done.store(0, Relaxed);
        self.entries_total.store(entries_total, Relaxed);
        self.bytes_total.store(bytes_total, Relaxed);
    }

    pub fn add_entries(&self, n: u64) {
        self.entries_done.fetch_add(n, Relaxed);
    }

    pub fn add_bytes(&self, n: u64) {
        self.bytes_done.fetch_add(n, Relaxed);
    }

    /// Walks discover their total as they go.
    pub fn add_entries_total(&self, n: u64) {
        self.entries_total.fetch_add(n, Relaxed);
    }

    pub fn progress(&self) -> ProgressSnapshot {
        let phase = match self.phase.load(Relaxed) {
            1 => Phase::Hash,
            2 => Phase::Clone,
            3 => Phase::Probe,
            _ => Phase::Walk,
        };
        ProgressSnapshot {
            phase,
            entries_done: self.entries_done.load(Relaxed),
            entries_total: self.entries_total.load(Relaxed),
            bytes_done: self.bytes_done.load(Relaxed),
            bytes_total: self.bytes_total.load(Relaxed),
        }
    }
}
