//! `cargo run -p storefront`: plays the shop's scenarios and prints each decision with its receipt.

use std::process::ExitCode;

fn main() -> ExitCode {
    match storefront::play() {
        Ok(scenarios) => {
            for (i, scenario) in scenarios.iter().enumerate() {
                println!("== {}. {} ==", i + 1, scenario.title);
                for step in &scenario.steps {
                    println!("  > {}", step.what);
                    print!("{}", step.report);
                }
                println!();
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("storefront: {e}");
            ExitCode::FAILURE
        }
    }
}
