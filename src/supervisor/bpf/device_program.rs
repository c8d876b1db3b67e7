//! `DevicePolicy=`/`DeviceAllow=` on cgroup v2: a `BPF_PROG_TYPE_CGROUP_DEVICE`
//! program that allows a device access when one rule matches its type,
//! numbers and access, and refuses every other (systemd 252's bpf-devices.c
//! lays its program out the same way: the context's fields loaded once into
//! r2-r5, then one block per rule that returns 1 on a match, and 0 at the
//! end). Pure: the rules come from [`crate::supervisor::cgroup_devices`].

use super::insn::{skip, Alu, Cond, Insn, Reg, Size};
use crate::supervisor::cgroup_devices::Rule;

/// `struct bpf_cgroup_dev_ctx`: `access_type` (access << 16 | type), `major`,
/// `minor`, each a u32.
const CTX_ACCESS_TYPE: i16 = 0;
const CTX_MAJOR: i16 = 4;
const CTX_MINOR: i16 = 8;

/// `BPF_DEVCG_DEV_*`.
const DEV_BLOCK: i32 = 1;
const DEV_CHAR: i32 = 2;

/// `BPF_DEVCG_ACC_*`.
const ACC_MKNOD: i32 = 1;
const ACC_READ: i32 = 2;
const ACC_WRITE: i32 = 4;

/// The access bits of an `rwm` string.
pub fn access_bits(access: &str) -> i32 {
    access.chars().fold(0, |bits, c| {
        bits | match c {
            'r' => ACC_READ,
            'w' => ACC_WRITE,
            'm' => ACC_MKNOD,
            _ => 0,
        }
    })
}

/// The program allowing exactly `rules` (none: every device refused, as
/// `DevicePolicy=strict` with no `DeviceAllow=`).
pub fn program(rules: &[Rule]) -> Vec<Insn> {
    let mut p = vec![
        // r2: the device type.
        Insn::load(Size::Word, Reg::R2, Reg::R1, CTX_ACCESS_TYPE),
        Insn::alu32_imm(Alu::And, Reg::R2, 0xffff),
        // r3: the access asked for.
        Insn::load(Size::Word, Reg::R3, Reg::R1, CTX_ACCESS_TYPE),
        Insn::alu32_imm(Alu::Rsh, Reg::R3, 16),
        Insn::load(Size::Word, Reg::R4, Reg::R1, CTX_MAJOR),
        Insn::load(Size::Word, Reg::R5, Reg::R1, CTX_MINOR),
    ];
    for rule in rules {
        p.extend(rule_block(rule));
    }
    p.push(Insn::mov64_imm(Reg::R0, 0));
    p.push(Insn::exit());
    p
}

/// One rule: falls through to the next one unless the type, the access
/// (every bit asked for is allowed), the major and the minor (unless `*`)
/// match, in which case the program returns 1.
fn rule_block(rule: &Rule) -> Vec<Insn> {
    let kind = if rule.kind == 'b' {
        DEV_BLOCK
    } else {
        DEV_CHAR
    };
    // Cast: major and minor numbers are 12 and 20 bits.
    let (major, minor) = (rule.major as i32, rule.minor.map(|m| m as i32));
    let mut tests = vec![
        Insn::mov32_reg(Reg::R1, Reg::R3),
        Insn::alu32_imm(Alu::And, Reg::R1, access_bits(&rule.access)),
    ];
    // The jumps are filled in once the block's length is known.
    let mut checks: Vec<(Cond, Reg, Option<i32>)> =
        vec![(Cond::Ne, Reg::R1, None), (Cond::Ne, Reg::R4, Some(major))];
    if let Some(minor) = minor {
        checks.push((Cond::Ne, Reg::R5, Some(minor)));
    }
    let tail = [Insn::mov64_imm(Reg::R0, 1), Insn::exit()];
    let n = checks.len();
    for (i, (cond, reg, imm)) in checks.into_iter().enumerate() {
        // Past the checks still to come and the tail.
        let over = skip(n - i - 1 + tail.len());
        tests.push(match imm {
            None => Insn::jump_reg(cond, reg, Reg::R3, over),
            Some(imm) => Insn::jump_imm(cond, reg, imm, over),
        });
    }
    tests.extend(tail);
    let mut block = vec![Insn::jump_imm(Cond::Ne, Reg::R2, kind, skip(tests.len()))];
    block.extend(tests);
    block
}

/// A model of what the kernel computes with [`program`]: whether an access
/// (`access` bits) to the device `kind`/`major`/`minor` is allowed. For
/// tests: it interprets the instructions as the verifier-checked program
/// runs them, for the handful of operations [`program`] emits.
#[cfg(test)]
pub fn run(program: &[Insn], kind: i32, access: i32, major: u32, minor: u32) -> bool {
    let mut reg = [0u64; 11];
    let ctx = [((access as u32) << 16) | kind as u32, major, minor];
    let mut pc = 0usize;
    loop {
        let i = program[pc];
        let (d, s) = (usize::from(i.dst), usize::from(i.src));
        pc += 1;
        match i.code {
            0x61 => reg[d] = u64::from(ctx[(i.off / 4) as usize]),
            0x54 => reg[d] = (reg[d] as u32 & i.imm as u32) as u64,
            0x74 => reg[d] = ((reg[d] as u32) >> i.imm) as u64,
            0xbc => reg[d] = reg[s] as u32 as u64,
            0xb7 => reg[d] = i.imm as i64 as u64,
            0x55 | 0x5d => {
                let other = if i.code == 0x55 {
                    i.imm as i64 as u64
                } else {
                    reg[s]
                };
                if reg[d] != other {
                    pc = (pc as i64 + i64::from(i.off)) as usize;
                }
            }
            0x95 => return reg[0] == 1,
            c => panic!("unexpected instruction {c:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: char, major: u32, minor: Option<u32>, access: &str) -> Rule {
        Rule {
            kind,
            major,
            minor,
            access: access.to_owned(),
        }
    }

    const R: i32 = ACC_READ;
    const W: i32 = ACC_WRITE;

    #[test]
    fn only_a_listed_device_and_access_is_allowed() {
        // /dev/null rw, char-pts (136:*) r, /dev/sda (8:0) rwm.
        let p = program(&[
            rule('c', 1, Some(3), "rw"),
            rule('c', 136, None, "r"),
            rule('b', 8, Some(0), "rwm"),
        ]);
        assert!(run(&p, DEV_CHAR, R, 1, 3));
        assert!(run(&p, DEV_CHAR, R | W, 1, 3));
        assert!(!run(&p, DEV_CHAR, ACC_MKNOD, 1, 3), "mknod not allowed");
        assert!(!run(&p, DEV_CHAR, R, 1, 5), "/dev/zero is not listed");
        assert!(
            !run(&p, DEV_BLOCK, R, 1, 3),
            "a block device 1:3 is another"
        );
        assert!(run(&p, DEV_CHAR, R, 136, 7), "every minor of the group");
        assert!(!run(&p, DEV_CHAR, W, 136, 7), "read only");
        assert!(run(&p, DEV_BLOCK, R | W | ACC_MKNOD, 8, 0));
        assert!(!run(&p, DEV_BLOCK, R, 8, 1));
        assert!(!run(&p, DEV_CHAR, R, 8, 0));
    }

    #[test]
    fn no_rules_refuse_everything() {
        let p = program(&[]);
        assert_eq!(p.len(), 8);
        assert!(!run(&p, DEV_CHAR, R, 1, 3));
    }

    #[test]
    fn access_letters_become_bits() {
        assert_eq!(access_bits("rwm"), 7);
        assert_eq!(access_bits("r"), ACC_READ);
        assert_eq!(access_bits("wm"), ACC_WRITE | ACC_MKNOD);
    }
}
