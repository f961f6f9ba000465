//! The default graph: the built-in jobs plus external jobs declared in a jobs file.

use backbeat_jobs::default_graph;
use backbeat_pipeline::GraphError;

#[test]
fn jobs_files_declare_external_jobs_and_refuse_mistakes() {
    use backbeat_pipeline::jobs_file::parse;
    use backbeat_pipeline::{JobClass, JobKind};
    let specs = parse(
        r#"
        [[job]]
        name = "tempo-research"
        version = 2
        inputs = ["downsample.audio.wav"]
        outputs = ["tempo.json"]
        command = ["python3", "t.py", "{input:downsample.audio.wav}", "{output:tempo.json}"]
        timeout_secs = 30
        class = "io"
        "#,
    )
    .unwrap();
    assert_eq!(specs.len(), 1);
    assert_eq!(specs[0].class, JobClass::Io);
    assert_eq!(specs[0].timeout.as_secs(), 30);
    assert!(matches!(&specs[0].kind, JobKind::External { command } if command.len() == 4));
    let g = default_graph(specs).unwrap();
    assert!(g.descendants("downsample").contains("tempo-research"));
    assert!(parse("").unwrap().is_empty());
    for bad in [
        "[[job]]\nname = \"x\"\nversion = 1\ninputs = [\"upload\"]\ncommand = [\"true\"]\ntypo = 1",
        "[[job]]\nname = \"x\"\nversion = 1\ninputs = [\"nope\"]\ncommand = [\"true\"]",
        "[[job]]\nname = \"x\"\nversion = -1\ninputs = [\"upload\"]\ncommand = [\"true\"]",
        "[[job]]\nname = \"x\"\ninputs = [\"upload\"]\ncommand = [\"true\"]",
        "[[job]",
        "\u{0}",
    ] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
    // Valid TOML, invalid graph: an input nobody writes, a clash with a built-in name.
    let missing = parse(
        "[[job]]\nname = \"x\"\nversion = 1\ninputs = [\"analyze.nope\"]\ncommand = [\"true\"]",
    )
    .unwrap();
    assert!(default_graph(missing).is_err());
    let clash = parse(
        "[[job]]\nname = \"probe\"\nversion = 1\ninputs = [\"upload\"]\ncommand = [\"true\"]",
    )
    .unwrap();
    assert_eq!(
        default_graph(clash).unwrap_err(),
        GraphError::DuplicateJob("probe".into())
    );
    let empty_cmd =
        parse("[[job]]\nname = \"x\"\nversion = 1\ninputs = [\"upload\"]\ncommand = []").unwrap();
    assert!(default_graph(empty_cmd).is_err());
}
