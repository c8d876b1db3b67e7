//! eBPF programs on a service's cgroup v2 directory: the device policy
//! (`DevicePolicy=`/`DeviceAllow=` where there is no v1 devices
//! controller), the IP address filter and accounting (`IPAddressAllow=`,
//! `IPAddressDeny=`, `IPAccounting=`), `RestrictNetworkInterfaces=` and
//! `SocketBindAllow=`/`SocketBindDeny=`. The programs are built by pure
//! code ([`insn`], [`device_program`], [`ip_program`],
//! [`interface_program`], [`bind_program`]); [`syscall`] loads and
//! attaches them; [`attach`] puts the two together for one service.

pub mod attach;
pub mod bind_program;
pub mod device_program;
pub mod insn;
pub mod interface_program;
pub mod ip_program;
pub mod syscall;
