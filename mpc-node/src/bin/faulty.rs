//! `mpc-node-faulty`: `mpc-node` built with the test-only `fault-injection` feature.

fn main() -> std::process::ExitCode {
    mpc_node::main()
}
