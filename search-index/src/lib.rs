//! Kaifang's search index: tantivy analyses the catalog at generation time, and the index is
//! exported as small static files that a browser (or `kaifang search`) reads, loading only what
//! a query needs.
//!
//! [`build`] turns [`IndexInput`] into files; [`query`] answers queries from those files with
//! the same steps as the JavaScript client. The file formats are in [`codec`] and
//! [`directory`], and documented in `docs/search.md`.

pub mod analyzer;
pub mod build;
pub mod codec;
pub mod directory;
pub mod facets;
pub mod keys;
pub mod live;
pub mod query;

pub use build::{ExportedIndex, IndexError, IndexFile, IndexInput, IndexStats, SearchDoc, build};
pub use facets::FacetDim;
pub use live::{LiveIndex, UpdateStats};
