#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Recover the ELF vmlinux from a compressed kernel image (bzImage).

kbuild needs an ELF vmlinux with .BTF to generate a module's split BTF, and
Debian's headers package ships none. The bzImage carries the whole ELF as an
xz (Debian's choice) or gzip stream after the decompressor stub: find a stream
header, inflate it, and keep the first one that inflates to an ELF image.
"""
import lzma
import sys
import zlib

ELF_MAGIC = b"\x7fELF"
STREAMS = (
    (b"\xfd7zXZ\x00", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ)),
    (b"\x1f\x8b\x08", lambda: zlib.decompressobj(16 + zlib.MAX_WBITS)),
)


def inflate_at(image, offset, make_decompressor):
    try:
        return make_decompressor().decompress(image[offset:])
    except (lzma.LZMAError, zlib.error):
        return None


def find_vmlinux(image):
    for magic, make_decompressor in STREAMS:
        offset = image.find(magic)
        while offset >= 0:
            data = inflate_at(image, offset, make_decompressor)
            if data and data.startswith(ELF_MAGIC):
                return data
            offset = image.find(magic, offset + 1)
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: vmlinux-elf.py BZIMAGE OUTPUT")
    with open(sys.argv[1], "rb") as f:
        image = f.read()
    vmlinux = find_vmlinux(image)
    if vmlinux is None:
        sys.exit(f"vmlinux-elf.py: no xz or gzip stream holding an ELF image in {sys.argv[1]}")
    with open(sys.argv[2], "wb") as f:
        f.write(vmlinux)


if __name__ == "__main__":
    main()
