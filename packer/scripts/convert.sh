#!/usr/bin/env bash
# Packer post-processor (shell-local): the other output formats from the built qcow2.
#   IMAGE=…/lb-appliance.qcow2 FORMATS=qcow2,vmdk,ova CPUS=2 MEMORY=1536 convert.sh
# vmdk: streamOptimized (what VMware and VirtualBox import); ova: that vmdk with an OVF
# descriptor and a SHA-256 manifest, in one tar (the OVF 1.0 layout importers expect).
set -euo pipefail
: "${IMAGE:?}" "${FORMATS:?}"
cpus=${CPUS:-2} memory=${MEMORY:-1536}
dir=$(dirname "$IMAGE")
name=$(basename "$IMAGE" .qcow2)
want() { case ",$FORMATS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
for f in ${FORMATS//,/ }; do
  case $f in qcow2|vmdk|ova) ;; *) echo "convert.sh: unknown format '$f' (qcow2, vmdk, ova)" >&2; exit 1 ;; esac
done

if want vmdk || want ova; then
  qemu-img convert -O vmdk -o subformat=streamOptimized "$IMAGE" "$dir/$name.vmdk"
  echo "convert: $dir/$name.vmdk"
fi
if want ova; then
  vmdk_size=$(stat -c %s "$dir/$name.vmdk")
  capacity=$(qemu-img info --output=json "$IMAGE" | sed -n 's/.*"virtual-size": *\([0-9]*\).*/\1/p' | head -1)
  cat >"$dir/$name.ovf" <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References><File ovf:id="disk1" ovf:href="$name.vmdk" ovf:size="$vmdk_size"/></References>
  <DiskSection><Info>Disks</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="disk1" ovf:capacity="$capacity" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection><Info>Networks</Info>
    <Network ovf:name="management"><Description>eth0: SSH console and admin UI</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="$name">
    <Info>lb-appliance load balancer</Info>
    <OperatingSystemSection ovf:id="96"><Info>Debian 13 (64-bit)</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>Hardware</Info>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>
      <Item><rasd:ElementName>$cpus CPUs</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>$cpus</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>$memory MB of memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>$memory</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:ElementName>SCSI controller</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AutomaticAllocation>true</rasd:AutomaticAllocation><rasd:Connection>management</rasd:Connection><rasd:ElementName>eth0</rasd:ElementName><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
OVF
  (cd "$dir" && for f in "$name.ovf" "$name.vmdk"; do echo "SHA256($f)= $(sha256sum "$f" | cut -d' ' -f1)"; done >"$name.mf")
  # The descriptor first: importers stream the archive.
  tar -cf "$dir/$name.ova" -C "$dir" --format=ustar "$name.ovf" "$name.mf" "$name.vmdk"
  rm -f "$dir/$name.ovf" "$dir/$name.mf"
  want vmdk || rm -f "$dir/$name.vmdk"
  echo "convert: $dir/$name.ova"
fi
