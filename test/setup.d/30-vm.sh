# shellcheck shell=bash
# The VM tier (real kernel IPVS under QEMU, see test/vm/lib/README.md): QEMU, a static busybox
# for the initramfs, kmod to resolve module dependencies, and what the guest scenarios run
# (ipvsadm to read IPVS back, tcpdump for captures, curl, arping); then the kernel and
# initramfs in build/vm/ (fetched once, rebuilt only when the harness changes).
APT_PACKAGES+=(qemu-system-x86 busybox-static cpio kmod file ipvsadm tcpdump curl iputils-arping)
POST_STEPS+=("bash test/vm/lib/build-vm.sh")
