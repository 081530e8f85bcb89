//! Examples for flux-rs: the `flux` command-line tool (`src/bin/flux`) that gathers every crate's
//! command-line entry points, and (later) the reference node that composes all crates.
