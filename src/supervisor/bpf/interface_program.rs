//! `RestrictNetworkInterfaces=`: a `BPF_PROG_TYPE_CGROUP_SKB` program,
//! attached for ingress and egress alike, that lets a packet through when
//! the interface it crosses (`skb->ifindex`) is in the allow list, or not
//! in the deny list (systemd 252's restrict-ifaces.bpf.c decides the same
//! way, with a map; the few indexes here are compared inline). Pure.

use super::insn::{skip, Cond, Insn, Reg, Size};

/// `struct __sk_buff`: `ifindex`.
const SKB_IFINDEX: i16 = 40;

/// The program for the interfaces `indexes`, an allow list or a deny list.
pub fn program(indexes: &[u32], allow_list: bool) -> Vec<Insn> {
    let listed = i32::from(allow_list);
    if indexes.is_empty() {
        // Nothing listed exists: the verifier refuses code it cannot reach.
        return vec![Insn::mov64_imm(Reg::R0, 1 - listed), Insn::exit()];
    }
    let mut p = vec![Insn::load(Size::Word, Reg::R2, Reg::R1, SKB_IFINDEX)];
    let n = indexes.len();
    for (i, index) in indexes.iter().enumerate() {
        // Cast: interface indexes are positive ints in the kernel.
        let over = skip(n - i - 1 + 2);
        p.push(Insn::jump_imm(Cond::Eq, Reg::R2, *index as i32, over));
    }
    p.extend([
        Insn::mov64_imm(Reg::R0, 1 - listed),
        Insn::exit(),
        Insn::mov64_imm(Reg::R0, listed),
        Insn::exit(),
    ]);
    p
}

/// What the kernel computes with [`program`] for a packet on the
/// interface `ifindex` (1: pass), interpreting the few operations it has.
#[cfg(test)]
pub fn run(program: &[Insn], ifindex: u32) -> u64 {
    let mut reg = [0u64; 11];
    let mut pc = 0usize;
    loop {
        let i = program[pc];
        pc += 1;
        match i.code {
            0x61 => {
                assert_eq!(i.off, SKB_IFINDEX);
                reg[usize::from(i.dst)] = u64::from(ifindex);
            }
            0x15 => {
                if reg[usize::from(i.dst)] == i.imm as u64 {
                    pc = (pc as i64 + i64::from(i.off)) as usize;
                }
            }
            0xb7 => reg[usize::from(i.dst)] = i.imm as u64,
            0x95 => return reg[0],
            c => panic!("unexpected instruction {c:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allow_list_passes_only_its_interfaces() {
        let p = program(&[1, 7], true);
        assert_eq!(run(&p, 1), 1);
        assert_eq!(run(&p, 7), 1);
        assert_eq!(run(&p, 2), 0);
        // An allow list of interfaces that do not exist passes nothing.
        assert_eq!(run(&program(&[], true), 1), 0);
    }

    #[test]
    fn a_deny_list_passes_all_but_its_interfaces() {
        let p = program(&[3], false);
        assert_eq!(run(&p, 3), 0);
        assert_eq!(run(&p, 1), 1);
        assert_eq!(run(&program(&[], false), 1), 1);
    }
}
