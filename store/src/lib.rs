//! HostPulse's on-disk history.
//!
//! Every sample goes to a raw tier; per-minute and per-hour tiers keep the
//! min, mean and max of every value for longer. Each tier is a folder of
//! append-only segment files of checksummed records ([`frame`]); each record
//! is a block of rows stored column by column, every series compressed on its
//! own ([`block`], [`series`]).
//!
//! Why files of our own and not an embedded database: see BENCHMARKS.md,
//! "History store: which engine".

pub mod aggregate;
pub mod block;
pub mod frame;
pub mod lock;
pub mod query;
pub mod segment;
pub mod series;
pub mod store;
pub mod tier;
pub mod writer;

pub use query::{Gap, Point, Range, RangeError};
pub use store::{Recovered, Store, StoreConfig, StoreError, StoreStatus};
pub use tier::Tier;
pub use writer::History;
pub mod synthetic;
