//! The load generator: worker threads send interleaved purchases, decisions, responses and
//! visitor journeys (anonymous purchase, then identify) for a set of customers shared by every
//! worker and spread over every node, count what each node acknowledged, and then check the
//! fleet holds exactly that ([`check`]).
//!
//! A request refused with 503 (store unavailable) or not answered (a node killed) is sent again,
//! to the next node, until acknowledged or [`Plan::patience`] runs out; what was never
//! acknowledged is counted apart, as what the fleet may or may not hold.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use shopkeeper::Timestamp;

/// A `shopkeeper-service` child process on a free port, killed when dropped.
pub struct Process {
    /// The child.
    pub child: std::process::Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Process {
    /// Starts `exe` (the service binary) with `args` (on a free port of the loopback unless
    /// they say `--listen`), and reads its URL from the first line it prints.
    pub fn start(exe: &std::path::Path, args: &[&str]) -> Result<Process, String> {
        use std::io::BufRead;
        let listen = match args.contains(&"--listen") {
            true => &[][..],
            false => &["--listen", "127.0.0.1:0"][..],
        };
        let mut child = std::process::Command::new(exe)
            .args(listen)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = std::io::BufReader::new(out).read_line(&mut line);
        }
        match line.trim().strip_prefix("listening on ") {
            Some(url) => Ok(Process {
                url: url.to_string(),
                child,
            }),
            None => Err(format!("{} did not start: {line:?}", exe.display())),
        }
    }

    /// SIGTERM, then the exit status: a graceful stop publishes everything and exits 0.
    pub fn stop(mut self) -> Result<std::process::ExitStatus, String> {
        let pid = self.child.id().to_string();
        let term = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        term.map_err(|e| e.to_string())?;
        self.child.wait().map_err(|e| e.to_string())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What to send.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The nodes' base URLs (`http://127.0.0.1:8080`).
    pub nodes: Vec<String>,
    /// Customers `c-0` .. `c-(customers-1)`, shared by every worker.
    pub customers: usize,
    /// The first `hot` customers get half the operations (contention), the rest the other half.
    pub hot: usize,
    /// Worker threads.
    pub workers: usize,
    /// Operations per worker.
    pub operations: usize,
    /// Shares of purchases, decisions, responses and visitor journeys (any scale).
    pub mix: [u32; 4],
    /// The seed of every choice.
    pub seed: u64,
    /// Every event's and decision's time (one instant, so learned counts are exact).
    pub at: Timestamp,
    /// How long one request is retried before it counts as unacknowledged.
    pub patience: Duration,
}

/// What one customer should hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expected {
    /// Acknowledged orders (their own and their visitors').
    pub orders: u32,
    /// Their total spend.
    pub spend: i64,
    /// Orders sent but never acknowledged: each may or may not be there.
    pub maybe_orders: u32,
    /// Visitors whose identify was acknowledged.
    pub visitors: Vec<String>,
}

/// What the workers sent and what came back.
#[derive(Debug, Default)]
pub struct Report {
    /// Per customer.
    pub customers: BTreeMap<usize, Expected>,
    /// Decisions acknowledged as recorded, and decision requests sent (retries included).
    pub decisions: (u64, u64),
    /// Responses acknowledged as credited: accepts, then dismissals.
    pub credited: (u64, u64),
    /// Responses that met a failure before their acknowledgment (may have been credited then).
    pub maybe_credited: u64,
    /// Acknowledged requests.
    pub acknowledged: u64,
    /// Requests never acknowledged.
    pub unacknowledged: u64,
    /// Answers 503 (store unavailable, timeouts), sent again.
    pub unavailable: u64,
    /// Requests no node answered (killed, refusing connections), sent again to the next.
    pub unanswered: u64,
    /// Decisions answered in degraded mode (the store away).
    pub degraded: u64,
    /// Every decision's latency, as answered.
    pub decision_latencies: Vec<Duration>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    fn add(&mut self, other: Report) {
        for (k, e) in other.customers {
            let mine = self.customers.entry(k).or_default();
            mine.orders += e.orders;
            mine.spend += e.spend;
            mine.maybe_orders += e.maybe_orders;
            mine.visitors.extend(e.visitors);
        }
        self.decisions.0 += other.decisions.0;
        self.decisions.1 += other.decisions.1;
        self.credited.0 += other.credited.0;
        self.credited.1 += other.credited.1;
        self.maybe_credited += other.maybe_credited;
        self.acknowledged += other.acknowledged;
        self.unacknowledged += other.unacknowledged;
        self.unavailable += other.unavailable;
        self.unanswered += other.unanswered;
        self.degraded += other.degraded;
        self.decision_latencies.extend(other.decision_latencies);
    }

    /// The `q` quantile (0..=1) of the decisions' latencies.
    pub fn latency(&self, q: f64) -> Duration {
        let mut all = self.decision_latencies.clone();
        all.sort();
        let i = ((all.len() as f64 - 1.0) * q).round() as usize;
        all.get(i).copied().unwrap_or_default()
    }
}

/// SplitMix64: each worker's choices, from the plan's seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// An HTTP client for one worker, moving to the next node on failure.
struct Client {
    agent: ureq::Agent,
    nodes: Vec<String>,
    /// Until when a node that did not answer is passed over.
    down: Vec<Option<Instant>>,
    turn: usize,
    patience: Duration,
}

/// How a request ended.
enum Answer {
    /// 200, with the body; `true` if it failed before (a 503 or no connection).
    Ok(Value, bool),
    /// Never acknowledged.
    Gone,
}

impl Client {
    fn new(plan: &Plan, worker: usize) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(15)))
            .build();
        Client {
            agent: config.into(),
            nodes: plan.nodes.clone(),
            down: vec![None; plan.nodes.len()],
            turn: worker,
            patience: plan.patience,
        }
    }

    /// Sends `body` to `path` on the next node; retries on 503 and lost connections. Any other
    /// refusal is a bug in the plan or the service: it panics with the body.
    fn post(&mut self, path: &str, body: &Value, report: &mut Report) -> Answer {
        let started = Instant::now();
        let mut failed = false;
        loop {
            let n = self.nodes.len();
            let up = (1..=n).find(|i| {
                let until = self.down[(self.turn + i) % n];
                until.is_none_or(|until| Instant::now() > until)
            });
            self.turn += up.unwrap_or(1);
            let node = self.turn % n;
            let url = format!("{}{path}", self.nodes[node]);
            let sent = self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.to_string());
            match sent {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let text = response.body_mut().read_to_string().unwrap_or_default();
                    if status == 200 {
                        report.acknowledged += 1;
                        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        return Answer::Ok(value, failed);
                    }
                    assert_eq!(status, 503, "{url} refused {body}: {text}");
                    report.unavailable += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(_) => {
                    // No answer (the node is down): pass it over for a second.
                    report.unanswered += 1;
                    self.down[node] = Some(Instant::now() + Duration::from_secs(1));
                    if up.is_none() {
                        std::thread::sleep(Duration::from_millis(20)); // every node is down
                    }
                }
            }
            failed = true;
            if started.elapsed() > self.patience {
                report.unacknowledged += 1;
                return Answer::Gone;
            }
        }
    }
}

/// Runs the plan: every worker at once, then their reports added up.
pub fn run(plan: &Plan) -> Report {
    let started = Instant::now();
    let reports: Vec<Report> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..plan.workers)
            .map(|w| s.spawn(move || work(plan, w)))
            .collect();
        // A worker's panic (a refusal the plan did not expect) fails the run.
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut total = Report::default();
    for report in reports {
        total.add(report);
    }
    total.elapsed = started.elapsed();
    total
}

fn work(plan: &Plan, worker: usize) -> Report {
    let mut rng = Rng(plan.seed ^ (worker as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut client = Client::new(plan, worker);
    let mut report = Report::default();
    let mut shown: BTreeMap<usize, String> = BTreeMap::new();
    let at = plan.at;
    let total: u32 = plan.mix.iter().sum();
    for i in 0..plan.operations {
        let k = if plan.hot > 0 && rng.below(2) == 0 {
            rng.below(plan.hot)
        } else {
            rng.below(plan.customers)
        };
        let customer = format!("c-{k}");
        let mut roll = (rng.next() % u64::from(total.max(1))) as u32;
        let kind = plan
            .mix
            .iter()
            .position(|&share| {
                let hit = roll < share;
                roll = roll.saturating_sub(share);
                hit
            })
            .unwrap_or(0);
        match kind {
            0 => {
                let order = format!("w{worker}-{i}");
                let total = 100 * (1 + rng.below(5) as i64);
                let body = purchase(&customer, false, &order, total, at);
                match client.post("/v1/events", &body, &mut report) {
                    Answer::Ok(..) => {
                        let e = report.customers.entry(k).or_default();
                        e.orders += 1;
                        e.spend += total;
                    }
                    Answer::Gone => report.customers.entry(k).or_default().maybe_orders += 1,
                }
            }
            1 => {
                let body = serde_json::json!({"profile": customer, "request": {
                    "now": at, "slots": 1, "seed": rng.next() % (1 << 52),
                    "context": {"page_type": "cart"}}});
                let sent = Instant::now();
                let before = report.unavailable + report.unanswered;
                let answer = client.post("/v1/decisions", &body, &mut report);
                report.decisions.1 += 1 + report.unavailable + report.unanswered - before;
                if let Answer::Ok(answer, _) = answer {
                    report.decisions.0 += u64::from(answer["recorded"] == true);
                    report.decision_latencies.push(sent.elapsed());
                    if !answer["degraded"].is_null() {
                        report.degraded += 1;
                    }
                    let decision = &answer["decision"];
                    let pick = &decision["picks"][0];
                    if answer["recorded"] == true
                        && decision["fallback"] == false
                        && pick["is_default"] == false
                    {
                        if let Some(offer) = pick["offer"].as_str() {
                            shown.insert(k, offer.to_string());
                        }
                    }
                }
            }
            2 => {
                // A response to this worker's oldest unanswered decision.
                let Some((k, offer)) = shown.pop_first() else {
                    continue;
                };
                let customer = format!("c-{k}");
                let accepted = rng.below(2) == 0;
                let response = if accepted { "accepted" } else { "dismissed" };
                let body = serde_json::json!({"profile": customer, "offer": offer,
                    "response": response, "at": at});
                match client.post("/v1/responses", &body, &mut report) {
                    Answer::Ok(answer, failed) => {
                        report.maybe_credited += u64::from(failed);
                        if answer["credited"] == true {
                            if accepted {
                                report.credited.0 += 1;
                            } else {
                                report.credited.1 += 1;
                            }
                        }
                    }
                    Answer::Gone => report.maybe_credited += 1,
                }
            }
            _ => {
                let visitor = format!("v-{worker}-{i}");
                let order = format!("v{worker}-{i}");
                let total = 1000;
                let body = purchase(&visitor, true, &order, total, at);
                let Answer::Ok(..) = client.post("/v1/events", &body, &mut report) else {
                    continue; // never identified: the customer holds none of it
                };
                let identify = serde_json::json!({"profile": visitor, "anonymous": true,
                    "event": {"type": "identify", "customer": customer, "at": at, "channel": "web"}});
                let e = match client.post("/v1/events", &identify, &mut report) {
                    Answer::Ok(..) => report.customers.entry(k).or_default(),
                    Answer::Gone => {
                        report.customers.entry(k).or_default().maybe_orders += 1;
                        continue;
                    }
                };
                e.orders += 1;
                e.spend += total;
                e.visitors.push(visitor);
            }
        }
    }
    report
}

fn purchase(profile: &str, anonymous: bool, order: &str, total: i64, at: Timestamp) -> Value {
    serde_json::json!({"profile": profile, "anonymous": anonymous, "event": {
        "type": "purchase", "at": at, "channel": "web", "order": order, "total": total,
        "lines": [{"product": "tent-2p", "category": "tents", "quantity": 1, "unit_price": total}]}})
}

/// Compares what the fleet holds with what was acknowledged: one line per mismatch (none when
/// it holds exactly that), read through `node`.
pub fn check(node: &str, report: &Report, at: Timestamp) -> Vec<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let get = |path: &str| -> Value {
        let mut response = match agent.get(&format!("{node}{path}")).call() {
            Ok(response) => response,
            Err(e) => return Value::String(format!("{path}: {e}")),
        };
        let text = response.body_mut().read_to_string().unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    let mut problems = Vec::new();
    for (k, expected) in &report.customers {
        let profile = get(&format!("/v1/profiles/c-{k}"));
        let channels = profile["activity"]["channels"].as_object();
        let sum = |field: &str| -> i64 {
            channels
                .into_iter()
                .flatten()
                .map(|(_, c)| c[field].as_i64().unwrap_or(0))
                .sum()
        };
        let (orders, spend) = (sum("purchases"), sum("spend"));
        let low = i64::from(expected.orders);
        if orders < low || orders > low + i64::from(expected.maybe_orders) {
            problems.push(format!(
                "c-{k}: {orders} orders stored, {low} acknowledged (+{} unacknowledged)",
                expected.maybe_orders
            ));
        } else if expected.maybe_orders == 0 && spend != expected.spend {
            problems.push(format!(
                "c-{k}: spend {spend}, {} acknowledged",
                expected.spend
            ));
        }
        let ids = profile["identity"]["anonymous_ids"].as_array();
        for visitor in &expected.visitors {
            let times = ids
                .into_iter()
                .flatten()
                .filter(|a| a["id"] == visitor.as_str())
                .count();
            // A profile lists its newest anonymous ids only: an older one may be gone.
            let full = ids.is_some_and(|ids| ids.len() >= shopkeeper::limits::MAX_ANONYMOUS_IDS);
            if times > 1 || times == 0 && !full {
                problems.push(format!("c-{k}: visitor {visitor} merged {times} times"));
            }
        }
    }
    let kpis = get("/v1/kpis");
    let days = kpis["kpis"]["offers"]["days"].as_array();
    let count = |field: &str| -> u64 {
        let rows = days.into_iter().flatten();
        rows.map(|r| r[field].as_u64().unwrap_or(0)).sum()
    };
    let (decided, (recorded, sent)) = (count("decisions"), report.decisions);
    if decided < recorded || decided > sent {
        problems.push(format!(
            "the KPIs count {decided} decisions; {recorded} were acknowledged as recorded, {sent} requested"
        ));
    }
    let responses = count("accepts") + count("dismisses");
    let credited = report.credited.0 + report.credited.1;
    if responses < credited || responses > credited + report.maybe_credited {
        problems.push(format!(
            "the KPIs count {responses} responses to shown offers; {credited} were acknowledged \
             as credited (+{} that met a failure first)",
            report.maybe_credited
        ));
    }
    let learner = get(&format!("/v1/learner?at={at}"));
    let total = |field: &str| -> f64 {
        let arms = learner["arms"].as_array().into_iter().flatten();
        arms.map(|a| a[field].as_f64().unwrap_or(0.0)).sum()
    };
    let (accepts, rejects) = (total("accepts"), total("rejects"));
    let (low, maybe) = (
        (report.credited.0 + report.credited.1) as f64,
        report.maybe_credited as f64,
    );
    let learned = accepts + rejects;
    if learned < low || learned > low + maybe {
        problems.push(format!(
            "the learners hold {learned} responses ({accepts} accepts), {low} were acknowledged \
             as credited (+{maybe} that met a failure first)"
        ));
    } else if maybe == 0.0 && accepts != report.credited.0 as f64 {
        problems.push(format!(
            "the learners hold {accepts} accepts, {} were acknowledged",
            report.credited.0
        ));
    }
    problems
}
