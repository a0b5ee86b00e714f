//! Mirrors: the signed manifest of every public file of the site, and checking a copy
//! against it.
//!
//! - [`manifest`]: the format (a small signed top naming content-addressed parts) and the
//!   parts a publisher keeps up to date between builds;
//! - [`signing`]: minisign keys and signatures, compatible with the stock `minisign` tool;
//! - [`verify`]: reading a copy (a folder, or a web server: [`web`]) and naming what is
//!   missing, extra, changed or stale;
//! - [`sync`]: pulling a copy from the origin, downloading only what changed.

pub mod manifest;
pub mod signing;
pub mod sync;
pub mod verify;
pub mod web;
