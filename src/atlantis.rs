//! Atlantis integration: when plangate runs as a custom workflow step, Atlantis
//! passes the plan and the pull request through environment variables. They fill
//! in what flags did not say; flags always win.

/// The Atlantis variables plangate uses (`run` steps get them all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Atlantis {
    /// `$SHOWFILE`: the `show -json` output Atlantis wrote for this project.
    pub showfile: Option<String>,
    pub planfile: Option<String>,
    /// Absolute project directory.
    pub dir: Option<String>,
    /// Project directory relative to the repository root (`.` at the root).
    pub repo_rel_dir: Option<String>,
    pub project_name: Option<String>,
    pub workspace: Option<String>,
    pub pull_author: Option<String>,
    pub pull_num: Option<String>,
    pub user_name: Option<String>,
    pub head_commit: Option<String>,
    pub base_branch_name: Option<String>,
}

impl Atlantis {
    /// Read the variables from a lookup function (the process environment in
    /// `main`, a map in tests). None unless Atlantis is evidently driving us:
    /// `SHOWFILE` or `PLANFILE` is set.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<Atlantis> {
        let var = |k: &str| get(k).filter(|v| !v.is_empty());
        let a = Atlantis {
            showfile: var("SHOWFILE"),
            planfile: var("PLANFILE"),
            dir: var("DIR"),
            repo_rel_dir: var("REPO_REL_DIR"),
            project_name: var("PROJECT_NAME"),
            workspace: var("WORKSPACE"),
            pull_author: var("PULL_AUTHOR"),
            pull_num: var("PULL_NUM"),
            user_name: var("USER_NAME"),
            head_commit: var("HEAD_COMMIT"),
            base_branch_name: var("BASE_BRANCH_NAME"),
        };
        (a.showfile.is_some() || a.planfile.is_some()).then_some(a)
    }

    pub fn from_env() -> Option<Atlantis> {
        Atlantis::from_lookup(|k| std::env::var(k).ok())
    }

    /// Names matched against environments' `match` globs besides the plan path:
    /// the project name, and a file inside the project directory (so
    /// `envs/prod/**` matches `REPO_REL_DIR=envs/prod`).
    pub fn match_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        if let Some(p) = &self.project_name {
            names.push(p.clone());
        }
        if let Some(d) = &self.repo_rel_dir {
            let d = d.trim_end_matches('/');
            names.push(d.to_string());
            names.push(format!("{d}/main.tf"));
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn only_present_when_atlantis_passes_a_plan() {
        let none: HashMap<&str, &str> = HashMap::new();
        assert!(Atlantis::from_lookup(|k| none.get(k).map(|v| v.to_string())).is_none());
        let vars: HashMap<&str, &str> = [
            ("SHOWFILE", "/data/default.json"),
            ("REPO_REL_DIR", "envs/prod/"),
            ("PROJECT_NAME", "prod"),
        ]
        .into();
        let a = Atlantis::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("present");
        assert_eq!(a.showfile.as_deref(), Some("/data/default.json"));
        assert_eq!(
            a.match_names(),
            vec!["prod", "envs/prod", "envs/prod/main.tf"]
        );
    }
}
