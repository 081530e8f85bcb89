//! The `containerData` mount syntax (apps.md §5.4, `S/utils/mountParser.js`).
//!
//! FluxOS does not check this syntax when an app is registered, only when a node installs it, so
//! a bad value is paid for and then fails everywhere. Strict validation parses it up front.

/// How the primary mount is kept in sync between instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncMode {
    /// `s:`: sendreceive across all instances.
    Sync,
    /// `r:`: receive until synced, then sendreceive and start.
    ReceiveFirst,
    /// `g:`: one running primary, the others stand by.
    Primary,
}

/// One mount after the primary one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtraMount {
    /// `m:<sub>:/path`: a directory of this component.
    Dir {
        /// Sub-directory name.
        name: String,
        /// Target path in the container.
        target: String,
    },
    /// `f:<file>:/path`: a file of this component.
    File {
        /// File name.
        name: String,
        /// Target path.
        target: String,
    },
    /// `<N>:/path`: component N's appdata.
    Component {
        /// Component index (lower than this one's).
        index: usize,
        /// Target path.
        target: String,
    },
    /// `c:<N>:<sub>:/path`: a directory of component N.
    ComponentDir {
        /// Component index.
        index: usize,
        /// Sub-directory name.
        name: String,
        /// Target path.
        target: String,
    },
    /// `cf:<N>:<file>:/path`: a file of component N.
    ComponentFile {
        /// Component index.
        index: usize,
        /// File name.
        name: String,
        /// Target path.
        target: String,
    },
}

/// A parsed `containerData` value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerData {
    /// Sync mode of the primary mount, if any.
    pub sync: Option<SyncMode>,
    /// Target path of the primary mount (the component's appdata).
    pub target: String,
    /// The further mounts.
    pub extra: Vec<ExtraMount>,
}

fn check_target(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("mount target `{path}` is not an absolute path"));
    }
    if path.split('/').any(|segment| segment == "..") {
        return Err(format!("mount target `{path}` contains `..`"));
    }
    Ok(path.to_owned())
}

fn check_name(name: &str) -> Result<String, String> {
    if name.is_empty()
        || matches!(name, "appdata" | "backup" | "." | "..")
        || name.contains('/')
        || name.contains('\0')
    {
        return Err(format!("`{name}` is not a usable mount name"));
    }
    Ok(name.to_owned())
}

fn check_index(text: &str, component_index: usize) -> Result<usize, String> {
    let index: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a component index"))?;
    if index >= component_index {
        return Err(format!(
            "component {component_index} may only mount components below it, not {index}"
        ));
    }
    Ok(index)
}

impl ContainerData {
    /// Parses the `containerData` of the component at `component_index` (0 for v1–3 apps).
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn parse(text: &str, component_index: usize) -> Result<ContainerData, String> {
        let mut parts = text.split('|');
        let primary = parts.next().unwrap_or_default();
        let (sync, target) = match primary.split_once(':') {
            Some(("s", path)) => (Some(SyncMode::Sync), path),
            Some(("r", path)) => (Some(SyncMode::ReceiveFirst), path),
            Some(("g", path)) => (Some(SyncMode::Primary), path),
            Some((flag, _)) => return Err(format!("unknown primary mount flag `{flag}:`")),
            None => (None, primary),
        };
        let target = check_target(target)?;
        let mut targets = vec![target.clone()];
        let mut names: Vec<(bool, Option<usize>, String)> = Vec::new();
        let mut extra = Vec::new();
        for part in parts {
            let mount = if let Some(rest) = part.strip_prefix("m:") {
                let (name, path) = rest
                    .split_once(':')
                    .ok_or_else(|| format!("`{part}` is not m:<name>:/path"))?;
                ExtraMount::Dir {
                    name: check_name(name)?,
                    target: check_target(path)?,
                }
            } else if let Some(rest) = part.strip_prefix("f:") {
                let (name, path) = rest
                    .split_once(':')
                    .ok_or_else(|| format!("`{part}` is not f:<file>:/path"))?;
                ExtraMount::File {
                    name: check_name(name)?,
                    target: check_target(path)?,
                }
            } else if let Some(rest) = part.strip_prefix("cf:") {
                let mut it = rest.splitn(3, ':');
                let (Some(index), Some(name), Some(path)) = (it.next(), it.next(), it.next())
                else {
                    return Err(format!("`{part}` is not cf:<N>:<file>:/path"));
                };
                ExtraMount::ComponentFile {
                    index: check_index(index, component_index)?,
                    name: check_name(name)?,
                    target: check_target(path)?,
                }
            } else if let Some(rest) = part.strip_prefix("c:") {
                let mut it = rest.splitn(3, ':');
                let (Some(index), Some(name), Some(path)) = (it.next(), it.next(), it.next())
                else {
                    return Err(format!("`{part}` is not c:<N>:<name>:/path"));
                };
                ExtraMount::ComponentDir {
                    index: check_index(index, component_index)?,
                    name: check_name(name)?,
                    target: check_target(path)?,
                }
            } else {
                let (index, path) = part
                    .split_once(':')
                    .ok_or_else(|| format!("`{part}` is not a mount"))?;
                ExtraMount::Component {
                    index: check_index(index, component_index)?,
                    target: check_target(path)?,
                }
            };
            let (target, name_key) = match &mount {
                ExtraMount::Dir { name, target } => (target, Some((false, None, name))),
                ExtraMount::File { name, target } => (target, Some((true, None, name))),
                ExtraMount::Component { target, .. } => (target, None),
                ExtraMount::ComponentDir {
                    index,
                    name,
                    target,
                } => (target, Some((false, Some(*index), name))),
                ExtraMount::ComponentFile {
                    index,
                    name,
                    target,
                } => (target, Some((true, Some(*index), name))),
            };
            if targets.contains(target) {
                return Err(format!("mount target `{target}` is used twice"));
            }
            targets.push(target.clone());
            if let Some((is_file, index, name)) = name_key {
                let key = (is_file, index, name.clone());
                if names.contains(&key) {
                    return Err(format!("mount name `{name}` is used twice"));
                }
                names.push(key);
            }
            extra.push(mount);
        }
        Ok(ContainerData {
            sync,
            target,
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let d = ContainerData::parse("g:/config|0:/data", 1).unwrap();
        assert_eq!(d.sync, Some(SyncMode::Primary));
        assert_eq!(
            d.extra,
            vec![ExtraMount::Component {
                index: 0,
                target: "/data".into()
            }]
        );
        assert!(ContainerData::parse("/tmp|m:logs:/var/log|f:cfg.json:/etc/app.json", 0).is_ok());
        assert!(ContainerData::parse("/a|c:0:sub:/b|cf:0:f:/c", 2).is_ok());
    }

    #[test]
    fn rejects_bad_mounts() {
        for (text, index) in [
            ("tmp", 0),
            ("x:/tmp", 0),
            ("/tmp|0:/data", 0),
            ("/tmp|m:appdata:/x", 0),
            ("/tmp|m:a:/x|m:a:/y", 0),
            ("/tmp|m:a:/tmp", 0),
            ("/a/../b", 0),
        ] {
            assert!(ContainerData::parse(text, index).is_err(), "{text}");
        }
    }
}
