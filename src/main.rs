use std::process::ExitCode;

fn main() -> ExitCode {
    sundial::cli::main()
}
