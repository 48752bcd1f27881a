//! Law discovery: bad `discover` blocks are one line naming the field; on a mildly noisy
//! oscillator the true law ranks first and a law missing a term scores worse by a margin.

use noether::demos::discover::{found, oscillator_data, oscillator_problem};
use noether::infer::{Discover, Search};

fn error_of(d: Discover) -> String {
    let (t, y) = oscillator_data(20, 0.05, 0);
    let mut p = oscillator_problem(&t, &y, 20, 0);
    p.discover = Some(d);
    p.discover().unwrap_err().to_string()
}

#[test]
fn bad_blocks_name_the_field() {
    let cases: Vec<(Discover, &str)> = vec![
        (
            Discover::new("nope", &["u"], &["u_tt"]),
            "discover.channel: no channel `nope`",
        ),
        (
            Discover::new("law", &["u", "u"], &["u_tt"]),
            "discover.terms[1]: the term `u` is already terms[0]",
        ),
        (
            Discover::new("law", &["u", "u_tt"], &["u_tt"]),
            "discover.required[0]",
        ),
        (
            Discover::new("law", &["u*u_t"], &["u_tt"]),
            "discover.terms[0]",
        ),
        (Discover::new("law", &["v"], &["u_tt"]), "discover.terms[0]"),
        (
            Discover::new("law", &["u", "1 + u"], &["u_tt"]),
            "discover.terms[1]",
        ),
        (
            Discover::new("law", &["u"], &["u_tt"]).max_terms(0),
            "discover.max_terms: must be at least 1",
        ),
        (
            Discover::new("law", &["u"], &["u_tt"]).max_terms(2),
            "discover.max_terms: 2 is more than",
        ),
        (
            Discover::new("law", &["u"], &[]),
            "discover.required: channel `law` observes zeros only",
        ),
        (
            Discover::new("law", &[], &["u_tt"]),
            "discover.terms: the library needs",
        ),
    ];
    for (d, want) in cases {
        let e = error_of(d);
        assert!(e.contains(want), "{e:?} lacks {want:?}");
        assert!(!e.contains('\n'), "{e:?} is one line");
    }
    let many: Vec<String> = (0..9).map(|k| format!("t^{k}*u")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let e = error_of(Discover::new("law", &many, &["u_tt"]).search(Search::Auto));
    assert!(e.contains("too many for the exhaustive search"), "{e}");
}

#[test]
fn the_true_oscillator_law_ranks_first() {
    let (t, y) = oscillator_data(40, 0.02, 1);
    let mut p = oscillator_problem(&t, &y, 40, 1);
    p.discover = Some(Discover::new("law", &["u", "u_t", "t*u"], &["u_tt"]).max_terms(2));
    let d = p.discover().unwrap();
    assert!(found(&d, &["u", "u_t"]), "{}", d.table());
    let b = d.best();
    assert!((b.parameters["u"].value - 9.0).abs() < 0.5, "{}", b.law);
    assert!((b.parameters["u_t"].value - 0.5).abs() < 0.2, "{}", b.law);
    // The law without the damping term is worse by more than the margin.
    let undamped = d
        .candidates
        .iter()
        .find(|c| c.terms == ["u_tt", "u"])
        .unwrap();
    assert!(undamped.difference.unwrap() < -2.0, "{}", d.table());
    assert_eq!(d.candidates.len(), 7);
}
