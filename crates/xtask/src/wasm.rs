//! The npm package (`bindings/wasm`): its tools, its build, its tests and its benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{cargo, output, run, step};

/// Where `cargo xtask wasm` writes the package (what `npm publish` would ship).
pub const PACKAGE: &str = "target/npm/shopkeeper-wasm";

/// The exact wasm-bindgen version `bindings/wasm/Cargo.toml` pins: the CLI must match it.
fn pinned_bindgen(root: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(root.join("bindings/wasm/Cargo.toml"))
        .map_err(|e| format!("cannot read bindings/wasm/Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("wasm-bindgen = \"="))
        .and_then(|rest| rest.strip_suffix('"'))
        .map(str::to_string)
        .ok_or_else(|| "bindings/wasm/Cargo.toml must pin wasm-bindgen = \"=X.Y.Z\"".into())
}

/// Installs what the package's build and tests need, when missing: the wasm-bindgen CLI at the
/// pinned version; Chromium and its driver from Debian; binaryen (wasm-opt) from npm;
/// playwright-core.
pub fn install_tools(root: &Path) -> Result<(), String> {
    let version = pinned_bindgen(root)?;
    let installed = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if installed.trim() == format!("wasm-bindgen {version}") {
        println!("wasm-bindgen {version} already installed");
    } else {
        println!("installing wasm-bindgen-cli {version} (the crate's exact version; about 8 minutes on two cores)");
        cargo(&["install", "wasm-bindgen-cli", "--version", &version])?;
    }
    crate::debian::install(
        &[
            ("chromium", "chromium"),
            ("chromedriver", "chromium-driver"),
        ],
        "the WASM tests",
    )?;
    install_binaryen(root)?;
    let tests = root.join("bindings/wasm/tests");
    if tests
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        println!("playwright-core already installed in bindings/wasm/tests");
    } else {
        println!("installing playwright-core (the driver only: it uses the system Chromium)");
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&tests))?;
    }
    Ok(())
}

/// binaryen from the npm registry, for `wasm-opt`: Debian 12's binaryen (108) cannot read the
/// module (it predates `table.fill`, which wasm-bindgen's reference-type shims use).
const BINARYEN: &str = "132.0.0";

/// Where [`install_binaryen`] puts it (a folder of the build, not of the repository).
const BINARYEN_DIR: &str = "target/tools/binaryen";

fn wasm_opt(root: &Path) -> PathBuf {
    root.join(BINARYEN_DIR).join("node_modules/.bin/wasm-opt")
}

fn install_binaryen(root: &Path) -> Result<(), String> {
    let dir = root.join(BINARYEN_DIR);
    let manifest = dir.join("node_modules/binaryen/package.json");
    let installed = std::fs::read_to_string(&manifest).unwrap_or_default();
    if installed.contains(&format!("\"version\": \"{BINARYEN}\"")) {
        println!("binaryen {BINARYEN} (wasm-opt) already installed in {BINARYEN_DIR}");
        return Ok(());
    }
    println!("installing binaryen {BINARYEN} from npm into {BINARYEN_DIR}, for wasm-opt (Debian's 108 cannot read the module)");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(&dir)
        .arg(format!("binaryen@{BINARYEN}")))
}

/// Builds the package into [`PACKAGE`]: the core for wasm32 with the size profile, the `web`
/// and `nodejs` glue, wasm-opt, the guard, the types and the manifest. Prints the module's bytes
/// by crate and fails when the browser module passes its gzipped budget (`wasm_size.rs`).
pub fn build(root: &Path) -> Result<PathBuf, String> {
    cargo(&[
        "build",
        "--package",
        "shopkeeper-wasm",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ])?;
    let wasm = root.join("target/wasm32-unknown-unknown/wasm/shopkeeper_wasm.wasm");
    let package = root.join(PACKAGE);
    let _ = std::fs::remove_dir_all(&package);
    for target in ["web", "nodejs"] {
        let dir = package.join(if target == "web" { "web" } else { "node" });
        run(Command::new("wasm-bindgen")
            .args(["--target", target, "--out-dir"])
            .arg(&dir)
            .arg(&wasm))?;
        let module = dir.join("shopkeeper_wasm_bg.wasm");
        optimize(root, &module)?;
    }
    let js = root.join("bindings/wasm/js");
    let copies = [
        (js.join("facade.js"), package.join("facade.js")),
        (js.join("web.js"), package.join("web/index.js")),
        (js.join("node.mjs"), package.join("node/index.mjs")),
        (
            root.join("bindings/wasm/package.json"),
            package.join("package.json"),
        ),
        (
            root.join("bindings/wasm/README.md"),
            package.join("README.md"),
        ),
        (root.join("LICENSE"), package.join("LICENSE")),
    ];
    for (from, to) in copies {
        std::fs::copy(&from, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    }
    // The nodejs glue is CommonJS inside an ES-module package.
    write(
        &package.join("node/package.json"),
        "{\"type\": \"commonjs\"}\n",
    )?;
    // One declaration file for both builds: the generated classes and shapes, and `init`.
    let types = std::fs::read_to_string(package.join("node/shopkeeper_wasm.d.ts"))
        .map_err(|e| format!("cannot read the generated types: {e}"))?;
    write(
        &package.join("shopkeeper.d.ts"),
        &format!(
            "{types}\n/**\n * Loads the module: call and await once before anything else in a browser (a no-op in\n * Node). `input` is where the .wasm is (default: next to the package's `web/index.js`), its\n * bytes, a `Response`, or a compiled `WebAssembly.Module`.\n */\nexport default function init(input?: string | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;\n"
        ),
    )?;
    check_version(root)?;
    crate::wasm_size::print_by_crate(&wasm)?;
    crate::wasm_size::check_budget(&package.join("web/shopkeeper_wasm_bg.wasm"))?;
    Ok(package)
}

/// Runs wasm-opt for size: `-Oz`, with functions of one caller inlined only when tiny (larger
/// inlining grew the gzipped module), and the names, debug information and producers stripped
/// (a shop page has no use for them; the by-crate table reads the unstripped module).
fn optimize(root: &Path, module: &Path) -> Result<(), String> {
    let optimized = module.with_extension("opt.wasm");
    run(Command::new(wasm_opt(root))
        .args([
            "-Oz",
            "--one-caller-inline-max-function-size=20",
            "--strip-debug",
            "--strip-producers",
        ])
        .arg(module)
        .arg("-o")
        .arg(&optimized))?;
    std::fs::rename(&optimized, module)
        .map_err(|e| format!("cannot replace {}: {e}", module.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The npm version must be the workspace's.
fn check_version(root: &Path) -> Result<(), String> {
    let manifest = std::fs::read_to_string(root.join("bindings/wasm/package.json"))
        .map_err(|e| format!("cannot read bindings/wasm/package.json: {e}"))?;
    let version = crate::workspace_version(root)?;
    if manifest.contains(&format!("\"version\": \"{version}\"")) {
        Ok(())
    } else {
        Err(format!(
            "bindings/wasm/package.json must have \"version\": \"{version}\" (the workspace's)"
        ))
    }
}

/// The package's tests: the Node suite (conformance vectors and the API), then the same vectors
/// and the browser example in headless Chromium.
pub fn test(root: &Path) -> Result<(), String> {
    let tests = root.join("bindings/wasm/tests");
    link_package(root, &tests)?;
    step("running the WASM package's Node tests: every conformance vector, errors, bytes, panics (node --test)");
    run(Command::new("node")
        .args(["--test", "--test-reporter=spec", "node.test.mjs"])
        .current_dir(&tests))?;
    step("running the conformance vectors and the browser example in headless Chromium (playwright-core, system Chromium)");
    run(Command::new("node")
        .arg("browser.mjs")
        .current_dir(&tests)
        .env(
            "SHOPKEEPER_SCREENSHOT",
            root.join("target/browser-example.png"),
        ))
}

/// Makes `import "shopkeeper-wasm"` in the tests resolve to the built package, through its
/// `exports` map, as in a user's project.
fn link_package(root: &Path, tests: &Path) -> Result<(), String> {
    let link = tests.join("node_modules/shopkeeper-wasm");
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_dir_all(&link);
    std::os::unix::fs::symlink(root.join(PACKAGE), &link)
        .map_err(|e| format!("cannot link {}: {e}", link.display()))
}

/// `cargo xtask wasm-bench`: decide on the 1,000-offer catalog in Node through the package
/// against native Rust (criterion, `benches/ffi.rs`), in one run, and the module's load time.
pub fn bench(root: &Path) -> Result<(), String> {
    let tests = root.join("bindings/wasm/tests");
    link_package(root, &tests)?;
    step("native: Engine::decide on 1,000 offers, 3 slots, picks only and with the receipt (criterion)");
    cargo(&[
        "bench",
        "--package",
        "shopkeeper-benches",
        "--bench",
        "ffi",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "4",
        "Rust Engine::decide",
    ])?;
    let median = |name: &str| -> Result<f64, String> {
        let path = root.join(format!("target/criterion/{name}/new/estimates.json"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        // `"median":{"confidence_interval":{...},"point_estimate":N,...}`, in nanoseconds.
        text.split("\"median\":")
            .nth(1)
            .and_then(|m| m.split("\"point_estimate\":").nth(1))
            .and_then(|v| v.split([',', '}']).next())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|ns| ns / 1000.0)
            .ok_or_else(|| format!("no median in {}", path.display()))
    };
    step("native: a catalog load of 1,000 offers, and reading its text into a serde_json::Value (criterion)");
    cargo(&[
        "bench",
        "--package",
        "shopkeeper-benches",
        "--bench",
        "catalog",
        "--",
        "--warm-up-time",
        "1",
        "--measurement-time",
        "3",
        "1000 fixed",
    ])?;
    let native = median("decide 1000 offers/Rust Engine__decide")?;
    let native_receipt = median("decide 1000 offers/Rust Engine__decide, receipt as JSON")?;
    let native_engine = median("catalog_engine_1000 fixed")? / 1000.0;
    let native_read = median("catalog_read JSON (serde_json__Value)_1000 fixed")? / 1000.0;
    step("WASM in Node: the same catalog, customer and request through the package");
    let fixture = root.join("target/wasm-bench-fixture.json");
    let json = output(Command::new("cargo").args([
        "run",
        "--quiet",
        "--release",
        "--package",
        "shopkeeper-benches",
        "--example",
        "bench_fixture",
    ]))?;
    write(&fixture, &json)?;
    let result = output(
        Command::new("node")
            .arg("bench.mjs")
            .arg(&fixture)
            .current_dir(&tests),
    )?;
    let number = |key: &str| -> Result<f64, String> {
        result
            .split(&format!("\"{key}\":"))
            .nth(1)
            .and_then(|v| v.split([',', '}']).next())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("the WASM benchmark printed no {key}: {result}"))
    };
    let (wasm, wasm_receipt) = (number("decideUs")?, number("decideReceiptUs")?);
    println!("\ndecide, 1,000 offers, 3 slots (median per call):");
    println!(
        "  picks only:        WASM {wasm:.2} us, native {native:.2} us: WASM / native = {:.2}",
        wasm / native
    );
    println!(
        "  with the receipt:  WASM {wasm_receipt:.1} us, native {native_receipt:.1} us: WASM / native = {:.2}",
        wasm_receipt / native_receipt
    );
    println!(
        "loading in Node: import {:.1} ms (compile and instantiate); compile alone {:.1} ms, instantiate alone {:.2} ms; new Engine (1,000 offers) {:.1} ms",
        number("importMs")?,
        number("compileMs")?,
        number("instantiateMs")?,
        number("engineMs")?
    );
    let (engine, parse) = (number("engineRepeatMs")?, number("jsonParseMs")?);
    println!("a catalog load, 1,000 offers (median per load):");
    println!(
        "  WASM new Engine {engine:.2} ms, JSON.parse of the same text {parse:.2} ms: {:.2}x",
        engine / parse
    );
    println!(
        "  native Engine::new {native_engine:.2} ms, serde_json::Value {native_read:.2} ms: {:.2}x; WASM / native = {:.2}",
        native_engine / native_read,
        engine / native_engine
    );
    Ok(())
}
