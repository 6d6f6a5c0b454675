# shellcheck shell=bash
# The image tier (test/image, docs/IMAGE.md): Packer with QEMU, debootstrap and the base
# disk's tools, shellcheck and e2fsprogs (seed disks) for the checks and the smoke test.
APT_PACKAGES+=(packer qemu-system-x86 qemu-utils debootstrap extlinux syslinux-common fdisk e2fsprogs cpio shellcheck openssh-client nftables)
