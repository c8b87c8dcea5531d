//! Rollout stages: how far automation may take a change (SPEC.md section 1).

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A stage, ordered: `Blocked < PlanOnly < AutoApply < AutoApplyAll < Promote`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Blocked = 0,
    PlanOnly = 1,
    AutoApply = 2,
    AutoApplyAll = 3,
    Promote = 4,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Blocked,
        Stage::PlanOnly,
        Stage::AutoApply,
        Stage::AutoApplyAll,
        Stage::Promote,
    ];

    pub fn level(self) -> u8 {
        self as u8
    }

    pub fn name(self) -> &'static str {
        match self {
            Stage::Blocked => "blocked",
            Stage::PlanOnly => "plan-only",
            Stage::AutoApply => "auto-apply",
            Stage::AutoApplyAll => "auto-apply-all",
            Stage::Promote => "promote",
        }
    }

    pub fn from_level(level: u64) -> Option<Stage> {
        Stage::ALL.get(usize::try_from(level).ok()?).copied()
    }

    /// What automation may do at this stage, for reports.
    pub fn meaning(self) -> &'static str {
        match self {
            Stage::Blocked => "must not be applied now, by anyone",
            Stage::PlanOnly => "a human reviews and applies by hand",
            Stage::AutoApply => "automation may apply non-destructive changes",
            Stage::AutoApplyAll => "automation may apply every change, then verify",
            Stage::Promote => "a verified change may be promoted to the next environment",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Accepts a name (`auto-apply`) or a number (`2`).
impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Stage, String> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        if let Ok(n) = t.parse::<u64>() {
            return Stage::from_level(n).ok_or_else(|| format!("stage {n} does not exist (0-4)"));
        }
        Stage::ALL
            .iter()
            .copied()
            .find(|st| st.name() == t)
            .ok_or_else(|| {
                format!(
                    "unknown stage `{s}`; stages are {}",
                    Stage::ALL
                        .iter()
                        .map(|st| format!("{} {}", st.level(), st.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Serialized as `{"level": 2, "name": "auto-apply"}` everywhere.
impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Stage", 2)?;
        st.serialize_field("level", &self.level())?;
        st.serialize_field("name", self.name())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse() {
        assert_eq!("auto-apply".parse::<Stage>(), Ok(Stage::AutoApply));
        assert_eq!("3".parse::<Stage>(), Ok(Stage::AutoApplyAll));
        assert_eq!("PLAN_ONLY".parse::<Stage>(), Ok(Stage::PlanOnly));
        assert!("5".parse::<Stage>().is_err());
        assert!("auto".parse::<Stage>().is_err());
    }

    #[test]
    fn stages_are_ordered() {
        assert!(Stage::Blocked < Stage::PlanOnly && Stage::AutoApplyAll < Stage::Promote);
    }
}
