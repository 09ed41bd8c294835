"""SWORD zText / zCom modules (Bibles and commentaries), without libsword.

A module directory holds, per testament (ot, nt), three files whose middle
letter is the block type (b = book blocks, c = chapter blocks, v = verse blocks):

  ?.?zs  block index:   per block  uint32 offset, uint32 compressed size, uint32 raw size
  ?.?zz  block data:    the blocks, each compressed with zlib (CompressType=ZIP)
  ?.?zv  verse index:   per verse  uint32 block, uint32 offset in raw block, size
                        (size is uint16 for zText/zCom, uint32 for zText4/zCom4)

All integers are little-endian. Verse entries with size 0 are empty (or
chapter/book headings that are absent); repeated (block, offset) pairs are
linked verses and are emitted once. Only ZIP compression is supported; a module
using LZSS/BZIP2/XZ raises SwordFormatError.
"""
import glob
import os
import re
import struct
import zlib

from ..text import clean, strip_tags


class SwordFormatError(ValueError):
    pass


def read_conf(path):
    conf = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                conf.setdefault(k.strip(), v.strip())
    return conf


def _plausible(vidx, nblocks, size):
    if len(vidx) % size:
        return False
    fmt = "<IIH" if size == 10 else "<III"
    for i in range(min(len(vidx) // size, 2000)):
        b, off, n = struct.unpack_from(fmt, vidx, i * size)
        if b >= max(nblocks, 1) or n > 1 << 20:
            return False
    return True


def _entry_size(vidx, nblocks, preferred):
    """The conf's ModDrv is not always right (Debian's mhcc says zCom4 but has
    10-byte entries), so check the preferred entry size against the data."""
    for size in (preferred, 22 - preferred):
        if _plausible(vidx, nblocks, size):
            return size
    raise SwordFormatError("verse index matches neither 10- nor 12-byte entries")


def read_testament(moddir, testament, verse_entry_size):
    """Yields (block_number, verse_text_bytes) in verse order for one testament."""
    found = [p for p in glob.glob(os.path.join(moddir, testament + ".?zs"))]
    if not found:
        return
    stem = found[0][:-1]  # ".../ot.bz"
    with open(stem + "s", "rb") as f:
        bidx = f.read()
    with open(stem + "z", "rb") as f:
        data = f.read()
    with open(stem + "v", "rb") as f:
        vidx = f.read()
    blocks = {}

    def block(n):
        if n not in blocks:
            off, csize, rsize = struct.unpack_from("<III", bidx, n * 12)
            raw = zlib.decompress(data[off:off + csize])
            blocks.clear()  # verses come in block order; keep one block in memory
            blocks[n] = raw
        return blocks[n]

    nblocks = len(bidx) // 12
    verse_entry_size = _entry_size(vidx, nblocks, verse_entry_size)
    fmt = "<IIH" if verse_entry_size == 10 else "<III"
    seen = set()
    for i in range(len(vidx) // verse_entry_size):
        b, off, size = struct.unpack_from(fmt, vidx, i * verse_entry_size)
        if size == 0 or b >= nblocks or (b, off) in seen:
            continue
        seen.add((b, off))
        yield b, block(b)[off:off + size]


_NOTE = re.compile(r"<note\b[^>]*?(?:/>|>.*?</note>)", re.S)
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.S)
_BREAKS = re.compile(r"<(?:lb|p|/p|br|div)\b[^>]*/?>|<l\b[^>]*/>")
_SPACES = re.compile(r"[ \t]+")


def osis_to_text(markup):
    """OSIS/ThML verse markup to plain text: notes dropped, titles kept as lines."""
    markup = _NOTE.sub("", markup)
    markup = _TITLE.sub(lambda m: "\n" + m.group(1) + "\n", markup)
    markup = _BREAKS.sub("\n", markup)
    text = strip_tags(markup)
    lines = [_SPACES.sub(" ", l).strip() for l in text.split("\n")]
    return "\n".join(l for l in lines if l)


def read_module(moddir, moddrv, compress="ZIP"):
    """Yields one document per compressed block (a book or a chapter)."""
    if compress.upper() != "ZIP":
        raise SwordFormatError(f"CompressType={compress} is not supported (only ZIP)")
    entry = 12 if moddrv.endswith("4") else 10
    for testament in ("ot", "nt"):
        current, verses = None, []
        for b, raw in read_testament(moddir, testament, entry):
            if b != current and verses:
                yield "\n".join(verses)
                verses = []
            current = b
            t = osis_to_text(raw.decode("utf-8", errors="replace"))
            if t:
                verses.append(t)
        if verses:
            yield "\n".join(verses)


def extract(roots, sink):
    for root in roots:
        for conf_path in sorted(glob.glob(os.path.join(root, "usr/share/sword/mods.d/*.conf"))):
            conf = read_conf(conf_path)
            rel = conf.get("DataPath", "").lstrip("./").rstrip("/")
            moddir = os.path.join(root, "usr/share/sword", rel)
            for doc in read_module(moddir, conf.get("ModDrv", "zText"), conf.get("CompressType", "ZIP")):
                sink.doc(clean(doc))
