//! `IPAddressAllow=`/`IPAddressDeny=` and `IPAccounting=`: a
//! `BPF_PROG_TYPE_CGROUP_SKB` program per direction, as systemd 252's
//! bpf-firewall.c lays it out. The packet's protocol (`skb->protocol`)
//! picks the IPv4 or IPv6 lookups; each copies the remote address (the
//! source on ingress, the destination on egress) out of the IP header next
//! to a prefix length of all its bits and looks it up in an LPM-trie map
//! of prefixes, setting the list's bit in r8 on a match. A packet is
//! dropped when only the deny bit is set: an address the allow list
//! matches is allowed, else one the deny list matches is dropped, else
//! allowed. With accounting, the bytes and packets let through are added
//! to an array map (key 0: bytes, 1: packets). Pure: the maps are
//! descriptors made by [`super::syscall`].

use super::insn::{skip, Alu, Cond, Helper, Insn, Reg, Size};

/// Which way the packets go, seen from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

/// An address family of the lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// Bytes of an address.
    pub fn len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }

    /// `skb->protocol` for the family: the EtherType in network byte order,
    /// read as the u32 field it is stored in.
    fn protocol(self) -> i32 {
        let ethertype: u16 = match self {
            Family::V4 => 0x0800,
            Family::V6 => 0x86dd,
        };
        i32::from(u16::from_ne_bytes(ethertype.to_be_bytes()))
    }

    /// Where the address the rules look at is in the IP header.
    fn address_offset(self, direction: Direction) -> i32 {
        match (self, direction) {
            // struct iphdr: saddr, daddr.
            (Family::V4, Direction::Ingress) => 12,
            (Family::V4, Direction::Egress) => 16,
            // struct ipv6hdr: saddr, daddr.
            (Family::V6, Direction::Ingress) => 8,
            (Family::V6, Direction::Egress) => 24,
        }
    }
}

/// The bit a list sets in r8 when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Allow = 1,
    Deny = 2,
}

/// One lookup: a family's prefixes of one list, in the map `map_fd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    pub family: Family,
    pub list: List,
    pub map_fd: i32,
}

/// `struct __sk_buff`: `len` and `protocol`.
const SKB_LEN: i16 = 0;
const SKB_PROTOCOL: i16 = 16;

/// The program of one direction: the lookups in order, then the verdict,
/// then the accounting of a packet let through where `accounting_map` is
/// given.
pub fn program(direction: Direction, lookups: &[Lookup], accounting_map: Option<i32>) -> Vec<Insn> {
    let mut p = vec![
        Insn::mov64_reg(Reg::R6, Reg::R1),
        Insn::load(Size::Word, Reg::R7, Reg::R6, SKB_PROTOCOL),
        Insn::mov64_imm(Reg::R8, 0),
    ];
    for l in lookups {
        p.extend(lookup_block(direction, l));
    }
    // r8 becomes the verdict: 0 (drop) where only the deny list matched.
    p.extend([
        Insn::jump_imm(Cond::Eq, Reg::R8, List::Deny as i32, 2),
        Insn::mov64_imm(Reg::R8, 1),
        Insn::jump(1),
        Insn::mov64_imm(Reg::R8, 0),
    ]);
    if let Some(map) = accounting_map {
        let bytes = count_block(map, 0, Some(SKB_LEN));
        let packets = count_block(map, 1, None);
        p.push(Insn::jump_imm(
            Cond::Eq,
            Reg::R8,
            0,
            skip(bytes.len() + packets.len()),
        ));
        p.extend(bytes);
        p.extend(packets);
    }
    p.push(Insn::mov64_reg(Reg::R0, Reg::R8));
    p.push(Insn::exit());
    p
}

/// A lookup of the packet's address, skipped for a packet of the other
/// family.
fn lookup_block(direction: Direction, l: &Lookup) -> Vec<Insn> {
    let size = l.family.len() as i32;
    let mut body = vec![
        // skb_load_bytes(skb, offset, r10 - size, size)
        Insn::mov64_reg(Reg::R1, Reg::R6),
        Insn::mov64_imm(Reg::R2, l.family.address_offset(direction)),
        Insn::mov64_reg(Reg::R3, Reg::R10),
        Insn::alu64_imm(Alu::Add, Reg::R3, -size),
        Insn::mov64_imm(Reg::R4, size),
        Insn::call(Helper::SkbLoadBytes),
    ];
    // map_lookup_elem(map, key): the key is the prefix length (every bit)
    // in front of the address.
    body.extend(Insn::load_map_fd(Reg::R1, l.map_fd));
    body.extend([
        Insn::mov64_reg(Reg::R2, Reg::R10),
        Insn::alu64_imm(Alu::Add, Reg::R2, -size - 4),
        Insn::store_imm(Size::Word, Reg::R2, 0, size * 8),
        Insn::call(Helper::MapLookupElem),
        Insn::jump_imm(Cond::Eq, Reg::R0, 0, 1),
        Insn::alu32_imm(Alu::Or, Reg::R8, l.list as i32),
    ]);
    let mut block = vec![Insn::jump_imm(
        Cond::Ne,
        Reg::R7,
        l.family.protocol(),
        skip(body.len()),
    )];
    block.extend(body);
    block
}

/// Adds the packet's length (`field`), or 1, to the counter `key` of the
/// array map.
fn count_block(map: i32, key: i32, field: Option<i16>) -> Vec<Insn> {
    let mut b = Insn::load_map_fd(Reg::R1, map).to_vec();
    b.extend([
        Insn::mov64_reg(Reg::R2, Reg::R10),
        Insn::alu64_imm(Alu::Add, Reg::R2, -4),
        Insn::store_imm(Size::Word, Reg::R2, 0, key),
        Insn::call(Helper::MapLookupElem),
        Insn::jump_imm(Cond::Eq, Reg::R0, 0, 2),
        match field {
            Some(off) => Insn::load(Size::Word, Reg::R1, Reg::R6, off),
            None => Insn::mov64_imm(Reg::R1, 1),
        },
        Insn::atomic_add64(Reg::R0, Reg::R1, 0),
    ]);
    b
}

#[cfg(test)]
pub mod model {
    //! An interpreter of the instructions [`super::program`] emits, with a
    //! packet, LPM-trie maps and an array map of counters in memory, so
    //! that the layout is tested before a kernel sees it.

    use super::super::insn::Insn;
    use std::collections::HashMap;

    /// Where pointers point, in the model's address space.
    const STACK: u64 = 0x1000_0000;
    const STACK_SIZE: usize = 512;
    const MAP_VALUE: u64 = 0x2000_0000;

    /// A map: LPM prefixes (bytes, bits), or an array of counters.
    #[derive(Debug, Clone)]
    pub enum Map {
        Lpm(Vec<(Vec<u8>, u32)>),
        Counters(Vec<u64>),
    }

    /// A packet: its EtherType and its IP header bytes (and payload).
    pub struct Packet {
        pub ethertype: u16,
        pub data: Vec<u8>,
    }

    pub fn ipv4(src: [u8; 4], dst: [u8; 4], len: usize) -> Packet {
        let mut data = vec![0u8; len.max(20)];
        data[0] = 0x45;
        data[12..16].copy_from_slice(&src);
        data[16..20].copy_from_slice(&dst);
        Packet {
            ethertype: 0x0800,
            data,
        }
    }

    pub fn ipv6(src: [u8; 16], dst: [u8; 16]) -> Packet {
        let mut data = vec![0u8; 40];
        data[0] = 0x60;
        data[8..24].copy_from_slice(&src);
        data[24..40].copy_from_slice(&dst);
        Packet {
            ethertype: 0x86dd,
            data,
        }
    }

    fn lpm_match(prefixes: &[(Vec<u8>, u32)], key: &[u8]) -> bool {
        prefixes.iter().any(|(p, bits)| {
            (0..*bits as usize).all(|i| {
                let (byte, bit) = (i / 8, 7 - i % 8);
                (p[byte] >> bit) & 1 == (key[byte] >> bit) & 1
            })
        })
    }

    /// Runs `program` on `packet`; its return value (1 pass, 0 drop).
    pub fn run(program: &[Insn], packet: &Packet, maps: &mut HashMap<i32, Map>) -> u64 {
        let mut reg = [0u64; 11];
        let mut stack = [0u8; STACK_SIZE];
        reg[10] = STACK + STACK_SIZE as u64;
        // The map whose value r0 points at after a lookup, and its index.
        let mut looked_up: Option<(i32, usize)> = None;
        let mut pc = 0usize;
        let stack_at = |addr: u64| (addr - STACK) as usize;
        loop {
            let i = program[pc];
            let (d, s) = (usize::from(i.dst), usize::from(i.src));
            pc += 1;
            let imm = i.imm as i64 as u64;
            let jump = |pc: &mut usize, take: bool| {
                if take {
                    *pc = (*pc as i64 + i64::from(i.off)) as usize;
                }
            };
            match i.code {
                0xbf => reg[d] = reg[s],
                0xb7 => reg[d] = imm,
                0x07 => reg[d] = reg[d].wrapping_add(imm),
                0x44 => reg[d] = (reg[d] as u32 | i.imm as u32) as u64,
                // Loads from the skb (r6) only.
                0x61 => {
                    assert_eq!(s, 6, "loads read the skb");
                    reg[d] = match i.off {
                        0 => packet.data.len() as u64,
                        16 => u64::from(u16::from_ne_bytes(packet.ethertype.to_be_bytes())),
                        off => panic!("skb field {off}"),
                    };
                }
                0x62 => {
                    let at = stack_at(reg[d].wrapping_add(i.off as i64 as u64));
                    stack[at..at + 4].copy_from_slice(&(i.imm as u32).to_ne_bytes());
                }
                0x18 => {
                    assert_eq!(i.src, 1, "map fd load");
                    reg[d] = i.imm as u64;
                    pc += 1;
                }
                0x85 => {
                    match i.imm {
                        26 => {
                            let (off, at, len) =
                                (reg[2] as usize, stack_at(reg[3]), reg[4] as usize);
                            stack[at..at + len].copy_from_slice(&packet.data[off..off + len]);
                            reg[0] = 0;
                        }
                        1 => {
                            let fd = reg[1] as i32;
                            let at = stack_at(reg[2]);
                            reg[0] = match maps.get(&fd).expect("a map the program names") {
                                Map::Lpm(prefixes) => {
                                    let bits = u32::from_ne_bytes(
                                        stack[at..at + 4].try_into().expect("4 bytes"),
                                    );
                                    let key = &stack[at + 4..at + 4 + bits as usize / 8];
                                    u64::from(lpm_match(prefixes, key)) * MAP_VALUE
                                }
                                Map::Counters(c) => {
                                    let k = u32::from_ne_bytes(
                                        stack[at..at + 4].try_into().expect("4 bytes"),
                                    ) as usize;
                                    looked_up = Some((fd, k));
                                    u64::from(k < c.len()) * MAP_VALUE
                                }
                            };
                        }
                        h => panic!("helper {h}"),
                    }
                    for r in &mut reg[1..=5] {
                        *r = 0xdead;
                    }
                }
                0xdb => {
                    assert_eq!(reg[d], MAP_VALUE);
                    let (fd, k) = looked_up.expect("a lookup before");
                    if let Some(Map::Counters(c)) = maps.get_mut(&fd) {
                        c[k] += reg[s];
                    }
                }
                0x15 => jump(&mut pc, reg[d] == imm),
                0x55 => jump(&mut pc, reg[d] != imm),
                0x05 => jump(&mut pc, true),
                0x95 => return reg[0],
                c => panic!("unexpected instruction {c:#x}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::model::{ipv4, ipv6, run, Map};
    use super::*;
    use std::collections::HashMap;

    fn lookups() -> Vec<Lookup> {
        vec![
            Lookup {
                family: Family::V4,
                list: List::Allow,
                map_fd: 10,
            },
            Lookup {
                family: Family::V4,
                list: List::Deny,
                map_fd: 11,
            },
            Lookup {
                family: Family::V6,
                list: List::Deny,
                map_fd: 12,
            },
        ]
    }

    fn maps() -> HashMap<i32, Map> {
        let mut m = HashMap::new();
        // IPAddressAllow=127.0.0.1 10.1.0.0/16, IPAddressDeny=any.
        m.insert(
            10,
            Map::Lpm(vec![(vec![127, 0, 0, 1], 32), (vec![10, 1, 0, 0], 16)]),
        );
        m.insert(11, Map::Lpm(vec![(vec![0; 4], 0)]));
        m.insert(12, Map::Lpm(vec![(vec![0; 16], 0)]));
        m.insert(20, Map::Counters(vec![0, 0]));
        m
    }

    #[test]
    fn allowed_addresses_pass_and_denied_ones_drop_both_ways() {
        let mut m = maps();
        let egress = program(Direction::Egress, &lookups(), None);
        let ingress = program(Direction::Ingress, &lookups(), None);
        let local = [127, 0, 0, 1];
        let other = [127, 0, 0, 2];
        // Egress looks at the destination, ingress at the source.
        assert_eq!(run(&egress, &ipv4(other, local, 60), &mut m), 1);
        assert_eq!(run(&egress, &ipv4(local, other, 60), &mut m), 0);
        assert_eq!(run(&ingress, &ipv4(local, other, 60), &mut m), 1);
        assert_eq!(run(&ingress, &ipv4(other, local, 60), &mut m), 0);
        assert_eq!(run(&egress, &ipv4(local, [10, 1, 200, 3], 60), &mut m), 1);
        assert_eq!(run(&egress, &ipv4(local, [10, 2, 0, 3], 60), &mut m), 0);
        // IPv6 is denied (any), whatever its address.
        let mut v6 = [0u8; 16];
        v6[15] = 1;
        assert_eq!(run(&egress, &ipv6(v6, v6), &mut m), 0);
    }

    #[test]
    fn without_a_matching_list_a_packet_passes() {
        let mut m = maps();
        // Only an IPv4 deny list of 10.0.0.0/8.
        m.insert(11, Map::Lpm(vec![(vec![10, 0, 0, 0], 8)]));
        let only_deny = [Lookup {
            family: Family::V4,
            list: List::Deny,
            map_fd: 11,
        }];
        let p = program(Direction::Egress, &only_deny, None);
        assert_eq!(run(&p, &ipv4([1; 4], [10, 9, 9, 9], 40), &mut m), 0);
        assert_eq!(run(&p, &ipv4([1; 4], [11, 9, 9, 9], 40), &mut m), 1);
        // An IPv6 packet skips the IPv4 lookups.
        assert_eq!(run(&p, &ipv6([0; 16], [10; 16]), &mut m), 1);
        // No lookups at all (accounting only): everything passes.
        assert_eq!(
            run(
                &program(Direction::Egress, &[], None),
                &ipv4([1; 4], [10; 4], 40),
                &mut m
            ),
            1
        );
    }

    #[test]
    fn accounting_counts_what_passes() {
        let mut m = maps();
        let p = program(Direction::Egress, &lookups(), Some(20));
        run(&p, &ipv4([9; 4], [127, 0, 0, 1], 100), &mut m);
        run(&p, &ipv4([9; 4], [127, 0, 0, 1], 60), &mut m);
        run(&p, &ipv4([9; 4], [127, 0, 0, 9], 500), &mut m);
        let Some(Map::Counters(c)) = m.get(&20) else {
            panic!("counters");
        };
        assert_eq!(c, &vec![160, 2]);
    }
}
