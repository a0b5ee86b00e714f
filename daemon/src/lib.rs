//! Kaifang's publishing side. [`release`] keeps every published site as a complete release
//! folder and switches the live one atomically; the watching daemon builds on it.

pub mod release;
