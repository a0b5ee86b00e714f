//! Kaifang's publishing side. [`release`] keeps every published site as a complete release
//! folder and switches the live one atomically; [`ingest`] takes in department drop folders,
//! keeping bad, half-written or unsafe files out without taking published data down.

pub mod ingest;
pub mod release;
