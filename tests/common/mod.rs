//! Shared helpers for whole-system tests: copy a fixture catalog into a temporary folder and
//! run the real `kaifang` binary on it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fixture catalog copied into a temporary folder.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

/// What a run of the binary printed.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Fixture {
    /// A copy of `tests/fixtures/<name>`.
    pub fn new(name: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_tree(&source, dir.path());
        Fixture { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file under the department folder of the basic fixture.
    pub fn record(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path("content/departments/nn-transport").join(name);
        std::fs::write(&path, text).expect("write record");
        path
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path(rel)).expect("remove");
    }

    /// Runs `kaifang <args>` in the fixture folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_kaifang"))
            .args(args)
            .current_dir(self.dir.path())
            .env("SOURCE_DATE_EPOCH", "1735689600")
            .output()
            .expect("run kaifang");
        Run {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn check(&self) -> Run {
        self.run(&["check"])
    }

    pub fn build(&self) -> Run {
        self.run(&["build", "--out", "public"])
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk fixture");
        let target = to.join(entry.path().strip_prefix(from).expect("below fixture"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file under `root`, relative, sorted.
pub fn files(root: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

/// Fails when any file under `root` (or `root` itself, when a file) contains one of
/// `needles`, naming the file.
pub fn assert_nothing_mentions(root: &Path, needles: &[&str]) {
    let paths = if root.is_file() {
        vec![root.to_path_buf()]
    } else {
        files(root).iter().map(|file| root.join(file)).collect()
    };
    for file in paths {
        let bytes = std::fs::read(&file).expect("read output file");
        let file = file.display();
        let text = String::from_utf8_lossy(&bytes);
        for needle in needles {
            assert!(!text.contains(needle), "{file} mentions `{needle}`");
        }
    }
}
