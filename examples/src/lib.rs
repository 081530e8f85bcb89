//! Examples for flux-rs: the `flux` command-line tool (`src/bin/flux`) that gathers every crate's
//! command-line entry points, and the reference node ([`node`]) that composes all crates.

pub mod node;
