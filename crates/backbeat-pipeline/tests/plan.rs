//! Graph validation and run planning on a graph of three levels with siblings.

use std::collections::BTreeSet;

use backbeat_pipeline::{Graph, GraphError, JobSpec, Plan};

/// ```text
/// upload ─► a ─► b ─► d
///   │       │    └──┐
///   │       └─► c ──┴► e      (e reads b and c)
///   └─► s                      (a root sibling of a)
/// ```
pub fn test_specs() -> Vec<JobSpec> {
    vec![
        JobSpec::builtin("a", 1, &["upload"], &["out"]),
        JobSpec::builtin("s", 1, &["upload"], &["out"]),
        JobSpec::builtin("b", 1, &["a.out"], &["out"]),
        JobSpec::builtin("c", 1, &["a.out"], &["out"]),
        JobSpec::builtin("d", 1, &["b.out"], &["out"]),
        JobSpec::builtin("e", 1, &["b.out", "c.out"], &["out"]),
    ]
}

pub fn test_graph() -> Graph {
    Graph::new(test_specs()).unwrap()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn validation_refuses_bad_graphs() {
    let mut dup = test_specs();
    dup.push(JobSpec::builtin("a", 2, &["upload"], &["x"]));
    assert_eq!(
        Graph::new(dup).unwrap_err(),
        GraphError::DuplicateJob("a".into())
    );
    let missing = vec![JobSpec::builtin("x", 1, &["nope.out"], &["o"])];
    assert!(matches!(
        Graph::new(missing).unwrap_err(),
        GraphError::MissingInput { .. }
    ));
    let wrong_output = vec![
        JobSpec::builtin("a", 1, &["upload"], &["out"]),
        JobSpec::builtin("b", 1, &["a.other"], &["out"]),
    ];
    assert!(matches!(
        Graph::new(wrong_output).unwrap_err(),
        GraphError::MissingInput { .. }
    ));
    let cycle = vec![
        JobSpec::builtin("a", 1, &["upload", "c.out"], &["out"]),
        JobSpec::builtin("b", 1, &["a.out"], &["out"]),
        JobSpec::builtin("c", 1, &["b.out"], &["out"]),
    ];
    assert!(matches!(
        Graph::new(cycle).unwrap_err(),
        GraphError::Cycle(_)
    ));
    let self_loop = vec![JobSpec::builtin("a", 1, &["a.out"], &["out"])];
    assert!(matches!(
        Graph::new(self_loop).unwrap_err(),
        GraphError::Cycle(_)
    ));
    let dup_out = vec![JobSpec::builtin("a", 1, &["upload"], &["out", "out"])];
    assert!(matches!(
        Graph::new(dup_out).unwrap_err(),
        GraphError::DuplicateOutput(_)
    ));
    let mut no_inputs = JobSpec::builtin("a", 1, &["upload"], &["out"]);
    no_inputs.inputs.clear();
    assert!(matches!(
        Graph::new(vec![no_inputs]).unwrap_err(),
        GraphError::NoInputs(_)
    ));
    for bad in ["", "A", "1a", "a b", "a/b", "../x", &"x".repeat(41)] {
        let spec = JobSpec::builtin(bad, 1, &["upload"], &["out"]);
        assert!(
            matches!(Graph::new(vec![spec]).unwrap_err(), GraphError::BadName(_)),
            "{bad:?}"
        );
    }
    for bad_out in ["", "_done.json", ".hidden", "a/b", "x..y", "UP"] {
        let spec = JobSpec::builtin("a", 1, &["upload"], &[bad_out]);
        assert!(
            matches!(Graph::new(vec![spec]).unwrap_err(), GraphError::BadName(_)),
            "{bad_out:?}"
        );
    }
}

#[test]
fn order_children_ancestors_and_renderings() {
    let g = test_graph();
    let order: Vec<&str> = g.jobs().map(|j| j.name.as_str()).collect();
    let pos = |n: &str| order.iter().position(|x| *x == n).unwrap();
    for (p, c) in [("a", "b"), ("a", "c"), ("b", "d"), ("b", "e"), ("c", "e")] {
        assert!(pos(p) < pos(c), "{p} before {c} in {order:?}");
    }
    assert_eq!(g.roots(), set(&["a", "s"]));
    assert_eq!(g.descendants("a"), set(&["b", "c", "d", "e"]));
    assert_eq!(g.ancestors("e"), set(&["a", "b", "c"]));
    assert_eq!(g.ancestors("s"), set(&[]));
    let text = g.to_text();
    assert!(
        text.contains("e v1") && text.contains("reads:  b.out, c.out"),
        "{text}"
    );
    let dot = g.to_dot();
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("\"c\" -> \"e\" [label=\"out\"]"), "{dot}");
    assert!(dot.contains("upload -> \"s\""), "{dot}");
}

#[test]
fn top_down_starts_at_the_roots_with_everything_in_scope() {
    let g = test_graph();
    let p = Plan::top_down(&g);
    assert_eq!(p.start, set(&["a", "s"]));
    assert_eq!(p.run.scope, g.names());
    assert!(p.run.force.is_empty());
}

#[test]
fn bottom_up_runs_exactly_the_missing_line() {
    let g = test_graph();
    // Nothing done: two levels missing above d. Klio would also trigger c (a's other child).
    let p = Plan::bottom_up(&g, "d", |_| false).unwrap();
    assert_eq!(p.run.scope, set(&["a", "b", "d"]));
    assert_eq!(p.start, set(&["a"]));
    // After a finishes, only b is ready in this run — never its sibling c.
    assert_eq!(p.run.ready_children(&g, "a", |_| false), vec!["b"]);
    assert_eq!(p.run.ready_children(&g, "b", |n| n == "a"), vec!["d"]);
    assert!(p.run.ready_children(&g, "d", |_| true).is_empty());
    // a done: b and d only.
    let p = Plan::bottom_up(&g, "d", |n| n == "a").unwrap();
    assert_eq!(p.run.scope, set(&["b", "d"]));
    assert_eq!(p.start, set(&["b"]));
    // A diamond: e needs b and c; with a done, both run, e waits for the second.
    let p = Plan::bottom_up(&g, "e", |n| n == "a").unwrap();
    assert_eq!(p.run.scope, set(&["b", "c", "e"]));
    assert_eq!(p.start, set(&["b", "c"]));
    assert!(p.run.ready_children(&g, "b", |n| n == "a").is_empty());
    assert_eq!(p.run.ready_children(&g, "c", |n| n != "e"), vec!["e"]);
    // Everything done: just the target (which then skips unless forced).
    let p = Plan::bottom_up(&g, "e", |_| true).unwrap();
    assert_eq!(p.run.scope, set(&["e"]));
    assert!(Plan::bottom_up(&g, "nope", |_| true).is_err());
}

#[test]
fn force_with_and_without_descendants() {
    let g = test_graph();
    let p = Plan::force(&g, "b", false, |_| true).unwrap();
    assert_eq!(p.run.scope, set(&["b"]));
    assert_eq!(p.run.force, set(&["b"]));
    assert!(p.run.ready_children(&g, "b", |_| true).is_empty());
    let p = Plan::force(&g, "b", true, |_| true).unwrap();
    assert_eq!(p.run.scope, set(&["b", "d", "e"]));
    assert_eq!(p.run.force, set(&["b", "d", "e"]));
    assert_eq!(p.start, set(&["b"]));
    // e also reads c: when c is missing, the forced chain fetches it (not forced).
    let p = Plan::force(&g, "b", true, |n| n != "c").unwrap();
    assert_eq!(p.run.scope, set(&["b", "c", "d", "e"]));
    assert_eq!(p.run.force, set(&["b", "d", "e"]));
    // Forcing a job whose inputs are missing runs its missing ancestors first.
    let p = Plan::force(&g, "d", false, |_| false).unwrap();
    assert_eq!(p.run.scope, set(&["a", "b", "d"]));
    assert_eq!(p.run.force, set(&["d"]));
}
