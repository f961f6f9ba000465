//! External jobs: any executable, so a researcher's script runs unchanged.
//!
//! The command line is the declared `command` with placeholders replaced:
//! `{input:upload}`, `{input:JOB.OUTPUT}`, `{output:NAME}` become local paths, `{track}` the
//! track id. The same paths are in the environment as `BACKBEAT_INPUT_UPLOAD`,
//! `BACKBEAT_INPUT_<JOB>_<OUTPUT>` and `BACKBEAT_OUTPUT_<NAME>` (upper-cased, `.`/`-` as `_`),
//! and `BACKBEAT_TRACK_ID`. The process gets no stdin; its stdout is discarded and the last
//! [`STDERR_KEEP`] bytes of stderr become the failure reason when it exits non-zero. On
//! timeout the runtime drops the future, which kills the process (`kill_on_drop`).

use std::process::Stdio;

use async_trait::async_trait;
use tokio::io::AsyncReadExt;

use crate::error::JobError;
use crate::graph::{Input, JobKind};
use crate::job::{Job, JobContext};

/// Bytes of stderr kept for the failure reason.
pub const STDERR_KEEP: usize = 4096;

/// The code behind every external job.
pub struct External;

fn env_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[async_trait]
impl Job for External {
    async fn run(&self, ctx: JobContext) -> Result<(), JobError> {
        let JobKind::External { command } = &ctx.spec.kind else {
            return Err(JobError::Permanent("not an external job".into()));
        };
        let mut vars = vec![("{track}".to_string(), ctx.track.id.to_string())];
        let mut env = vec![("BACKBEAT_TRACK_ID".to_string(), ctx.track.id.to_string())];
        for (input, path) in &ctx.inputs {
            let p = path.display().to_string();
            vars.push((format!("{{input:{input}}}"), p.clone()));
            let name = match input {
                Input::Upload => "UPLOAD".to_string(),
                Input::Output { job, output } => env_name(&format!("{job}_{output}")),
            };
            env.push((format!("BACKBEAT_INPUT_{name}"), p));
        }
        for (output, path) in &ctx.outputs {
            let p = path.display().to_string();
            vars.push((format!("{{output:{output}}}"), p.clone()));
            env.push((format!("BACKBEAT_OUTPUT_{}", env_name(output)), p));
        }
        let args: Vec<String> = command
            .iter()
            .map(|a| {
                vars.iter()
                    .fold(a.clone(), |acc, (from, to)| acc.replace(from, to))
            })
            .collect();
        let (program, rest) = args
            .split_first()
            .ok_or_else(|| JobError::Permanent("empty command".into()))?;
        let mut child = tokio::process::Command::new(program)
            .args(rest)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| JobError::Permanent(format!("starting `{program}`: {e}")))?;
        let mut stderr = child.stderr.take();
        let read_err = async {
            let mut kept: Vec<u8> = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let mut buf = [0u8; 8192];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > STDERR_KEEP {
                        kept.drain(..kept.len() - STDERR_KEEP);
                    }
                }
            }
            kept
        };
        let (status, kept) = tokio::join!(child.wait(), read_err);
        let status =
            status.map_err(|e| JobError::Transient(format!("waiting for `{program}`: {e}")))?;
        if status.success() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&kept).trim().to_string();
        let code = status
            .code()
            .map_or_else(|| "a signal".to_string(), |c| format!("exit code {c}"));
        Err(JobError::Permanent(if text.is_empty() {
            format!("`{program}` failed with {code}")
        } else {
            format!("`{program}` failed with {code}: {text}")
        }))
    }
}
