//! `logs -x`: explanations of sundial's own lines about units, shown under
//! them as journalctl shows its message catalog (`░░ Subject: ...`). The
//! lines are systemd's wordings, so the same events are explained; the text
//! is sundial's, about what sundial does.

use crate::ipc::types::LogLine;
use crate::store::Stream;

/// One explanation: a subject and a body of paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What happened, in one line.
    pub subject: String,
    /// More about it; paragraphs are separated by empty lines.
    pub body: Vec<String>,
}

impl Explanation {
    /// The lines journalctl prints under the entry, each after `░░ `.
    pub fn render(&self) -> String {
        let mut lines = vec![
            format!("Subject: {}", self.subject),
            "Defined-By: sundial".to_owned(),
            String::new(),
        ];
        for (i, paragraph) in self.body.iter().enumerate() {
            if i > 0 {
                lines.push(String::new());
            }
            lines.push(paragraph.clone());
        }
        lines.iter().map(|l| format!("░░ {l}\n")).collect()
    }
}

/// The explanation of `line`, when it is one of sundial's lines that has
/// one.
pub fn explain(line: &LogLine) -> Option<Explanation> {
    if line.stream != Stream::Manager {
        return None;
    }
    let unit = line.unit.as_str();
    let about = line
        .line
        .strip_prefix(unit)
        .and_then(|rest| rest.strip_prefix(": "));
    match about {
        Some(remark) => explain_remark(unit, remark),
        None => explain_sentence(unit, &line.line),
    }
}

fn entry(subject: String, body: &[String]) -> Option<Explanation> {
    Some(Explanation {
        subject,
        body: body.to_vec(),
    })
}

/// The job lines, which name the unit themselves (`Started x.service.`).
fn explain_sentence(unit: &str, text: &str) -> Option<Explanation> {
    let status = format!("`sundial status {unit}` shows its state and its last lines.");
    if text.starts_with("Starting ") {
        entry(
            format!("A start job for unit {unit} has begun execution"),
            &[format!(
                "sundial is starting {unit}: its conditions are checked and its \
                 ExecCondition=, ExecStartPre= and ExecStart= commands run."
            )],
        )
    } else if text.starts_with("Started ") || text.starts_with("Finished ") {
        entry(
            format!("A start job for unit {unit} has finished successfully"),
            &[
                format!("The start of {unit} is complete."),
                "A oneshot service finishes once its commands have run; other \
                 services are started once their main process runs (or, for \
                 Type=notify and Type=forking, once it said so)."
                    .to_owned(),
            ],
        )
    } else if text.starts_with("Failed to start ") {
        entry(
            format!("A start job for unit {unit} has failed"),
            &[
                format!("{unit} could not be started. The lines before this one say why."),
                status,
            ],
        )
    } else if text.starts_with("Stopping ") {
        entry(
            format!("A stop job for unit {unit} has begun execution"),
            &[format!(
                "sundial is stopping {unit}: ExecStop= runs, then its processes \
                 get KillSignal= and, after TimeoutStopSec=, SIGKILL."
            )],
        )
    } else if text.starts_with("Stopped ") {
        entry(
            format!("A stop job for unit {unit} has finished"),
            &[format!("{unit} is stopped; none of its processes is left.")],
        )
    } else {
        None
    }
}

/// The remarks about a unit (`x.service: Failed with result 'timeout'.`).
fn explain_remark(unit: &str, remark: &str) -> Option<Explanation> {
    if remark == "Deactivated successfully." {
        return entry(
            "Unit succeeded".to_owned(),
            &[format!(
                "{unit} has entered the 'dead' state: its processes have ended \
                 and it succeeded."
            )],
        );
    }
    if let Some(result) = remark
        .strip_prefix("Failed with result '")
        .and_then(|r| r.strip_suffix("'."))
    {
        return entry(
            "Unit failed".to_owned(),
            &[
                format!("{unit} has entered the 'failed' state with result '{result}'."),
                format!(
                    "Restart= and OnFailure= act on this; `sundial reset-failed {unit}` \
                     forgets it."
                ),
            ],
        );
    }
    if let Some(how) = remark.strip_prefix("Main process exited, ") {
        return entry(
            "Unit process exited".to_owned(),
            &[format!(
                "The main process of {unit} has exited ({how}), which its \
                 SuccessExitStatus= does not count as success."
            )],
        );
    }
    if let Some(n) = remark
        .strip_prefix("Scheduled restart job, restart counter is at ")
        .and_then(|r| r.strip_suffix('.'))
    {
        return entry(
            "Automatic restarting of a unit has been scheduled".to_owned(),
            &[format!(
                "Restart= of {unit} asks for it to be started again after \
                 RestartSec=; this is restart number {n}."
            )],
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(text: &str) -> LogLine {
        LogLine {
            cursor: 1,
            unit: "backup.service".into(),
            invocation: None,
            stream: Stream::Manager,
            timestamp_usec: 0,
            line: text.into(),
            priority: 6,
        }
    }

    #[test]
    fn job_lines_and_remarks_are_explained() {
        let subject = |text: &str| explain(&manager(text)).map(|e| e.subject);
        assert_eq!(
            subject("Failed to start backup.service - Backup."),
            Some("A start job for unit backup.service has failed".to_owned())
        );
        assert_eq!(
            subject("backup.service: Failed with result 'exit-code'."),
            Some("Unit failed".to_owned())
        );
        assert_eq!(
            subject("Finished backup.service."),
            Some("A start job for unit backup.service has finished successfully".to_owned())
        );
        assert_eq!(subject("backup.service: something else"), None);
        let mut output = manager("Started backup.service.");
        output.stream = Stream::Stdout;
        assert_eq!(explain(&output), None);
    }

    #[test]
    fn rendered_as_journalctl_prints_the_catalog() {
        let text = explain(&manager("backup.service: Failed with result 'timeout'."))
            .unwrap()
            .render();
        assert_eq!(
            text,
            "░░ Subject: Unit failed\n\
             ░░ Defined-By: sundial\n\
             ░░ \n\
             ░░ backup.service has entered the 'failed' state with result 'timeout'.\n\
             ░░ \n\
             ░░ Restart= and OnFailure= act on this; `sundial reset-failed backup.service` forgets it.\n"
        );
    }
}
