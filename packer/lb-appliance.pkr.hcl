# The lb-appliance VM image: Debian 13 with lbd, HAProxy, Nginx, nftables and the
# appliance files, built with Packer's QEMU builder. Run through packer/build.sh
# (`npm run image`), which prepares the base disk and lbd's bundle; see docs/IMAGE.md.
# Packer 1.6.6 (Debian) has the qemu builder built in; newer Packer needs the plugin:
#   packer plugins install github.com/hashicorp/qemu
packer {
  required_version = ">= 1.6.6"
}

variable "base_image" {
  type        = string
  description = "Base disk: a local qcow2 made by packer/scripts/base-disk.sh (offline), or a Debian 13 cloud image URL (debian-13-genericcloud-amd64.qcow2)."
}

variable "base_image_checksum" {
  type        = string
  default     = "none"
  description = "Checksum of base_image, e.g. sha512:…, or file:URL of SHA512SUMS; none for a local base disk."
}

variable "cloud_init" {
  type        = bool
  default     = false
  description = "The base image is a cloud image: give root the build's SSH key through a cloud-init NoCloud seed served by Packer's HTTP server."
}

variable "http_directory" {
  type        = string
  default     = ""
  description = "Directory with the cloud-init seed (meta-data, user-data) when cloud_init is true."
}

variable "accelerator" {
  type        = string
  default     = "tcg"
  description = "QEMU accelerator: tcg (software, works everywhere) or kvm."
}

variable "disk_size" {
  type        = string
  default     = "4G"
  description = "Size of the image's disk."
}

variable "formats" {
  type        = string
  default     = "qcow2"
  description = "Comma-separated outputs: qcow2 always, plus vmdk and/or ova (qemu-img conversions)."
}

variable "output_directory" {
  type    = string
  default = "build/image/output"
}

variable "vm_name" {
  type    = string
  default = "lb-appliance.qcow2"
}

variable "ssh_private_key_file" {
  type        = string
  description = "The build's SSH key; its public half is root's authorized key in the base disk."
}

variable "bundle_dir" {
  type        = string
  description = "Directory with lbd.tar.gz and appliance.tar.gz (packer/build.sh makes them)."
}

variable "cpus" {
  type    = number
  default = 2
}

variable "memory" {
  type    = number
  default = 1536
}

locals {
  serial_log = "${var.output_directory}-serial.log"
  seed_arg   = ["-smbios", "type=1,serial=ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"]
}

source "qemu" "appliance" {
  iso_url          = var.base_image
  iso_checksum     = var.base_image_checksum
  disk_image       = true
  use_backing_file = false
  disk_size        = var.disk_size
  format           = "qcow2"
  disk_compression = true
  disk_interface   = "virtio"
  net_device       = "virtio-net"
  accelerator      = var.accelerator
  cpus             = var.cpus
  memory           = var.memory
  headless         = true
  vm_name          = var.vm_name
  output_directory = var.output_directory
  http_directory   = var.cloud_init ? var.http_directory : null
  qemuargs = var.cloud_init ? [
    ["-serial", "file:${local.serial_log}"], local.seed_arg
    ] : [
    ["-serial", "file:${local.serial_log}"]
  ]
  communicator         = "ssh"
  ssh_username         = "root"
  ssh_private_key_file = var.ssh_private_key_file
  ssh_timeout          = "10m"
  shutdown_command     = "systemctl poweroff"
  shutdown_timeout     = "5m"
  boot_wait            = "1s"
}

build {
  sources = ["source.qemu.appliance"]

  provisioner "shell" {
    inline = ["mkdir -p /tmp/lb-build"]
  }

  provisioner "file" {
    sources     = ["${var.bundle_dir}/lbd.tar.gz", "${var.bundle_dir}/appliance.tar.gz"]
    destination = "/tmp/lb-build/"
  }

  provisioner "shell" {
    script = "${path.root}/scripts/provision.sh"
  }

  post-processor "shell-local" {
    environment_vars = [
      "IMAGE=${var.output_directory}/${var.vm_name}",
      "FORMATS=${var.formats}",
      "CPUS=${var.cpus}",
      "MEMORY=${var.memory}",
    ]
    script = "${path.root}/scripts/convert.sh"
  }
}
