//! Hermetic tests of the facade with an in-memory keychain: key hierarchy, workspace scoping,
//! and failure atomicity. The real Secret Service and real servers are in `tests/` (e2e).

mod patchbay;
