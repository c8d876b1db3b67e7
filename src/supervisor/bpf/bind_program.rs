//! `SocketBindAllow=`/`SocketBindDeny=`: a `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`
//! program per address family, attached at `BPF_CGROUP_INET4_BIND` and
//! `BPF_CGROUP_INET6_BIND`. As systemd 252's socket-bind.bpf.c decides: the
//! rules in order, the allow ones first, the first that matches the
//! socket's family, protocol and port decides (0 refuses the bind with
//! EPERM), and a bind no rule matches is allowed. A socket of another
//! family than the hook's (an IPv4-mapped bind on an IPv6 socket) is
//! allowed, as there. The rules are compared inline. Pure.

use super::insn::{skip, Cond, Insn, Reg, Size};
use crate::unit::socket_bind::{BindFamily, SocketBindRule};

/// `struct bpf_sock_addr`: `user_family`, `user_port`, `family`, `protocol`.
const CTX_USER_FAMILY: i16 = 0;
const CTX_USER_PORT: i16 = 24;
const CTX_FAMILY: i16 = 28;
const CTX_PROTOCOL: i16 = 36;

/// The program of `family`'s hook for `allow` then `deny`.
pub fn program(family: BindFamily, allow: &[SocketBindRule], deny: &[SocketBindRule]) -> Vec<Insn> {
    let af = match family {
        BindFamily::Ipv4 => libc::AF_INET,
        BindFamily::Ipv6 => libc::AF_INET6,
    };
    let rules: Vec<(&SocketBindRule, i32)> = allow
        .iter()
        .map(|r| (r, 1))
        .chain(deny.iter().map(|r| (r, 0)))
        .filter(|(r, _)| r.family.is_none_or(|f| f == family))
        .collect();
    let mut body = vec![
        Insn::load(Size::Word, Reg::R4, Reg::R1, CTX_USER_PORT),
        Insn::to_be16(Reg::R4),
        Insn::load(Size::Word, Reg::R5, Reg::R1, CTX_PROTOCOL),
    ];
    for (rule, action) in rules {
        body.extend(rule_block(rule, action));
    }
    // Not this hook's family: allowed, past the rules.
    let mut p = vec![
        Insn::load(Size::Word, Reg::R2, Reg::R1, CTX_USER_FAMILY),
        Insn::jump_imm(Cond::Ne, Reg::R2, af, skip(body.len() + 2)),
        Insn::load(Size::Word, Reg::R2, Reg::R1, CTX_FAMILY),
        Insn::jump_imm(Cond::Ne, Reg::R2, af, skip(body.len())),
    ];
    p.extend(body);
    p.push(Insn::mov64_imm(Reg::R0, 1));
    p.push(Insn::exit());
    p
}

/// One rule: returns `action` when it matches, else falls through.
fn rule_block(rule: &SocketBindRule, action: i32) -> Vec<Insn> {
    let mut checks: Vec<(Cond, Reg, i32)> = Vec::new();
    if let Some(proto) = rule.protocol {
        checks.push((Cond::Ne, Reg::R5, proto.number() as i32));
    }
    if let Some((first, last)) = rule.ports {
        checks.push((Cond::Lt, Reg::R4, i32::from(first)));
        checks.push((Cond::Gt, Reg::R4, i32::from(last)));
    }
    let n = checks.len();
    let mut block: Vec<Insn> = checks
        .into_iter()
        .enumerate()
        .map(|(i, (cond, reg, imm))| Insn::jump_imm(cond, reg, imm, skip(n - i - 1 + 2)))
        .collect();
    block.push(Insn::mov64_imm(Reg::R0, action));
    block.push(Insn::exit());
    block
}

/// What the kernel computes with [`program`] for a bind of a socket of
/// `family` (AF_*) and `protocol` to `port` (1: allowed), interpreting the
/// operations it has.
#[cfg(test)]
pub fn run(program: &[Insn], family: i32, protocol: u32, port: u16) -> u64 {
    let mut reg = [0u64; 11];
    let mut pc = 0usize;
    loop {
        let i = program[pc];
        let d = usize::from(i.dst);
        pc += 1;
        let imm = i.imm as i64 as u64;
        let mut jump = |take: bool| {
            if take {
                pc = (pc as i64 + i64::from(i.off)) as usize;
            }
        };
        match i.code {
            0x61 => {
                reg[d] = match i.off {
                    CTX_USER_FAMILY | CTX_FAMILY => family as u64,
                    // The port in network order in the field's low bytes.
                    CTX_USER_PORT => u64::from(u16::from_ne_bytes(port.to_be_bytes())),
                    CTX_PROTOCOL => u64::from(protocol),
                    off => panic!("field {off}"),
                }
            }
            0xdc => reg[d] = u64::from((reg[d] as u16).swap_bytes()),
            0x55 => jump(reg[d] != imm),
            0xa5 => jump(reg[d] < imm),
            0x25 => jump(reg[d] > imm),
            0xb7 => reg[d] = imm,
            0x95 => return reg[0],
            c => panic!("unexpected instruction {c:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::socket_bind::parse_socket_bind;

    fn rules(values: &[&str]) -> Vec<SocketBindRule> {
        values
            .iter()
            .map(|v| parse_socket_bind(v).unwrap().unwrap())
            .collect()
    }

    const TCP: u32 = 6;
    const UDP: u32 = 17;

    #[test]
    fn the_allow_rules_come_first_then_the_deny_rules() {
        // SocketBindAllow=tcp:8000-8080 SocketBindDeny=any
        let allow = rules(&["tcp:8000-8080"]);
        let deny = rules(&["any"]);
        let v4 = program(BindFamily::Ipv4, &allow, &deny);
        assert_eq!(run(&v4, libc::AF_INET, TCP, 8000), 1);
        assert_eq!(run(&v4, libc::AF_INET, TCP, 8080), 1);
        assert_eq!(run(&v4, libc::AF_INET, TCP, 8081), 0);
        assert_eq!(run(&v4, libc::AF_INET, TCP, 7999), 0);
        assert_eq!(run(&v4, libc::AF_INET, UDP, 8000), 0, "udp is not allowed");
        let v6 = program(BindFamily::Ipv6, &allow, &deny);
        assert_eq!(run(&v6, libc::AF_INET6, TCP, 8001), 1);
        assert_eq!(run(&v6, libc::AF_INET6, TCP, 22), 0);
    }

    #[test]
    fn a_rule_of_the_other_family_does_not_apply() {
        let deny = rules(&["ipv6:any", "ipv4:udp:53"]);
        let v4 = program(BindFamily::Ipv4, &[], &deny);
        assert_eq!(run(&v4, libc::AF_INET, TCP, 80), 1);
        assert_eq!(run(&v4, libc::AF_INET, UDP, 53), 0);
        assert_eq!(run(&v4, libc::AF_INET, TCP, 53), 1);
        let v6 = program(BindFamily::Ipv6, &[], &deny);
        assert_eq!(run(&v6, libc::AF_INET6, TCP, 80), 0);
        // A socket of another family than the hook's is let through.
        assert_eq!(run(&v6, libc::AF_INET, TCP, 80), 1);
    }

    #[test]
    fn without_a_matching_rule_a_bind_is_allowed() {
        let p = program(BindFamily::Ipv4, &[], &rules(&["1-1023"]));
        assert_eq!(run(&p, libc::AF_INET, TCP, 1024), 1);
        assert_eq!(run(&p, libc::AF_INET, TCP, 80), 0);
        assert_eq!(
            run(&program(BindFamily::Ipv4, &[], &[]), libc::AF_INET, UDP, 1),
            1
        );
    }
}
