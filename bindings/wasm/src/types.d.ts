/** Seconds since 1970-01-01T00:00:00Z (not milliseconds: `Math.floor(Date.now() / 1000)`). */
export type Timestamp = number;

/** Where an interaction happened or where picks will be shown. */
export type Channel = "web" | "mobile" | "store" | "pos" | "contact_centre" | "contact_center" | "email" | "kiosk" | "chat" | "social";

/** The `code` of every error the package throws: the names of the C API's `sk_result`. */
export type ErrorCode =
  | "null_parameter" | "invalid_utf8" | "panic" | "invalid_json" | "empty_id" | "too_long"
  | "negative_amount" | "amount_too_large" | "invalid_quantity" | "timestamp_out_of_range"
  | "future_timestamp" | "attribute_type" | "limit_exceeded" | "identity_conflict"
  | "invalid_number" | "invalid_context" | "decode_too_large" | "decode_bad_magic"
  | "decode_unsupported_version" | "decode_malformed" | "decode_trailing_bytes" | "decode_invalid"
  | "invalid_rule" | "invalid_model" | "invalid_data" | "fit_failed" | "invalid_catalog"
  | "invalid_request" | "internal";

/** What the package throws: an `Error` with the C API's code, and where in the input. */
export interface ShopkeeperError extends Error {
  code: ErrorCode;
  /** 1-based line of a rule, catalog or JSON error. */
  line?: number;
  /** 1-based column (in characters) of a rule, catalog or JSON error. */
  column?: number;
  /** Every problem of a catalog that did not compile (`new Engine`). */
  diagnostics?: Diagnostic[];
}

/** A line of a purchase. Prices are in minor units (cents). */
export interface PurchaseLine { product: string; category?: string; quantity?: number; unit_price: number }

/** The fields every event has (spec/events.md). */
export interface EventBase { at: Timestamp; channel: Channel }

/** One customer interaction, as spec/events.md documents it. Money is in minor units. */
export type ShopEvent = EventBase & (
  | { type: "session_start"; referrer?: string; affiliate?: string }
  | { type: "page_view"; page?: string }
  | { type: "product_view"; product: string; category?: string }
  | { type: "cart_add"; product: string; category?: string; quantity?: number; unit_price: number }
  | { type: "cart_remove"; product: string; quantity?: number }
  | { type: "cart_clear" }
  | { type: "purchase"; order: string; lines: PurchaseLine[]; total: number }
  | { type: "offer_shown" | "offer_accepted" | "offer_dismissed"; offer: string }
  | { type: "identify"; customer: string }
  | { type: "service_contact" | "complaint"; reason?: string }
  | { type: "attribute_set"; name: string; value: boolean | number | string | string[] | null }
  | { type: "consent_change"; purpose: "personalization" | "marketing"; granted: boolean }
  /** A message: its text is analysed when applied and never kept; or send your own `sentiment`
   * (-1 to 1) and `intents`. `rating` is a review's stars, 1 to 5. */
  | { type: "message"; direction: "inbound" | "outbound"; text?: string; sentiment?: number;
      intents?: string[]; product?: string; rating?: number }
);

/** Why an event was accepted but changed nothing. */
export type IgnoreReason =
  | "objected" | "duplicate_order" | "before_cart_clear" | "not_in_cart" | "superseded"
  | "already_identified" | "not_held";

/** What `Profile.apply` did. */
export type Applied = { recorded: true } | { recorded: false; ignored: IgnoreReason };

/** What `Engine.hear` found in a message's text (`spec/events.md`, "Messages"). */
export interface Heard {
  /** The text's sentiment, -1 to 1, by the engine's models; `null` without a sentiment model or a word. */
  sentiment: number | null;
  /** The catalog's intents the text expresses (not negated), each once, in name order. */
  intents: string[];
}

/** What a storefront most often reads from a profile. Money in minor units. */
export interface ProfileSummary {
  cartValue: number;
  cartQuantity: number;
  /** Average order value; `null` before the first purchase. */
  purchasesAverage: number | null;
  /** Average of the orders after the first; `null` before the second. */
  purchasesRepeatAverage: number | null;
  /** Seconds from the session's start to its latest event; `null` without a session. */
  timeOnSite: number | null;
  objectsToPersonalization: boolean;
}

/** The export of a profile (spec/events.md, "The export"): the profile as data. */
export interface ProfileExport {
  identity: { id: string; known: boolean; [field: string]: unknown };
  [part: string]: unknown;
}

/** A type a catalog declares for an attribute or context key. */
export type DeclaredType = "bool" | "number" | "string" | "timestamp" | "duration" | "list";

/** A duration: seconds, or text such as `"7d"`, `"12h"`, `"30m"`. */
export type Duration = number | string;

/** An offer, content or service action of a catalog (spec/catalog.md). */
export interface OfferSource {
  id: string;
  title?: string;
  kind?: "offer" | "content" | "action";
  channels?: Channel[];
  valid_from?: Timestamp | string;
  valid_until?: Timestamp | string;
  eligibility?: string;
  applicability?: string;
  suitability?: string;
  value?: number | string;
  lever?: number;
  group?: string | null;
  contact?: {
    max_shows?: number; window?: Duration; cooldown_after_dismiss?: Duration; dismissals?: number;
    stop_after_accept?: boolean;
  };
  propensity?: { fixed: number } | { expression: string } | { model: string } | { adaptive: { prior?: [number, number] } };
  /** At most this many accepts or shows per period (spec/catalog.md, "Budgets and pacing"). */
  budget?: { max_accepts: number; per: Duration } | { max_shows: number; per: Duration };
  payload?: unknown;
}

/** A catalog as spec/catalog.md documents it (or its JSON text). */
export interface CatalogSource {
  version: string;
  currency_decimals?: number;
  channels?: Channel[];
  attributes?: Record<string, DeclaredType>;
  context?: Record<string, DeclaredType>;
  context_weights?: { when?: string; channels?: Channel[]; kind?: "offer" | "content" | "action"; weight: number }[];
  contact_policy?: Partial<Record<Channel, { max_shows: number; window: Duration }>>;
  control_group?: { share: number; salt: string };
  learning?: {
    segment?: string; half_life?: Duration; recent_half_life?: Duration; floor?: number;
    /** What adaptive offers learn from (spec/learning.md, "Predictors"): numbers in `bins`
     * (thresholds) or their power of two, strings and booleans by value, lists per element. */
    predictors?: { name: string; value: string; bins?: number[] }[];
  };
  /** How budgets are spread over their periods: even (the default, 1/24 ahead) or as soon as asked. */
  pacing?: { rule: "even"; ahead?: number } | { rule: "asap" };
  /** Intent name to the phrases that express it, found in messages' text. */
  intents?: Record<string, string[]>;
  default: { id: string; title?: string; kind?: "offer" | "content" | "action"; payload?: unknown };
  offers: OfferSource[];
}

/** Options of `new Engine`. */
export interface EngineOptions {
  /** The models file (`shopkeeper fit --out`), as an object or JSON text. */
  models?: object | string;
  /** Dates the warnings about validity windows; default: the current time. */
  now?: Timestamp;
}

/** A value of the request context, of the type the catalog declares for its key. */
export type ContextValue = boolean | number | string | string[];

/** One decision request. */
export interface DecisionRequest {
  /** Where the picks will be shown; default `"web"`. */
  channel?: Channel;
  /** The caller's clock; default: the current time. */
  now?: Timestamp;
  /** How many offers to pick, 1 to 16; default 1. */
  slots?: number;
  /** Seeds tie-breaks and adaptive sampling: same inputs and seed, same decision. Default 0.
   * A `bigint` (or a string of digits) carries the full 64 bits. */
  seed?: number | bigint | string;
  /** Values of the keys the catalog's `context` declares (`context.page_type` in rules). */
  context?: Record<string, ContextValue>;
  /** Also return the decision-log record, and each pick's logged probability. */
  log?: boolean;
  /** Also return the receipt (it explains every offer; implies `log`). */
  explain?: boolean;
}

/** One pick of a decision, best first. */
export interface Pick {
  offer: string;
  title: string;
  kind: "offer" | "content" | "action";
  /** The catalog's `payload`, as written. */
  payload: unknown;
  /** The catalog's default action: nothing qualified (do not record it as shown). */
  is_default: boolean;
  /** `propensity * context_weight * value * lever`; `null` for the default action. */
  score: number | null;
  propensity: number | null;
  context_weight: number | null;
  value: number | null;
  lever: number | null;
  /** The chance the policy puts this offer at this rank over the seed (with `log` or `explain`);
   * `null` otherwise. */
  probability: number | null;
}

/** The record of a decision for off-policy evaluation and crediting responses
 * (spec/learning.md, "Decision logs"). */
export interface DecisionLog {
  catalog_version: string;
  /** The fingerprint of the catalog's schema, 16 hex digits. */
  schema: string;
  customer: string;
  channel: Channel;
  now: Timestamp;
  /** The request's seed as a string of digits: all 64 bits (`BigInt(log.seed)`). */
  seed: string;
  slots: number;
  segment: string;
  control_group: boolean;
  fallback: boolean;
  picks: { offer: string; probability: number }[];
  /** The request's predictor bins (`name=value`, sorted), when the catalog has predictors. */
  predictors?: string[];
}

/** A request's predictor bin that moved an adaptive pick's propensity, in a receipt. */
export interface Evidence {
  bin: string;
  /** The factor on the offer's odds: `e^effect`, the long evidence with its change. */
  odds: number;
  /** Decayed accepts and rejects of the offer in this bin (the learner's half-life); for a number predictor, in the neighbouring intervals pooled with it. */
  accepts: number;
  rejects: number;
  /** What recent responses moved the effect on the log odds since the long counts; near 0 while tastes are stable. */
  change: number;
}

/** Where the pipeline dropped an offer. */
export type Stage =
  | "channel" | "validity" | "eligibility" | "applicability" | "suitability" | "contact_policy"
  | "score" | "budget" | "exclusion_group" | "slots";

/** The explanation of a decision (spec/catalog.md, "The receipt"). */
export interface Receipt {
  format: "shopkeeper.receipt";
  catalog_version: string;
  customer: string;
  channel: Channel;
  now: Timestamp;
  /** The request's seed (a JS number: seeds above 2^53 come back rounded). */
  seed: number;
  slots: number;
  control_group: boolean;
  suppressed: null | "control_group" | "objection" | "channel_cap";
  fallback: boolean;
  segment: string;
  picks: {
    rank: number; offer: string; title: string; kind: "offer" | "content" | "action";
    /** `fixed`, `expression`, `model:NAME`, `adaptive`, or `default`. */
    propensity_source: string;
    /** The chance the policy puts this offer at this rank over the seed. */
    probability: number;
    propensity?: number; context_weight?: number; value?: number; lever?: number; score?: number;
    /** For an adaptive pick of a catalog with predictors: the bins that moved it most. */
    predictors?: Evidence[];
  }[];
  /** Every offer not picked, in catalog order, with where and why. */
  dropped: { offer: string; stage: Stage; reason: string }[];
}

/** A decision (spec/catalog.md, "The decision's JSON"): the picks, and what to record once they
 * are shown. The same JSON the C API's `sk_engine_decide_json` writes. */
export interface Decision {
  format: "shopkeeper.decision";
  picks: Pick[];
  /** The picks are the default action (nothing qualified, or all were held back). */
  fallback: boolean;
  /** The customer is in the universal control group. */
  control_group: boolean;
  /** The learning segment: record responses to these picks in the learner under it. */
  segment: string;
  /** The `offer_shown` events to apply to the profile once the picks are on screen. */
  shown: ShopEvent[];
  /** With `log: true` or `explain: true`. */
  log?: DecisionLog;
  /** With `explain: true`. */
  receipt?: Receipt;
}

/** A customer's scores under the engine's models (spec/scores.md); `null` when missing. */
export interface Scores {
  summary: { frequency: number; recency: number; age: number; monetary: number } | null;
  rfm: { r: number; f: number; m: number } | null;
  p_alive: number | null;
  churn_risk: number | null;
  expected_purchases_90d: number | null;
  expected_spend: number | null;
  clv: number | null;
  cross_sell: string[];
  cross_sell_score: number | null;
  cross_sell_categories: string[];
  customer_cross_sell: string[];
  /** The customer's cohort: the fitted values (null without a fitted cohort model) and the live
   * counts (null unless decided with `decideLive`). */
  cohort: {
    source: string;
    customers: number | null;
    repeat_rate: number | null;
    aov: number | null;
    clv: number | null;
    visitors: number | null;
    conversion: number | null;
  } | null;
}

/** A customer's response to a shown offer. */
export type OfferResponse = "accepted" | "dismissed" | "ignored";

/** An arm's decayed counts. */
export interface Counts { accepts: number; rejects: number }
/** What a predictor model holds under a key, on both time scales (`learner.modelCounts`). */
export interface ModelCounts { long: Counts; recent: Counts }

/** One source's live counts (`spec/scores.md`, "Live cohorts"); revenue in minor units. */
export interface SourceCounts { visitors: number; first_purchases: number; orders: number; revenue: number }

/** One arm's live KPIs; revenue in minor units, the squares as a decimal string (past 2^53). */
export interface ArmCounts { customers: number; converters: number; orders: number; revenue: number; revenue_squares: string }

/** An estimate with its 95% interval. */
export interface Interval { value: number; low: number; high: number }

/** One measure in both arms: the absolute and relative lift, null without enough data. */
export interface Comparison { treatment: number; control: number; absolute: Interval | null; relative: Interval | null }

/** `kpis.toJSON()`: both arms, the lift and its verdict in words (spec/catalog.md, "Proof that it pays"). */
export interface KpisJson {
  since: number;
  treatment: ArmCounts;
  control: ArmCounts;
  lift: {
    treatment_customers: number;
    control_customers: number;
    conversion: Comparison;
    revenue_per_customer: Comparison;
    verdict:
      | { verdict: "no_control" }
      | { verdict: "not_enough_data"; more: number | null }
      | { verdict: "significant"; better: boolean }
      | { verdict: "inconclusive"; more: number | null };
  };
  summary: string;
}

/** `cohorts.toJSON()`: the field that names cohorts and every source's counts. */
export interface CohortCountsJson {
  by: "affiliate" | "referrer" | "channel";
  /** The earliest first session the counts follow (seconds). */
  since: number;
  sources: Record<string, SourceCounts>;
}

/** What one budgeted offer spent in its latest counted period. */
export interface Spend {
  /** When the period started (seconds). */
  start: number;
  /** Its length, in seconds. */
  per: number;
  shows: number;
  accepts: number;
}

/** `budgets.toJSON()`: every budgeted offer's spend, by id. */
export interface BudgetsJson {
  offers: Record<string, Spend>;
}

/** One logged decision for off-policy evaluation. */
export interface Logged {
  /** The logging policy's probability of what it showed, in (0, 1]. */
  logging: number;
  /** The candidate policy's probability of showing the same, in [0, 1]. */
  target: number;
  /** 1 for an accept or a click, 0 otherwise. */
  reward: number;
}

/** An off-policy estimate with its `z`-standard-error interval. */
export interface Estimate {
  value: number; stdError: number; low: number; high: number; effectiveSampleSize: number; n: number;
}

/** The `code` of a diagnostic: a catalog problem, or a rule error (`spec/catalog.md`, `spec/rules.md`). */
export type ProblemCode =
  | "invalid_json" | "invalid_field" | "duplicate_id" | "never_chosen" | "too_long" | "syntax"
  | "bad_number" | "bad_escape" | "unterminated_string" | "unknown_path" | "unknown_function"
  | "wrong_arity" | "type_mismatch" | "not_a_condition" | "limit_exceeded";

/** A problem of a catalog or rule. */
export interface Diagnostic {
  severity: "error" | "warning";
  code: ProblemCode;
  /** `offers["x"].eligibility`, `catalog`, or `rule`. */
  place: string;
  message: string;
  /** The message with the source line and a caret. */
  rendered: string;
  line: number | null;
  column: number | null;
}

/** Options of `checkRule` and `compileRule`. */
export interface RuleOptions { /** The rule must be a condition (true or false). */ condition?: boolean }

/** What a rule is evaluated with. */
export interface RuleInput { context?: Record<string, ContextValue>; now?: Timestamp }

/** A rule's value; `null` when a value it needs is missing. */
export type RuleValue = boolean | number | string | string[] | null;
