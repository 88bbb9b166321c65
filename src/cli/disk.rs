//! The disk as the front end sees it: the spec file and the files beside it, size-capped.

use std::fs;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::load::{FileError, Files};

/// Files relative to the spec's directory.
pub struct DiskFiles {
    pub root: PathBuf,
}

impl Files for DiskFiles {
    fn read(&self, path: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        read_capped(&self.root.join(path), limit)
    }
}

/// Reads a regular file, refusing directories and anything over `limit` bytes without reading it.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let meta = fs::metadata(path).map_err(io_error)?;
    if meta.is_dir() {
        return Err(FileError::IsDirectory);
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge { size: meta.len(), limit });
    }
    let file = fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows while being read (or a device) is still capped.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io_error)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { size: bytes.len() as u64, limit });
    }
    Ok(bytes)
}

fn io_error(e: std::io::Error) -> FileError {
    match e.kind() {
        ErrorKind::NotFound => FileError::NotFound,
        ErrorKind::IsADirectory => FileError::IsDirectory,
        _ => FileError::Other(e.to_string()),
    }
}
