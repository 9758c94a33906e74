//! `cargo xtask test`: every test the project has, in one command, on a fresh machine.
//!
//! Each step says what it does; the first failing step stops the run with a non-zero exit code.
//! Tools the tests need and the machine lacks are installed first (rustup targets and components).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

mod dashboard;
mod debian;
mod fuzz;
mod instructions;
mod wasm;
mod wasm_size;

/// Targets the core must build for with default features off: the browser and a bare-metal POS.
const NO_STD_TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "thumbv7em-none-eabihf"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("data") => fetch_data(&root()).map(|dir| println!("data in {}", dir.display())),
        Some("header") => write_header(&root()),
        Some("instructions") => instructions::counts(&root()),
        Some("wasm") => {
            let root = root();
            step("installing what the WASM package needs");
            install_rust_tools()
                .and_then(|()| wasm::install_tools(&root))
                .and_then(|()| {
                    step("building the npm package (cargo build --profile wasm, wasm-bindgen, wasm-opt)");
                    wasm::build(&root)
                })
                .and_then(|_| wasm::test(&root))
        }
        Some("wasm-bench") => {
            let root = root();
            install_rust_tools()
                .and_then(|()| wasm::install_tools(&root))
                .and_then(|()| wasm::build(&root))
                .and_then(|_| wasm::bench(&root))
        }
        Some("c") => {
            let root = root();
            step(C_TESTS);
            check_header(&root).and_then(|()| c_tests(&root))
        }
        _ => {
            eprintln!(
                "usage: cargo xtask test    run every test (installs what is missing first)\n       cargo xtask data    download the test data (CDNOW, the Open Bandit sample, VADER; via pip) into target/data\n       cargo xtask header  regenerate include/shopkeeper.h from bindings/c (cbindgen)\n       cargo xtask c       only the header drift check and the C tests\n       cargo xtask wasm    build the npm package (target/npm/shopkeeper-wasm) and run its Node and browser tests\n       cargo xtask wasm-bench  decide in Node (WASM) against native Rust on 1,000 offers, and the module's load time\n       cargo xtask instructions  instructions per decision, per response learned and per catalog load at 1,000 offers under callgrind (deterministic, for before/after)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: FAILED: {message}");
            ExitCode::FAILURE
        }
    }
}

fn test() -> Result<(), String> {
    let started = Instant::now();
    let root = root();
    std::env::set_current_dir(&root)
        .map_err(|e| format!("cannot enter {}: {e}", root.display()))?;

    step("installing what the tests need (rustup targets and components)");
    install_rust_tools()?;
    step("installing redis-server (Debian) when missing: the store's tests start their own");
    debian::install_redis();
    step("installing what the WASM package's tests need (wasm-bindgen-cli at the crate's version, Chromium, chromedriver, binaryen, playwright-core)");
    wasm::install_tools(&root)?;
    step("checking formatting (cargo fmt)");
    cargo(&["fmt", "--all", "--", "--check"])?;
    step("linting with warnings denied (cargo clippy)");
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])?;

    step("fetching the real data the tests use (CDNOW from the PyPI wheel lifetimes==0.11.3, the Open Bandit Dataset sample from obp==0.4.1, the VADER lexicon and analyzer from vaderSentiment==3.3.2)");
    let data = fetch_data(&root)?;

    step("unit, property, conformance-vector, CDNOW, CLI and doc tests (cargo test)");
    run(Command::new("cargo")
        .args(["test", "--workspace"])
        .env("SHOPKEEPER_DATA", &data)
        .env("SHOPKEEPER_REQUIRE_DATA", "1"))?;

    step("a predictor-based policy learned on the first half of the Open Bandit sample, estimated on the second (release build)");
    run(Command::new("cargo")
        .args([
            "test",
            "--release",
            "--package",
            "shopkeeper",
            "--test",
            "obd",
        ])
        .args(["--", "--nocapture", "predictor"])
        .env("SHOPKEEPER_DATA", &data)
        .env("SHOPKEEPER_REQUIRE_DATA", "1"))?;

    step("checking that the deepest legal rules fit a 1 MiB stack in a release build");
    cargo(&[
        "test",
        "--release",
        "--package",
        "shopkeeper",
        "--test",
        "rules",
        "the_deepest_legal_rules_fit_a_small_stack",
    ])?;

    for target in NO_STD_TARGETS {
        step(&format!("building the core for {target} without std"));
        cargo(&[
            "build",
            "--package",
            "shopkeeper",
            "--no-default-features",
            "--target",
            target,
        ])?;
    }

    step(
        "checking that include/shopkeeper.h is what the pinned cbindgen generates from bindings/c",
    );
    check_header(&root)?;

    step(C_TESTS);
    c_tests(&root)?;

    step("building the npm package (cargo build --profile wasm, wasm-bindgen for web and nodejs, wasm-opt)");
    wasm::build(&root)?;
    wasm::test(&root)?;

    step("building the API docs with warnings denied (cargo doc)");
    run(Command::new("cargo")
        .args(["doc", "--no-deps", "--package", "shopkeeper"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;

    step("running each benchmark once as a test (cargo test --benches)");
    cargo(&["test", "--package", "shopkeeper-benches", "--benches"])?;
    step("running the instruction-count harness of `cargo xtask instructions` once in every mode, natively");
    for (mode, _, _) in instructions::MODES {
        cargo(&[
            "run",
            "--quiet",
            "--package",
            "shopkeeper-benches",
            "--example",
            "instructions",
            mode,
        ])?;
    }

    step(&format!(
        "fuzzing each target for {} s (cargo +nightly fuzz; crashes fail the run)",
        fuzz::FUZZ_SECONDS
    ));
    fuzz::run_all()?;

    step("running the README's quick start (the storefront example)");
    cargo(&["run", "--quiet", "--package", "storefront"])?;
    step("replaying the storefront's week of traffic into the README's dashboard, checked in headless Chromium with a screenshot");
    dashboard::run(&root)?;

    println!(
        "\nxtask: every test passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The C header cbindgen generates from bindings/c, with the version macros of its Cargo.toml.
fn header(root: &Path) -> Result<String, String> {
    let crate_dir = root.join("bindings/c");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .map_err(|e| format!("bindings/c/cbindgen.toml: {e}"))?;
    let version = workspace_version(root)?;
    let parts: Vec<&str> = version.split('.').collect();
    let [major, minor, patch] = parts[..] else {
        return Err(format!(
            "workspace version {version} is not MAJOR.MINOR.PATCH"
        ));
    };
    config.after_includes = Some(format!(
        "\n#define SHOPKEEPER_VERSION \"{version}\"\n#define SHOPKEEPER_VERSION_MAJOR {major}\n#define SHOPKEEPER_VERSION_MINOR {minor}\n#define SHOPKEEPER_VERSION_PATCH {patch}\n{}",
        result_codes()
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .map_err(|e| format!("cbindgen: {e}"))?;
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).map_err(|e| format!("cbindgen wrote non-UTF-8: {e}"))
}

/// `sk_result` and one `SK_RESULT_` constant per code of the core's error table, with its
/// description: the C names can never drift from the core's.
fn result_codes() -> String {
    let mut out = String::from(
        "\n// The outcome of a fallible call: SK_RESULT_OK, or the stable number of what went wrong\n// (spec/errors.md; sk_result_name gives its name). Numbers are never reused.\ntypedef uint32_t sk_result;\n\n// Success: the out-parameters were written.\n#define SK_RESULT_OK 0\n",
    );
    for code in shopkeeper::ErrorCode::ALL {
        let words: Vec<&str> = code.description().split_whitespace().collect();
        let mut line = String::from("//");
        for word in words {
            if line.len() + 1 + word.len() > 100 {
                out.push_str(&line);
                out.push('\n');
                line = String::from("//");
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push_str(&line);
        out.push('\n');
        out.push_str(&format!(
            "#define SK_RESULT_{} {}\n",
            code.as_str().to_uppercase(),
            code.number()
        ));
    }
    out
}

/// The `version` of the workspace's Cargo.toml (`[workspace.package]`).
pub(crate) fn workspace_version(root: &Path) -> Result<String, String> {
    let toml = std::fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    let package = toml
        .split("[workspace.package]")
        .nth(1)
        .ok_or("Cargo.toml has no [workspace.package]")?;
    package
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .map(String::from)
        .ok_or_else(|| "[workspace.package] has no version".into())
}

const HEADER: &str = "include/shopkeeper.h";

fn write_header(root: &Path) -> Result<(), String> {
    let text = header(root)?;
    std::fs::write(root.join(HEADER), text).map_err(|e| format!("cannot write {HEADER}: {e}"))?;
    println!("wrote {HEADER}");
    Ok(())
}

/// What the C tests run.
const C_TESTS: &str = "C API tests: the header as C99 and C++17 with -Wall -Wextra -Wpedantic -Werror; the API suite and every conformance vector under AddressSanitizer and UndefinedBehaviorSanitizer, then under valgrind; 8 threads deciding while one learns, under ThreadSanitizer; the README's C program; examples/c-storefront (C and C++) built with its Makefile and pkg-config, run under valgrind";

/// The pkg-config file of the C library; its version must be the workspace's.
const PKG_CONFIG: &str = "bindings/c/shopkeeper.pc";

fn check_header(root: &Path) -> Result<(), String> {
    let want = header(root)?;
    let have = std::fs::read_to_string(root.join(HEADER)).unwrap_or_default();
    if have != want {
        return Err(format!(
            "{HEADER} differs from what cbindgen generates from bindings/c: run `cargo xtask header` and commit it"
        ));
    }
    let pc = std::fs::read_to_string(root.join(PKG_CONFIG))
        .map_err(|e| format!("cannot read {PKG_CONFIG}: {e}"))?;
    let version = workspace_version(root)?;
    if !pc.lines().any(|line| line == format!("Version: {version}")) {
        return Err(format!(
            "{PKG_CONFIG} must say `Version: {version}`, the version in Cargo.toml"
        ));
    }
    Ok(())
}

/// Builds and runs the C tests of bindings/c/tests against the static library.
fn c_tests(root: &Path) -> Result<(), String> {
    cargo(&["build", "--package", "shopkeeper-ffi"])?;
    let lib = root.join("target/debug/libshopkeeper_ffi.a");
    let out = root.join("target/c-tests");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let tests = root.join("bindings/c/tests");
    let strict = ["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I", "include"];
    let system_libs = ["-lpthread", "-ldl", "-lm"];
    for (compiler, standard, name) in [
        ("gcc", "-std=c99", "header-c99"),
        ("g++", "-std=c++17", "header-cxx17"),
    ] {
        let language = if compiler == "gcc" { "c" } else { "c++" };
        run(Command::new(compiler)
            .args([standard, "-x", language])
            .args(strict)
            .arg(tests.join("header.c"))
            .arg("-o")
            .arg(out.join(name)))?;
    }
    let build = |source: &str, name: &str, flags: &[&str]| -> Result<PathBuf, String> {
        let binary = out.join(name);
        run(Command::new("gcc")
            .args(["-std=c99", "-g", "-O1"])
            .args(strict)
            .args(flags)
            .arg(tests.join(source))
            .arg(&lib)
            .args(system_libs)
            .arg("-o")
            .arg(&binary))?;
        Ok(binary)
    };
    // The API tests, then every conformance vector through the C API: each built with ASan and
    // UBSan, then built plain and run under valgrind.
    let vectors = root.join("spec/vectors");
    for (source, args) in [
        ("api.c", vec![]),
        ("conformance.c", vec![vectors.as_os_str()]),
    ] {
        let name = source.trim_end_matches(".c");
        let sanitized = build(
            source,
            &format!("{name}-asan"),
            &[
                "-fsanitize=address,undefined",
                "-fno-omit-frame-pointer",
                "-fno-sanitize-recover=all",
            ],
        )?;
        run(Command::new(&sanitized)
            .args(&args)
            .env("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1"))?;
        let plain = build(source, name, &[])?;
        run(Command::new("valgrind")
            .args([
                "--quiet",
                "--error-exitcode=1",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect,possible",
            ])
            .arg(&plain)
            .args(&args))?;
    }
    // ThreadSanitizer must see the Rust side's atomics and locks too, so the library and its std
    // are built instrumented (nightly -Zsanitizer=thread -Zbuild-std) and linked with Rust's TSan
    // runtime; gcc's libtsan is older than what rustc's instrumentation calls.
    run(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", "nightly"]))?;
    let host = "x86_64-unknown-linux-gnu";
    run(Command::new("cargo")
        .args([
            "+nightly",
            "build",
            "-Zbuild-std",
            "--target",
            host,
            "--package",
            "shopkeeper-ffi",
            "--target-dir",
            "target/tsan",
        ])
        .env("RUSTFLAGS", "-Zsanitizer=thread"))?;
    let sysroot = output(Command::new("rustc").args(["+nightly", "--print", "sysroot"]))?;
    let runtime = Path::new(sysroot.trim())
        .join(format!("lib/rustlib/{host}/lib/librustc-nightly_rt.tsan.a"));
    let object = out.join("threads.o");
    run(Command::new("gcc")
        .args([
            "-std=c99",
            "-g",
            "-O1",
            "-fsanitize=thread",
            "-pthread",
            "-c",
        ])
        .args(strict)
        .arg(tests.join("threads.c"))
        .arg("-o")
        .arg(&object))?;
    let threads = out.join("threads-tsan");
    run(Command::new("gcc")
        .arg("-pthread")
        .arg(&object)
        .arg(root.join(format!("target/tsan/{host}/debug/libshopkeeper_ffi.a")))
        .arg("-Wl,--whole-archive")
        .arg(&runtime)
        .arg("-Wl,--no-whole-archive")
        .args(system_libs)
        .arg("-lstdc++")
        .arg("-o")
        .arg(&threads))?;
    run(Command::new(&threads).env("TSAN_OPTIONS", "halt_on_error=1"))?;
    readme_c_program(root, &lib, &out)?;
    c_examples(root)
}

/// Builds examples/c-storefront with its Makefile (through pkg-config, against the debug library)
/// and runs the C and C++ programs under valgrind: each must print what its `.expected` file
/// holds, with no memory error or leak.
fn c_examples(root: &Path) -> Result<(), String> {
    let dir = root.join("examples/c-storefront");
    run(Command::new("make")
        .arg("-C")
        .arg(&dir)
        .args(["--always-make", "PROFILE=debug", "all"]))?;
    for program in ["storefront", "storefront-cpp"] {
        let out = Command::new("valgrind")
            .args([
                "--quiet",
                "--error-exitcode=1",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect,possible",
            ])
            .arg(format!("./{program}"))
            .current_dir(&dir)
            .output()
            .map_err(|e| format!("cannot run {program} under valgrind: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "examples/c-storefront/{program} failed under valgrind:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let expected_file = dir.join(format!("{program}.expected"));
        let expected = std::fs::read_to_string(&expected_file)
            .map_err(|e| format!("cannot read {}: {e}", expected_file.display()))?;
        if out.stdout != expected.as_bytes() {
            return Err(format!(
                "examples/c-storefront/{program} printed:\n{}\nbut {program}.expected holds:\n{expected}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        println!("examples/c-storefront/{program} printed what {program}.expected holds");
    }
    Ok(())
}

/// The README's C program ("Use it from C and C++"), compiled with warnings as errors and run:
/// it must print the picks the README says it prints.
fn readme_c_program(root: &Path, lib: &Path, out: &Path) -> Result<(), String> {
    let readme = std::fs::read_to_string(root.join("README.md"))
        .map_err(|e| format!("cannot read README.md: {e}"))?;
    let program = readme
        .split("## Use it from C and C++")
        .nth(1)
        .and_then(|section| section.split("```c\n").nth(1))
        .and_then(|block| block.split("```").next())
        .ok_or("README.md has no ```c program under \"Use it from C and C++\"")?;
    let source = out.join("readme.c");
    std::fs::write(&source, program)
        .map_err(|e| format!("cannot write {}: {e}", source.display()))?;
    let binary = out.join("readme");
    run(Command::new("gcc")
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            "-I",
            "include",
        ])
        .arg(&source)
        .arg(lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&binary))?;
    let printed = output(&mut Command::new(&binary))?;
    let expected = "1. free-shipping (score 8.00)\n2. welcome-10 (score 5.00)\n";
    if printed != expected {
        return Err(format!(
            "the README's C program printed {printed:?}, the README says {expected:?}"
        ));
    }
    println!("the README's C program printed what the README says");
    Ok(())
}

/// Real data the tests read, from a PyPI wheel.
struct Wheel {
    /// What pip downloads.
    requirement: &'static str,
    /// The wheel's file-name pattern.
    pattern: &'static str,
    /// The files to extract: path in the wheel, name in `target/data`.
    files: &'static [(&'static str, &'static str)],
}

const DATA: [Wheel; 3] = [
    Wheel {
        requirement: "lifetimes==0.11.3",
        pattern: "[Ll]ifetimes-0.11.3-*.whl",
        files: &[
            ("lifetimes/datasets/CDNOW_sample.txt", "CDNOW_sample.txt"),
            ("lifetimes/datasets/CDNOW_master.txt", "CDNOW_master.txt"),
        ],
    },
    Wheel {
        requirement: "obp==0.4.1",
        pattern: "obp-0.4.1-*.whl",
        files: &[("obp/dataset/obd/random/all/all.csv", "obd_random_all.csv")],
    },
    // The VADER lexicon the sentiment tests import, and VADER itself, run beside ours.
    Wheel {
        requirement: "vaderSentiment==3.3.2",
        pattern: "vaderSentiment-3.3.2-*.whl",
        files: &[
            (
                "vaderSentiment/vader_lexicon.txt",
                "vader/vader_lexicon.txt",
            ),
            (
                "vaderSentiment/emoji_utf8_lexicon.txt",
                "vader/emoji_utf8_lexicon.txt",
            ),
            (
                "vaderSentiment/vaderSentiment.py",
                "vader/vaderSentiment.py",
            ),
        ],
    },
];

/// Downloads each wheel with `pip download --no-deps` (cached in `target/data/wheels`) and
/// extracts the files the tests read into `target/data`; returns that folder.
fn fetch_data(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("target/data");
    let wheels = dir.join("wheels");
    std::fs::create_dir_all(&wheels)
        .map_err(|e| format!("cannot create {}: {e}", wheels.display()))?;
    for Wheel {
        requirement,
        pattern,
        files,
    } in DATA
    {
        if files.iter().all(|(_, name)| dir.join(name).is_file()) {
            println!("{requirement}: cached in {}", dir.display());
            continue;
        }
        run(Command::new("python3")
            .args(["-m", "pip", "download", "--no-deps", "--quiet", "--dest"])
            .arg(&wheels)
            .arg(requirement))?;
        // Unpacked with Python's zipfile, which every pip has: no `unzip` needed.
        let script = format!(
            "import glob, os, zipfile\n\
             z = zipfile.ZipFile(glob.glob(os.path.join({wheels:?}, {pattern:?}))[0])\n\
             for inside, name in {files:?}:\n    \
                 os.makedirs(os.path.dirname(os.path.join({dir:?}, name)), exist_ok=True)\n    \
                 open(os.path.join({dir:?}, name), 'wb').write(z.read(inside))\n",
            wheels = wheels.display().to_string(),
            dir = dir.display().to_string(),
        );
        run(Command::new("python3").args(["-c", &script]))?;
    }
    Ok(dir)
}

/// Adds the rustup targets and components the steps use, when missing.
fn install_rust_tools() -> Result<(), String> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    let missing: Vec<&str> = NO_STD_TARGETS
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l == *t))
        .collect();
    if missing.is_empty() {
        println!("targets already installed: {}", NO_STD_TARGETS.join(", "));
    } else {
        run(Command::new("rustup")
            .args(["target", "add"])
            .args(&missing))?;
    }
    let components = output(Command::new("rustup").args(["component", "list", "--installed"]))?;
    for component in ["clippy", "rustfmt"] {
        if !components.lines().any(|l| l.starts_with(component)) {
            run(Command::new("rustup").args(["component", "add", component]))?;
        }
    }
    Ok(())
}

pub(crate) fn step(what: &str) {
    println!("\n==> {what}");
}

pub(crate) fn cargo(args: &[&str]) -> Result<(), String> {
    run(Command::new("cargo").args(args))
}

pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}").replace('"', "");
    println!("$ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} exited with {status}"))
    }
}

pub(crate) fn output(command: &mut Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The workspace root: this crate lives in `<root>/crates/xtask`.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
