//! Hermetic tests of the facade with an in-memory keychain: key hierarchy, workspace scoping,
//! and failure atomicity; and of OAuth sign-ins against stand-in authorization servers. The real
//! Secret Service and real servers are in `tests/` (e2e).

mod patchbay;
mod sign_in;
mod store_fixture;
