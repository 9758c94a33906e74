//! Debian packages the tests need, installed when missing (as root; otherwise the command to run
//! is printed).

use std::process::Command;

use crate::{output, run};

/// Installs the Debian `package` of each `(tool, package)` whose tool is not on the path, for
/// `who` (the tests that need them), saying what it does.
pub fn install(tools: &[(&str, &str)], who: &str) -> Result<(), String> {
    let missing: Vec<&str> = (tools.iter())
        .filter(|(tool, _)| !on_path(tool))
        .map(|(_, package)| *package)
        .collect();
    let all: Vec<&str> = tools.iter().map(|(tool, _)| *tool).collect();
    if missing.is_empty() {
        println!("{} already installed", all.join(", "));
        return Ok(());
    }
    let uid = output(Command::new("id").arg("-u")).unwrap_or_default();
    if uid.trim() != "0" {
        return Err(format!(
            "{who} need the Debian packages {}: run `sudo apt-get install {}`",
            missing.join(", "),
            missing.join(" ")
        ));
    }
    println!("installing {} from Debian, for {who}", missing.join(", "));
    let install = |update: bool| {
        if update {
            run(Command::new("apt-get").arg("update"))?;
        }
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"))
    };
    install(false).or_else(|_| install(true))
}

/// redis-server, for the store's tests, which start their own. Without it (not root, another
/// system) they say they skip, unless `CI` is set: then they fail.
pub fn install_redis() {
    if let Err(e) = install(
        &[("redis-server", "redis-server")],
        "the Redis store's tests",
    ) {
        println!("{e}; without CI set, those tests skip");
    }
}

/// Whether `tool` is a command on the path.
pub fn on_path(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
