//! Cohen's and Fleiss' κ against their textbook examples, and their refusals.

use backbeat_annotate::agreement::{
    cohen_kappa, cohen_kappa_labels, fleiss_kappa, fleiss_kappa_labels, AgreementError,
};

use super::round4;

#[test]
fn cohen_two_by_two() {
    assert_eq!(
        round4(cohen_kappa(&[vec![20, 5], vec![10, 15]]).unwrap()),
        0.4
    );
    // Exactly: p_o = 0.7, p_e = 0.5.
    assert!((cohen_kappa(&[vec![20, 5], vec![10, 15]]).unwrap() - 0.4).abs() < 1e-12);
}

#[test]
fn cohen_from_labels_equals_the_matrix() {
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (x, y, n) in [
        ("yes", "yes", 20),
        ("yes", "no", 5),
        ("no", "yes", 10),
        ("no", "no", 15),
    ] {
        for _ in 0..n {
            a.push(x);
            b.push(y);
        }
    }
    assert!((cohen_kappa_labels(&a, &b).unwrap() - 0.4).abs() < 1e-12);
    assert!((cohen_kappa_labels(&b, &a).unwrap() - 0.4).abs() < 1e-12);
}

#[test]
fn cohen_refusals() {
    assert_eq!(cohen_kappa(&[]), Err(AgreementError::Empty));
    assert_eq!(
        cohen_kappa(&[vec![0, 0], vec![0, 0]]),
        Err(AgreementError::Empty)
    );
    assert!(matches!(
        cohen_kappa(&[vec![1, 2], vec![3]]),
        Err(AgreementError::NotSquare { .. })
    ));
    // Both coders always say "a": chance agreement is total.
    assert_eq!(
        cohen_kappa_labels(&["a", "a"], &["a", "a"]),
        Err(AgreementError::Undefined)
    );
    assert_eq!(
        cohen_kappa_labels(&["a"], &["a", "b"]),
        Err(AgreementError::LengthMismatch(1, 2))
    );
}

/// Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa": 10 subjects, 5 categories, 14
/// raters; P̄ = 0.378, P̄_e = 0.213, κ ≈ 0.210.
#[test]
fn fleiss_classic_table() {
    let table: Vec<Vec<u64>> = vec![
        vec![0, 0, 0, 0, 14],
        vec![0, 2, 6, 4, 2],
        vec![0, 0, 3, 5, 6],
        vec![0, 3, 9, 2, 0],
        vec![2, 2, 8, 1, 1],
        vec![7, 7, 0, 0, 0],
        vec![3, 2, 6, 3, 0],
        vec![2, 5, 3, 2, 2],
        vec![6, 5, 2, 1, 0],
        vec![0, 2, 2, 3, 7],
    ];
    let k = fleiss_kappa(&table).unwrap();
    println!("Fleiss kappa = {k}");
    assert_eq!(round4(k), 0.2099);
    // The sparse form over the same ratings, written as labels, agrees.
    let labels: Vec<Vec<usize>> = table
        .iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .flat_map(|(c, &n)| std::iter::repeat_n(c, n as usize))
                .collect()
        })
        .collect();
    let sparse = fleiss_kappa_labels(&labels).unwrap();
    assert!((sparse - k).abs() < 1e-12, "{sparse} vs {k}");
    assert!(matches!(
        fleiss_kappa_labels(&[vec![1, 2], vec![1]]),
        Err(AgreementError::UnequalRaters { unit: 1, .. })
    ));
    assert_eq!(fleiss_kappa_labels::<u8>(&[]), Err(AgreementError::Empty));
    assert_eq!(
        fleiss_kappa_labels(&[vec![1, 1], vec![1, 1]]),
        Err(AgreementError::Undefined)
    );
}

#[test]
fn fleiss_refusals_and_extremes() {
    assert_eq!(fleiss_kappa(&[]), Err(AgreementError::Empty));
    assert!(matches!(
        fleiss_kappa(&[vec![2, 1], vec![1, 1]]),
        Err(AgreementError::UnequalRaters { unit: 1, .. })
    ));
    assert!(matches!(
        fleiss_kappa(&[vec![1, 0], vec![0, 1]]),
        Err(AgreementError::UnequalRaters { .. })
    ));
    assert!(matches!(
        fleiss_kappa(&[vec![2, 1], vec![3]]),
        Err(AgreementError::Ragged { row: 1, .. })
    ));
    assert_eq!(
        fleiss_kappa(&[vec![3, 0], vec![3, 0]]),
        Err(AgreementError::Undefined)
    );
    assert_eq!(fleiss_kappa(&[vec![3, 0], vec![0, 3]]), Ok(1.0));
}
