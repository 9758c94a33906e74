//! `cargo run -p storefront --bin traffic -- [VISITORS] [SEED] > traffic.jsonl`: a week of the
//! shop's traffic with a known truth (src/traffic.rs), for `shopkeeper replay --kpis`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let visitors = args.next().map_or(Ok(20_000), |a| a.parse::<u64>());
    let seed = args.next().map_or(Ok(2026), |a| a.parse::<u64>());
    let (Ok(visitors), Ok(seed)) = (visitors, seed) else {
        eprintln!("usage: traffic [VISITORS] [SEED]   (whole numbers; defaults 20000 and 2026)");
        return ExitCode::from(2);
    };
    match storefront::traffic::week(visitors, seed) {
        Ok(lines) => {
            print!("{lines}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("traffic: {e}");
            ExitCode::FAILURE
        }
    }
}
