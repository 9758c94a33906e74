//! Bounds of the rule language, enforced by the parser.

/// Longest rule, in bytes.
pub const MAX_SOURCE_LEN: usize = 16 * 1024;
/// Deepest nesting (parentheses, operators, calls): also bounds the tree's height, so compiling
/// and evaluating never recurse deeper than this.
pub const MAX_DEPTH: usize = 128;
/// Most nodes in one rule: evaluation time is linear in it.
pub const MAX_NODES: usize = 1_024;
/// Most items in a list literal.
pub const MAX_LIST_ITEMS: usize = 256;
