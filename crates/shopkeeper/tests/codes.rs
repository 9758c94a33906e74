//! The tables of stable codes: unique numbers and names, and `spec/errors.md` lists each code
//! with its number (so the reference a C or JS user reads cannot fall behind the core).

use std::collections::HashSet;

use shopkeeper::decide::ProblemCode;
use shopkeeper::rules::Code;
use shopkeeper::ErrorCode;

#[test]
fn numbers_and_names_are_unique_and_round_trip() {
    fn check<T: Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        number: fn(T) -> u32,
        name: fn(T) -> &'static str,
        from_number: fn(u32) -> Option<T>,
        from_name: fn(&str) -> Option<T>,
    ) {
        let numbers: HashSet<u32> = all.iter().map(|c| number(*c)).collect();
        let names: HashSet<&str> = all.iter().map(|c| name(*c)).collect();
        assert_eq!((numbers.len(), names.len()), (all.len(), all.len()));
        for code in all {
            assert_eq!(from_number(number(*code)), Some(*code));
            assert_eq!(from_name(name(*code)), Some(*code));
        }
    }
    check(
        ErrorCode::ALL,
        ErrorCode::number,
        ErrorCode::as_str,
        ErrorCode::from_number,
        ErrorCode::from_name,
    );
    check(
        Code::ALL,
        Code::number,
        Code::as_str,
        Code::from_number,
        Code::from_name,
    );
    check(
        ProblemCode::ALL,
        ProblemCode::number,
        ProblemCode::as_str,
        ProblemCode::from_number,
        ProblemCode::from_name,
    );
    assert!(!ErrorCode::ALL.iter().any(|c| c.number() == 0), "0 is OK");
    for code in ErrorCode::ALL {
        assert_eq!(code.as_c_str().to_str(), Ok(code.as_str()));
        assert!(!code.description().trim().is_empty());
    }
}

#[test]
fn every_rule_code_is_a_problem_code_of_the_same_name() {
    for code in Code::ALL {
        assert_eq!(ProblemCode::from(*code).as_str(), code.as_str());
    }
}

#[test]
fn spec_errors_md_lists_every_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/errors.md");
    let text = std::fs::read_to_string(path).unwrap();
    for code in ErrorCode::ALL {
        let row = format!("| {} | `{}` |", code.number(), code.as_str());
        assert!(text.contains(&row), "spec/errors.md lacks the row `{row}`");
    }
    for code in ProblemCode::ALL {
        let row = format!("| `{}` |", code.as_str());
        assert!(
            text.contains(&row),
            "spec/errors.md lacks the problem code `{code}`"
        );
    }
}
