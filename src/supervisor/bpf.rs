//! eBPF programs on a service's cgroup v2 directory: the device policy
//! (`DevicePolicy=`/`DeviceAllow=` where there is no v1 devices
//! controller) and the IP address filter and accounting (`IPAddressAllow=`,
//! `IPAddressDeny=`, `IPAccounting=`). The programs are built by pure code
//! ([`insn`], [`device_program`], [`ip_program`]); [`syscall`] loads and
//! attaches them; [`attach`] puts the two together for one service.

pub mod attach;
pub mod device_program;
pub mod insn;
pub mod ip_program;
pub mod syscall;
