//! A downstream crate that vendors the generated table alone: the copy made by `build.rs` of
//! `generated/spki_blocklist.rs`, compiled with `phf` as the only dependency.

#![no_std]
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/spki_blocklist.rs"));
