//! `mpc-node`: see the library's documentation.

fn main() -> std::process::ExitCode {
    mpc_node::main()
}
