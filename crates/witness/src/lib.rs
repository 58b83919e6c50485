//! A transparency-log witness as C2SP `tlog-witness` defines it, and the
//! client a log uses to ask witnesses for cosignatures. The decision itself
//! (verify the checkpoint's signature, check the consistency proof against
//! the last checkpoint cosigned, refuse a fork or a rollback, cosign) is
//! `transparency::add_checkpoint`; this crate is the I/O around it: the HTTP
//! endpoint, the state file, the clock.
//!
//! # The state file
//!
//! JSON, one entry per log origin: the size and base64 root of the last
//! checkpoint cosigned. It is replaced whole (a temporary file renamed into
//! place) before a cosignature is returned, under the lock that also guards
//! the check, so two requests cannot roll the state back.

mod client;
mod server;

pub use client::{ClientError, WitnessClient};
pub use server::{STATE_VERSION, StateError, Witness, router, serve};

/// How long the client waits for a witness's answer.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
