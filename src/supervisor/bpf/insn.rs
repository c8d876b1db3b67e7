//! eBPF instructions, typed: the few classes, operations and registers the
//! cgroup programs of [`super::device_program`] and [`super::ip_program`]
//! use, encoded as the kernel's `struct bpf_insn` (8 bytes: opcode, the
//! destination and source registers in one byte, a signed 16-bit offset
//! and a signed 32-bit immediate). Pure: nothing here talks to the kernel.

/// A register: r0 (return value), r1-r5 (arguments, clobbered by calls),
/// r6-r9 (kept across calls), r10 (frame pointer, read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reg(u8);

impl Reg {
    pub const R0: Reg = Reg(0);
    pub const R1: Reg = Reg(1);
    pub const R2: Reg = Reg(2);
    pub const R3: Reg = Reg(3);
    pub const R4: Reg = Reg(4);
    pub const R5: Reg = Reg(5);
    pub const R6: Reg = Reg(6);
    pub const R7: Reg = Reg(7);
    pub const R8: Reg = Reg(8);
    pub const R10: Reg = Reg(10);
}

/// Operand size of a load or store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 32 bits (`BPF_W`).
    Word,
    /// 64 bits (`BPF_DW`).
    Double,
}

impl Size {
    fn code(self) -> u8 {
        match self {
            Size::Word => 0x00,
            Size::Double => 0x18,
        }
    }
}

/// An arithmetic operation (`BPF_ALU`/`BPF_ALU64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alu {
    Add,
    Or,
    And,
    Rsh,
    Mov,
}

impl Alu {
    fn code(self) -> u8 {
        match self {
            Alu::Add => 0x00,
            Alu::Or => 0x40,
            Alu::And => 0x50,
            Alu::Rsh => 0x70,
            Alu::Mov => 0xb0,
        }
    }
}

/// A conditional jump (`BPF_JMP`, 64-bit compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    Eq,
    Ne,
    /// Unsigned `>`.
    Gt,
    /// Unsigned `<`.
    Lt,
}

impl Cond {
    fn code(self) -> u8 {
        match self {
            Cond::Eq => 0x10,
            Cond::Gt => 0x20,
            Cond::Ne => 0x50,
            Cond::Lt => 0xa0,
        }
    }
}

/// A kernel helper a program may call (`enum bpf_func_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helper {
    MapLookupElem = 1,
    SkbLoadBytes = 26,
}

// Instruction classes and sources (linux/bpf_common.h, linux/bpf.h).
const LD: u8 = 0x00;
const LDX: u8 = 0x01;
const ST: u8 = 0x02;
const STX: u8 = 0x03;
const ALU32: u8 = 0x04;
const JMP: u8 = 0x05;
const ALU64: u8 = 0x07;
const MEM: u8 = 0x60;
const IMM: u8 = 0x00;
const ATOMIC: u8 = 0xc0;
const K: u8 = 0x00;
const X: u8 = 0x08;
const JA: u8 = 0x00;
const CALL: u8 = 0x80;
const EXIT: u8 = 0x90;
const END: u8 = 0xd0;
const TO_BE: u8 = 0x08;
/// `src_reg` of a 64-bit immediate load that names a map by its fd.
const PSEUDO_MAP_FD: u8 = 1;

/// One instruction slot (`struct bpf_insn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

impl Insn {
    fn new(code: u8, dst: Reg, src: Reg, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst: dst.0,
            src: src.0,
            off,
            imm,
        }
    }

    /// `dst = imm` (64-bit, sign-extended).
    pub fn mov64_imm(dst: Reg, imm: i32) -> Insn {
        Insn::new(ALU64 | Alu::Mov.code() | K, dst, Reg::R0, 0, imm)
    }

    /// `dst = src` (64-bit).
    pub fn mov64_reg(dst: Reg, src: Reg) -> Insn {
        Insn::new(ALU64 | Alu::Mov.code() | X, dst, src, 0, 0)
    }

    /// `dst = src` (32-bit, upper half zeroed).
    pub fn mov32_reg(dst: Reg, src: Reg) -> Insn {
        Insn::new(ALU32 | Alu::Mov.code() | X, dst, src, 0, 0)
    }

    /// `dst = dst OP imm` (64-bit).
    pub fn alu64_imm(op: Alu, dst: Reg, imm: i32) -> Insn {
        Insn::new(ALU64 | op.code() | K, dst, Reg::R0, 0, imm)
    }

    /// `dst = dst OP imm` (32-bit).
    pub fn alu32_imm(op: Alu, dst: Reg, imm: i32) -> Insn {
        Insn::new(ALU32 | op.code() | K, dst, Reg::R0, 0, imm)
    }

    /// `dst = htobe16(dst)`: the low 16 bits of a field in network order
    /// (a port) in host order on a little-endian machine, the rest zeroed.
    pub fn to_be16(dst: Reg) -> Insn {
        Insn::new(ALU32 | END | TO_BE, dst, Reg::R0, 0, 16)
    }

    /// `dst = *(size *)(src + off)`.
    pub fn load(size: Size, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn::new(LDX | MEM | size.code(), dst, src, off, 0)
    }

    /// `*(size *)(dst + off) = imm`.
    pub fn store_imm(size: Size, dst: Reg, off: i16, imm: i32) -> Insn {
        Insn::new(ST | MEM | size.code(), dst, Reg::R0, off, imm)
    }

    /// `lock *(u64 *)(dst + off) += src`.
    pub fn atomic_add64(dst: Reg, src: Reg, off: i16) -> Insn {
        Insn::new(
            STX | ATOMIC | Size::Double.code(),
            dst,
            src,
            off,
            i32::from(Alu::Add.code()),
        )
    }

    /// `if dst COND imm goto +off` (64-bit compare).
    pub fn jump_imm(cond: Cond, dst: Reg, imm: i32, off: i16) -> Insn {
        Insn::new(JMP | cond.code() | K, dst, Reg::R0, off, imm)
    }

    /// `if dst COND src goto +off`.
    pub fn jump_reg(cond: Cond, dst: Reg, src: Reg, off: i16) -> Insn {
        Insn::new(JMP | cond.code() | X, dst, src, off, 0)
    }

    /// `goto +off`.
    pub fn jump(off: i16) -> Insn {
        Insn::new(JMP | JA, Reg::R0, Reg::R0, off, 0)
    }

    /// A call of a kernel helper; the result is in r0.
    pub fn call(helper: Helper) -> Insn {
        Insn::new(JMP | CALL, Reg::R0, Reg::R0, 0, helper as i32)
    }

    /// Returns r0.
    pub fn exit() -> Insn {
        Insn::new(JMP | EXIT, Reg::R0, Reg::R0, 0, 0)
    }

    /// `dst = map` by its descriptor: two slots, as the kernel wants a
    /// 64-bit immediate load (the second slot holds the upper half, 0).
    pub fn load_map_fd(dst: Reg, map_fd: i32) -> [Insn; 2] {
        [
            Insn {
                code: LD | IMM | Size::Double.code(),
                dst: dst.0,
                src: PSEUDO_MAP_FD,
                off: 0,
                imm: map_fd,
            },
            Insn {
                code: 0,
                dst: 0,
                src: 0,
                off: 0,
                imm: 0,
            },
        ]
    }

    /// The kernel's 8 bytes of this instruction (little-endian fields, the
    /// registers dst in the low and src in the high nibble, as on x86-64
    /// and other little-endian machines).
    pub fn encode(self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[0] = self.code;
        out[1] = if cfg!(target_endian = "little") {
            (self.src << 4) | (self.dst & 0x0f)
        } else {
            (self.dst << 4) | (self.src & 0x0f)
        };
        out[2..4].copy_from_slice(&self.off.to_ne_bytes());
        out[4..8].copy_from_slice(&self.imm.to_ne_bytes());
        out
    }
}

/// A program's instructions as the bytes `BPF_PROG_LOAD` takes.
pub fn encode_all(program: &[Insn]) -> Vec<u8> {
    program.iter().flat_map(|i| i.encode()).collect()
}

/// A jump offset over `n` instructions, for blocks of a few dozen.
pub fn skip(n: usize) -> i16 {
    i16::try_from(n).expect("a block of a cgroup program has far fewer than 32,768 instructions")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodings checked against the kernel's macros (filter.h): e.g.
    /// BPF_MOV64_IMM(BPF_REG_0, 1) is `b7 00 00 00 01 00 00 00`.
    #[test]
    fn instructions_encode_as_the_kernel_macros_do() {
        let hex = |i: Insn| {
            i.encode()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if cfg!(target_endian = "big") {
            return;
        }
        assert_eq!(hex(Insn::mov64_imm(Reg::R0, 1)), "b7 00 00 00 01 00 00 00");
        assert_eq!(hex(Insn::exit()), "95 00 00 00 00 00 00 00");
        assert_eq!(
            hex(Insn::mov64_reg(Reg::R6, Reg::R1)),
            "bf 16 00 00 00 00 00 00"
        );
        // BPF_LDX_MEM(BPF_W, BPF_REG_7, BPF_REG_6, 16)
        assert_eq!(
            hex(Insn::load(Size::Word, Reg::R7, Reg::R6, 16)),
            "61 67 10 00 00 00 00 00"
        );
        // BPF_JMP_IMM(BPF_JNE, BPF_REG_2, 2, 5)
        assert_eq!(
            hex(Insn::jump_imm(Cond::Ne, Reg::R2, 2, 5)),
            "55 02 05 00 02 00 00 00"
        );
        // BPF_JMP_REG(BPF_JNE, BPF_REG_1, BPF_REG_3, 3)
        assert_eq!(
            hex(Insn::jump_reg(Cond::Ne, Reg::R1, Reg::R3, 3)),
            "5d 31 03 00 00 00 00 00"
        );
        // BPF_ALU64_IMM(BPF_ADD, BPF_REG_3, -4)
        assert_eq!(
            hex(Insn::alu64_imm(Alu::Add, Reg::R3, -4)),
            "07 03 00 00 fc ff ff ff"
        );
        // BPF_ALU32_IMM(BPF_RSH, BPF_REG_3, 16)
        assert_eq!(
            hex(Insn::alu32_imm(Alu::Rsh, Reg::R3, 16)),
            "74 03 00 00 10 00 00 00"
        );
        // BPF_ST_MEM(BPF_W, BPF_REG_2, 0, 32)
        assert_eq!(
            hex(Insn::store_imm(Size::Word, Reg::R2, 0, 32)),
            "62 02 00 00 20 00 00 00"
        );
        // BPF_ATOMIC_OP(BPF_DW, BPF_ADD, BPF_REG_0, BPF_REG_1, 0)
        assert_eq!(
            hex(Insn::atomic_add64(Reg::R0, Reg::R1, 0)),
            "db 10 00 00 00 00 00 00"
        );
        assert_eq!(
            hex(Insn::call(Helper::SkbLoadBytes)),
            "85 00 00 00 1a 00 00 00"
        );
        // BPF_LD_MAP_FD(BPF_REG_1, 7)
        let [a, b] = Insn::load_map_fd(Reg::R1, 7);
        assert_eq!(hex(a), "18 11 00 00 07 00 00 00");
        assert_eq!(hex(b), "00 00 00 00 00 00 00 00");
        assert_eq!(hex(Insn::jump(-2)), "05 00 fe ff 00 00 00 00");
        // BPF_ENDIAN(BPF_TO_BE, BPF_REG_4, 16)
        assert_eq!(hex(Insn::to_be16(Reg::R4)), "dc 04 00 00 10 00 00 00");
        // BPF_JMP_IMM(BPF_JGT, BPF_REG_4, 80, 2), BPF_JMP_IMM(BPF_JLT, ...)
        assert_eq!(
            hex(Insn::jump_imm(Cond::Gt, Reg::R4, 80, 2)),
            "25 04 02 00 50 00 00 00"
        );
        assert_eq!(
            hex(Insn::jump_imm(Cond::Lt, Reg::R4, 80, 2)),
            "a5 04 02 00 50 00 00 00"
        );
        assert_eq!(
            hex(Insn::mov32_reg(Reg::R1, Reg::R3)),
            "bc 31 00 00 00 00 00 00"
        );
    }

    #[test]
    fn a_program_is_eight_bytes_an_instruction() {
        let p = [Insn::mov64_imm(Reg::R0, 0), Insn::exit()];
        let bytes = encode_all(&p);
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[8..], &Insn::exit().encode());
    }
}
