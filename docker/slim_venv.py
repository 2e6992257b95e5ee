#!/usr/bin/env python3
"""Slim a virtual environment for an image, at build time (docs/deployment.md, "Image size").

Usage: triage-slim-venv VENV

Removes what the service never loads and keeps everything it imports:

- the libraries' own test suites (pandas, numpy, scipy, scikit-learn, numba, ...), their C,
  C++ and Cython sources and headers, and their type stubs;
- compiled bytecode: the image's Python writes it at run time instead, under
  PYTHONPYCACHEPREFIX in /tmp (the Dockerfile), once per container;
- unneeded symbols of the compiled libraries (``strip --strip-unneeded``), keeping a library
  as it was wherever stripping would leave its segments less aligned than before, at a page
  size its architecture uses: strip breaks some libraries that auditwheel's patchelf rewrote
  ("ELF load command address/offset not page-aligned"). x86-64 has only 4 KiB pages, so a
  library for it needs that alignment only (patchelf's extra segment is often 64 KiB-aligned by
  chance, which stripping loses harmlessly); ARM64 kernels use 4, 16 or 64 KiB pages, so an
  ARM64 library (and any other) keeps every alignment it had, and so does each segment's own
  ``p_align``, which the loader checks too;
- optional components that the image never loads, each one its library imports without:
  pyarrow's Flight RPC, its S3, Azure, GCS and HDFS filesystems and its ORC format;
  Pillow's AVIF and WebP codecs (matplotlib writes PNG); onnxruntime's C-API library (its
  Python binding carries its own copy of the runtime) and its model-conversion tools; hf-xet,
  huggingface_hub's download accelerator (nothing is downloaded at run time); matplotlib's
  sample data and scikit-learn's bundled toy data sets; holidays' translations of holiday
  names into languages other than British English; lxml's objectify API (the code parses with
  lxml.etree only); numpy.distutils (a deprecated build tool: it builds extensions, nothing
  here does, and nothing imports it; f2py stays, as ``from numpy import *`` imports it) and
  numpy's SIMD test module (numpy._core._simd, imported only by numpy's tests);
  numba's TBB threading layer (it needs Intel's libtbb, which no dependency installs, so it
  never loads; numba uses its OpenMP or workqueue layer);
- duplicate files (the same library vendored by several wheels, or under several names), made
  hard links to one copy.

Run it after every install into VENV; it is idempotent.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

TEST_DIRS = {"tests", "test"}
SOURCES = {".pyx", ".pxd", ".pxi", ".c", ".cc", ".cpp", ".h", ".hpp", ".pyc", ".pyi"}
# Relative to site-packages; globs.
UNUSED = (
    "pyarrow/libarrow_flight.so*",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/_flight.*.so",
    "pyarrow/libarrow_s3.so*",
    "pyarrow/_s3fs.*.so",
    "pyarrow/_azurefs.*.so",
    "pyarrow/_gcsfs.*.so",
    "pyarrow/_hdfs.*.so",
    "pyarrow/_orc.*.so",
    "pyarrow/_dataset_orc.*.so",
    "pyarrow/_pyarrow_cpp_tests.*.so",
    "onnxruntime/capi/libonnxruntime.so.*",
    "onnxruntime/transformers",
    "onnxruntime/quantization",
    "onnxruntime/tools",
    "onnxruntime/datasets",
    "hf_xet",
    "hf_xet-*.dist-info",
    "matplotlib/mpl-data/sample_data",
    "PIL/_avif.*.so",
    "pillow.libs/libavif*",
    "PIL/_webp.*.so",
    "pillow.libs/libwebp*",
    "pillow.libs/libsharpyuv*",
    "sklearn/datasets/data",
    "sklearn/datasets/descr",
    "sklearn/datasets/images",
    "lxml/objectify.*.so",
    "numpy/distutils",
    "numpy/_core/_simd.*.so",
    "numba/np/ufunc/tbbpool.*.so",
)
# holidays' translations of holiday names, one folder a language: the service asks for
# England's holidays (data/workdays.py) in the library's default for them, British English.
HOLIDAY_LANGUAGES = {"en_GB"}
PAGE_SIZES = (4096, 16384, 65536)
# The page sizes an architecture's kernels use, by ELF e_machine; any other: all of PAGE_SIZES.
EM_X86_64 = 62
ARCH_PAGE_SIZES = {EM_X86_64: (4096,)}
PT_LOAD = 1


def remove_unused(site: Path) -> None:
    """Delete test suites, sources, headers, bytecode and the unused optional components."""
    for folder in sorted(site.rglob("*"), key=lambda p: len(p.parts)):
        if folder.is_dir() and not folder.is_symlink() and folder.name in TEST_DIRS:
            shutil.rmtree(folder, ignore_errors=True)
    for pattern in UNUSED:
        for path in site.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for folder in site.glob("holidays/locale/*"):
        if folder.name not in HOLIDAY_LANGUAGES:
            shutil.rmtree(folder)
    for path in list(site.rglob("*")):
        if path.suffix in SOURCES and (path.is_file() or path.is_symlink()):
            path.unlink()
    # Deepest first, so a folder emptied by the above goes too.
    for folder in sorted(site.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
            folder.rmdir()


def load_segments(data: bytes) -> tuple[int, list[tuple[int, int]]] | None:
    """An ELF file's machine and its loadable segments' ``(p_vaddr - p_offset, p_align)``."""
    if data[:4] != b"\x7fELF" or len(data) < 64:
        return None
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", data, 0x12)
    if wide:
        (phoff,) = struct.unpack_from(order + "Q", data, 0x20)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36)
        layout = order + "IIQQQQQQ"  # p_type, p_flags, p_offset, p_vaddr, ..., p_align
    else:
        (phoff,) = struct.unpack_from(order + "I", data, 0x1C)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 0x2A)
        layout = order + "IIIIIIII"  # p_type, p_offset, p_vaddr, ..., p_flags, p_align
    segments = []
    for index in range(phnum):
        fields = struct.unpack_from(layout, data, phoff + index * phentsize)
        if wide:
            p_type, offset, vaddr, align = fields[0], fields[2], fields[3], fields[7]
        else:
            p_type, offset, vaddr, align = fields[0], fields[1], fields[2], fields[7]
        if p_type == PT_LOAD:
            segments.append((vaddr - offset, align))
    return machine, segments


def load_offsets(data: bytes) -> list[int] | None:
    """Each loadable segment's ``p_vaddr - p_offset`` in an ELF file, or None if not ELF."""
    found = load_segments(data)
    return None if found is None else [delta for delta, _ in found[1]]


def aligned_pages(offsets: list[int], page_sizes: tuple[int, ...] = PAGE_SIZES) -> set[int]:
    """The page sizes at which every loadable segment maps (address and offset congruent)."""
    return {page for page in page_sizes if all(delta % page == 0 for delta in offsets)}


def keeps_alignment(built: bytes, stripped: bytes) -> bool:
    """Whether ``stripped`` loads wherever ``built`` did: every page size and ``p_align`` kept."""
    before, after = load_segments(built), load_segments(stripped)
    if before is None or after is None or before[0] != after[0] or len(before[1]) != len(after[1]):
        return False
    pages = ARCH_PAGE_SIZES.get(before[0], PAGE_SIZES)
    if not aligned_pages([d for d, _ in before[1]], pages) <= aligned_pages(
        [d for d, _ in after[1]], pages
    ):
        return False
    return all(
        delta % align == 0
        for (old, align), (delta, _) in zip(before[1], after[1], strict=True)
        if align > 1 and old % align == 0
    )


def strip_library(path: Path) -> bool:
    """Strip ``path`` in place unless that would misalign it; True if it was stripped."""
    with path.open("rb") as file:
        if file.read(4) != b"\x7fELF":
            return False
    built = path.read_bytes()
    if load_segments(built) is None:
        return False
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        stripped = Path(folder) / path.name
        done = subprocess.run(
            ["strip", "--strip-unneeded", "-o", str(stripped), str(path)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0 or not keeps_alignment(built, stripped.read_bytes()):
            return False
        if stripped.stat().st_size >= path.stat().st_size:
            return False
        shutil.copymode(path, stripped)
        os.replace(stripped, path)
    return True


def link_duplicates(site: Path, smallest: int = 65536) -> int:
    """Make files of at least ``smallest`` bytes with equal contents hard links to one copy."""
    first: dict[tuple[int, str], Path] = {}
    saved = 0
    for path in sorted(site.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size < smallest:
            continue
        key = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
        original = first.setdefault(key, path)
        if original != path and not path.samefile(original):
            path.unlink()
            os.link(original, path)
            saved += key[0]
    return saved


def main(argv: list[str]) -> int:
    """Slim the virtual environment named in ``argv``; print what was kept unstripped."""
    sites = list(Path(argv[0]).glob("lib/python3*/site-packages"))
    if not sites:
        print(f"triage-slim-venv: no site-packages under {argv[0]}", file=sys.stderr)
        return 1
    for site in sites:
        remove_unused(site)
        libraries = [p for p in site.rglob("*.so*") if p.is_file() and not p.is_symlink()]
        kept = [p for p in libraries if not strip_library(p)]
        saved = link_duplicates(site)
        print(
            f"triage-slim-venv: {len(libraries) - len(kept)} libraries stripped,"
            f" {saved // 1_000_000} MB of duplicates linked; kept as built:"
        )
        for path in kept:
            print(f"  {path.relative_to(site)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
