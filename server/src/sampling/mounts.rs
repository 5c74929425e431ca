//! Which of the mounts sysinfo lists are file systems of their own.
//!
//! One file system is often mounted at several places: systemd's sandbox binds
//! parts of the root file system over `/tmp` and `/var/tmp` (`PrivateTmp=`),
//! the state directory (`StateDirectory=`) and `/home` (`ProtectHome=`), and a
//! container's root is itself a folder of the host's disk. Listed as they come,
//! one disk would show as five, each with the root's size. `/proc/self/mountinfo`
//! names each mount's device and the folder of the device it shows (its root),
//! so each device is listed once, at the mount that best shows the whole of it.

use std::collections::{HashMap, HashSet};

/// Where `/proc` describes this process's mounts.
const MOUNTINFO: &str = "/proc/self/mountinfo";

/// One line of `mountinfo`: what is mounted where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    /// The device's `major:minor`, the same for every mount of one file system.
    device: String,
    /// The folder of the file system shown at the mount point; `/` for all of it.
    root: String,
    /// Where it is mounted (the mount point).
    target: String,
}

/// This process's mounts, as the kernel lists them.
#[derive(Debug, Clone, Default)]
pub(crate) struct MountTable(Vec<Mount>);

impl MountTable {
    /// Reads `/proc/self/mountinfo`. Where it cannot be read (not Linux), the
    /// table is empty and every mount counts as a file system of its own.
    pub(crate) fn read() -> Self {
        std::fs::read_to_string(MOUNTINFO)
            .map(|text| Self::parse(&text))
            .unwrap_or_default()
    }

    /// Parses mountinfo text (proc(5)): `ID PARENT MAJOR:MINOR ROOT MOUNT_POINT …`.
    /// Lines too short to carry those fields are skipped.
    pub(crate) fn parse(text: &str) -> Self {
        let mounts = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_ascii_whitespace().skip(2);
                let (device, root, mount_point) = (fields.next()?, fields.next()?, fields.next()?);
                Some(Mount {
                    device: device.to_owned(),
                    root: unescape(root),
                    target: unescape(mount_point),
                })
            })
            .collect();
        Self(mounts)
    }

    /// Of `mount_points`, the ones to list: each device once, at the mount
    /// that shows the whole file system (root `/`), else at the shortest
    /// path. A mount point the table does not know is kept.
    pub(crate) fn distinct<'a>(
        &self,
        mount_points: impl IntoIterator<Item = &'a str>,
    ) -> HashSet<&'a str> {
        let mut best: HashMap<&str, (&'a str, &Mount)> = HashMap::new();
        let mut kept = HashSet::new();
        for mount_point in mount_points {
            // A later mount at the same point hides the earlier ones.
            let Some(mount) = self.0.iter().rev().find(|m| m.target == mount_point) else {
                kept.insert(mount_point);
                continue;
            };
            let chosen = best.entry(&mount.device).or_insert((mount_point, mount));
            if rank(mount) < rank(chosen.1) {
                *chosen = (mount_point, mount);
            }
        }
        kept.extend(best.into_values().map(|(mount_point, _)| mount_point));
        kept
    }
}

/// Lower is a better mount to show a device at: the whole file system first,
/// then the fewest path components, then the shortest, then by name so the
/// choice never depends on the order of the list.
fn rank(mount: &Mount) -> (bool, usize, usize, &str) {
    let depth = mount.target.split('/').filter(|c| !c.is_empty()).count();
    (mount.root != "/", depth, mount.target.len(), &mount.target)
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011` a tab,
/// `\012` a newline, `\134` a backslash).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|digits| bytes[i] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d)))
            .and_then(|digits| u8::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok());
        if let Some(byte) = octal {
            out.push(byte);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc/PID/mountinfo` of hostpulse-server run by the shipped unit under
    /// systemd 252, in a Debian 12 container booted by scripts/systemd-test.sh
    /// (its root an overlay, device `0:41`). The sandbox binds parts of that
    /// root at `/var/tmp` (`PrivateTmp=`) and `/var/lib/private/hostpulse`
    /// (`StateDirectory=`); `/mnt/hostpulse` is a folder of the host's disk
    /// (`254:0`) that the test shares with the container.
    const SANDBOXED: &str = include_str!("../../tests/data/mountinfo-sandboxed.txt");

    fn mount_points(table: &MountTable) -> Vec<&str> {
        table.0.iter().map(|m| m.target.as_str()).collect()
    }

    #[test]
    fn the_sandboxs_bind_mounts_are_one_disk_with_the_root() {
        let table = MountTable::parse(SANDBOXED);
        // What sysinfo lists there (it leaves out tmpfs, proc, sysfs, /run…).
        let listed = [
            "/",
            "/var/tmp",
            "/var/lib/private/hostpulse",
            "/mnt/hostpulse",
        ];
        for mount_point in listed {
            assert!(
                mount_points(&table).contains(&mount_point),
                "the recording lacks {mount_point}"
            );
        }
        let mut kept: Vec<&str> = table.distinct(listed).into_iter().collect();
        kept.sort_unstable();
        // The root once, and the other device once, though only a folder of
        // it is mounted.
        assert_eq!(kept, ["/", "/mnt/hostpulse"]);
    }

    #[test]
    fn a_container_root_that_is_a_folder_still_wins_over_its_binds() {
        // systemd-nspawn on a plain folder: the root's own root field is
        // that folder, and the sandbox binds sub-folders of it.
        let table = MountTable::parse(
            "99 79 254:0 /srv/ct / rw - ext4 /dev/vda rw\n\
             474 99 254:0 /srv/ct/var/tmp/systemd-private-1/tmp /var/tmp rw - ext4 /dev/vda rw\n\
             475 99 254:0 /srv/ct/home /home ro - ext4 /dev/vda rw\n",
        );
        let kept = table.distinct(["/home", "/var/tmp", "/"]);
        assert_eq!(kept, HashSet::from(["/"]));
    }

    #[test]
    fn the_whole_file_system_wins_over_a_shorter_bind() {
        let table = MountTable::parse(
            "30 1 8:1 /srv/www /www rw - ext4 /dev/sda1 rw\n\
             31 1 8:1 / /mnt/disk rw - ext4 /dev/sda1 rw\n",
        );
        let kept = table.distinct(["/www", "/mnt/disk"]);
        assert_eq!(kept, HashSet::from(["/mnt/disk"]));
    }

    #[test]
    fn unknown_mount_points_are_kept_and_escapes_are_undone() {
        let table =
            MountTable::parse("30 1 8:1 / /media/my\\040disk rw - ext4 /dev/sda1 rw\nshort\n");
        assert_eq!(mount_points(&table), ["/media/my disk"]);
        let kept = table.distinct(["/media/my disk", "/elsewhere"]);
        assert_eq!(kept, HashSet::from(["/media/my disk", "/elsewhere"]));
        assert_eq!(unescape(r"a\134b\011c\0"), "a\\b\tc\\0");
        assert!(MountTable::default().distinct(["/"]).contains("/"));
    }

    #[test]
    fn this_machines_mounts_parse() {
        // Linux only: elsewhere there is no mountinfo and the table is empty.
        if cfg!(target_os = "linux") {
            let table = MountTable::read();
            assert!(mount_points(&table).contains(&"/"), "{table:?}");
        }
    }
}
