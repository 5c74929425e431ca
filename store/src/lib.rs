//! HostPulse's on-disk history.
//!
//! Every sample goes to a raw tier; per-minute and per-hour tiers keep the
//! min, mean and max of every value for longer. Each tier is a folder of
//! append-only segment files of checksummed records ([`frame`],
//! [`segment`]); each record is a block of rows stored column by column,
//! every series compressed on its own ([`block`], [`series`]).
//!
//! - [`store`]: opening, recovery, health; `ingest` and `persist` (private):
//!   samples in, blocks and journals out, retention and the size cap.
//! - [`read`], [`query`]: reads planned under the writer's lock and decoded
//!   without it; range reads at a resolution.
//! - [`writer`]: the writer thread the server hands samples to.
//! - [`synthetic`]: made-up history of any age, for tests and benchmarks.
//!
//! Why files of our own and not an embedded database: see BENCHMARKS.md,
//! "History store: which engine".

pub mod aggregate;
pub mod block;
pub mod frame;
mod ingest;
pub mod lock;
mod persist;
pub mod query;
pub mod read;
pub mod segment;
pub mod series;
pub mod store;
pub mod synthetic;
pub mod tier;
pub mod writer;

pub use persist::MAX_PENDING_BLOCKS;
pub use query::{Gap, Point, Range, RangeError, RangePlan};
pub use read::{ProcessesPlan, View};
pub use store::{Recovered, Store, StoreConfig, StoreError, StoreStatus, TierStatus};
pub use tier::Tier;
pub use writer::History;
