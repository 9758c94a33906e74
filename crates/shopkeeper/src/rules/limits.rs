//! Bounds of the rule language, enforced by the parser.

/// Longest rule, in bytes.
pub const MAX_SOURCE_LEN: usize = 16 * 1024;
/// Greatest height of a rule's tree (operators, calls and `if` inside one another), so that
/// compiling, printing and evaluating never recurse deeper than this.
pub const MAX_DEPTH: usize = 64;
/// Deepest nesting of the text (parentheses, operands, arguments) the parser follows. Twice
/// [`MAX_DEPTH`] and a little: every tree within the height limit prints in a canonical form that
/// nests at most this deep.
pub const MAX_NESTING: usize = 2 * MAX_DEPTH + 2;
/// Most nodes in one rule: evaluation time is linear in it.
pub const MAX_NODES: usize = 1_024;
/// Most items in a list literal.
pub const MAX_LIST_ITEMS: usize = 256;
